//! Cross-site request forgery defences for the portal's forms: a
//! double-submit token (an HttpOnly cookie and the same value in a hidden
//! field, compared in constant time) and the browser's own word on where
//! the POST came from (`Sec-Fetch-Site`, `Origin`).
//!
//! Under `Referrer-Policy: no-referrer` Chromium sends `Origin: null` on a
//! same-origin form POST; such a request is decided by `Sec-Fetch-Site:
//! same-origin` and the token rather than refused.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::http::{HeaderMap, Uri};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::view::PageError;
use crate::http::state::AppState;
use crate::oauth::flow::random_value;

/// The hidden field every form carries.
pub const FIELD: &str = "csrf_token";

/// Length of a token ([`random_value`]: 256 bits, base64url).
const TOKEN_CHARS: usize = 43;

/// Why a state-changing request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsrfRefusal {
    /// `Sec-Fetch-Site` says another site (or a bookmark) sent it.
    #[error("the form was sent from another site")]
    CrossSite,
    /// `Origin` names another origin (or is `null` without `Sec-Fetch-Site: same-origin`).
    #[error("the form was sent from another origin")]
    WrongOrigin,
    /// The cookie is missing or the field does not match it.
    #[error("the form's token does not match")]
    Token,
}

/// The cookie's name: with the `__Host-` prefix over https, so a sibling
/// subdomain cannot plant one (the prefix needs `Secure`, which plain-http
/// development cannot have).
fn cookie_name(state: &AppState) -> &'static str {
    if is_https(state) {
        "__Host-tessera_csrf"
    } else {
        "tessera_csrf"
    }
}

fn is_https(state: &AppState) -> bool {
    state.social.public_url.starts_with("https://")
}

/// The token for a page's forms: the one the browser holds, or a new one,
/// added to `jar`.
pub fn token(state: &AppState, jar: CookieJar) -> Result<(CookieJar, String), PageError> {
    if let Some(existing) = jar.get(cookie_name(state)).map(Cookie::value)
        && existing.len() == TOKEN_CHARS
    {
        let existing = existing.to_owned();
        return Ok((jar, existing));
    }
    let value = random_value().map_err(|err| PageError::internal("csrf token", &err))?;
    let mut cookie = Cookie::new(cookie_name(state), value.clone());
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(is_https(state));
    Ok((jar.add(cookie), value))
}

/// Checks a form POST: where it came from, then its token.
pub fn check(
    state: &AppState,
    headers: &HeaderMap,
    jar: &CookieJar,
    submitted: &str,
) -> Result<(), CsrfRefusal> {
    let fetch_site = header_text(headers, "sec-fetch-site");
    if fetch_site.is_some_and(|site| site != "same-origin") {
        return Err(CsrfRefusal::CrossSite);
    }
    match header_text(headers, "origin") {
        None => {}
        Some("null") if fetch_site == Some("same-origin") => {}
        Some(origin) if same_origin(origin, &state.social.public_url) => {}
        Some(_) => return Err(CsrfRefusal::WrongOrigin),
    }
    let expected = jar
        .get(cookie_name(state))
        .map(Cookie::value)
        .filter(|value| value.len() == TOKEN_CHARS)
        .ok_or(CsrfRefusal::Token)?;
    verify_slices_are_equal(submitted.as_bytes(), expected.as_bytes())
        .map_err(|_| CsrfRefusal::Token)
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Whether `origin` (an `Origin` header) is the origin of `public_url`:
/// scheme, host (any case) and port (explicit or default) alike.
pub fn same_origin(origin: &str, public_url: &str) -> bool {
    match (origin_parts(origin), origin_parts(public_url)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn origin_parts(url: &str) -> Option<(String, String, u16)> {
    let uri: Uri = url.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    Some((
        scheme,
        authority.host().to_ascii_lowercase(),
        authority.port_u16().unwrap_or(port),
    ))
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn origins_compare_by_scheme_host_and_port() {
        assert!(same_origin(
            "http://localhost:8080",
            "http://localhost:8080"
        ));
        assert!(same_origin(
            "https://Auth.Example.com",
            "https://auth.example.com:443/"
        ));
        assert!(same_origin(
            "https://auth.example.com",
            "https://auth.example.com/tessera"
        ));
        assert!(!same_origin(
            "http://auth.example.com",
            "https://auth.example.com"
        ));
        assert!(!same_origin(
            "https://auth.example.com.evil",
            "https://auth.example.com"
        ));
        assert!(!same_origin(
            "https://auth.example.com:8443",
            "https://auth.example.com"
        ));
        assert!(!same_origin("null", "https://auth.example.com"));
    }
}
