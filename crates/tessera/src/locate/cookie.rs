//! The cookie location, with the double-submit CSRF value.

use std::borrow::Cow;

use http::request::Parts;

use super::{BodyScan, Found, LocateError, Located, MissingReason};
use crate::claims::TokenType;
use crate::settings::JwtConfig;
use crate::settings::Location;

/// The value of cookie `name` in the request's `Cookie` headers.
fn read_cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim().trim_matches('"'))
}

/// Reads the access or refresh cookie. On a CSRF-protected method it also
/// takes the CSRF value from the header (or form field when enabled); a
/// cookie without one fails here. The CSRF *cookie* is never read: the
/// server compares the submitted value with the token's claim.
pub(super) fn find(
    parts: &Parts,
    config: &JwtConfig,
    kind: TokenType,
) -> Result<Found<'static>, LocateError> {
    let name = match kind {
        TokenType::Access => &config.cookies.access_name,
        TokenType::Refresh => &config.cookies.refresh_name,
    };
    let Some(token) = read_cookie(parts, name).filter(|value| !value.is_empty()) else {
        return Ok(Found::Missing(MissingReason::NoCookie {
            name: name.clone(),
        }));
    };
    let csrf = if config.csrf.protect && config.csrf.methods.contains(&parts.method) {
        Some(submitted_csrf(parts, config, kind)?)
    } else {
        None
    };
    Ok(Found::Token(Located {
        token: Cow::Owned(token.to_owned()),
        location: Location::Cookies,
        csrf,
    }))
}

fn submitted_csrf(
    parts: &Parts,
    config: &JwtConfig,
    kind: TokenType,
) -> Result<String, LocateError> {
    let (header, field) = match kind {
        TokenType::Access => (&config.csrf.access_header, &config.csrf.access_field),
        TokenType::Refresh => (&config.csrf.refresh_header, &config.csrf.refresh_field),
    };
    if let Some(value) = parts.headers.get(header) {
        return match value.to_str() {
            Ok(text) if !text.is_empty() => Ok(text.to_owned()),
            _ => Err(LocateError::CsrfMissing),
        };
    }
    if config.csrf.check_form {
        let Some(scan) = parts.extensions.get::<BodyScan>() else {
            return Err(LocateError::Misconfigured(
                "JWT_CSRF_CHECK_FORM needs JwtManager::body_layer() on the router",
            ));
        };
        if let Some(value) = scan.form_field(field) {
            return Ok(value.to_owned());
        }
    }
    Err(LocateError::CsrfMissing)
}
