//! The header location: `Authorization: Bearer <token>` by default.

use std::borrow::Cow;

use http::HeaderMap;

use super::{Found, LocateError, Located, MissingReason};
use crate::settings::HeaderSettings;
use crate::settings::Location;

/// Reads the configured header the way Flask-JWT-Extended does: comma-separated
/// credentials may coexist (`Basic x, Bearer <jwt>`); exactly one must start
/// with the type word (case-sensitive); that one must be `<type> <token>`.
pub(crate) fn find<'a>(
    headers: &'a HeaderMap,
    settings: &HeaderSettings,
) -> Result<Found<'a>, LocateError> {
    let mut values = headers.get_all(&settings.name).iter().peekable();
    if values.peek().is_none() {
        return Ok(Found::Missing(MissingReason::NoHeader {
            name: display_name(settings),
        }));
    }
    if let Some(token) = simple_form(headers, settings) {
        return Ok(Found::Token(located(Cow::Borrowed(token))));
    }
    let bad = || LocateError::BadHeader {
        name: display_name(settings),
        kind: settings.kind.clone(),
    };
    let mut joined = String::new();
    for value in values {
        let text = value.to_str().map_err(|_| bad())?;
        if !joined.is_empty() {
            joined.push(',');
        }
        joined.push_str(text);
    }
    let joined = joined.trim_matches(|c: char| c.is_whitespace() || c == ',');

    if settings.kind.is_empty() {
        let mut words = joined.split_whitespace();
        return match (words.next(), words.next()) {
            (Some(token), None) => Ok(Found::Token(located(Cow::Owned(token.to_owned())))),
            (None, _) => Ok(Found::Missing(MissingReason::NoHeader {
                name: display_name(settings),
            })),
            _ => Err(bad()),
        };
    }

    let mut matching = joined
        .split(',')
        .map(str::trim)
        .filter(|field| field.split_whitespace().next() == Some(settings.kind.as_str()));
    let (Some(field), None) = (matching.next(), matching.next()) else {
        return Ok(Found::Missing(MissingReason::NoHeaderType {
            name: display_name(settings),
            kind: settings.kind.clone(),
        }));
    };
    let mut words = field.split_whitespace().skip(1);
    match (words.next(), words.next()) {
        (Some(token), None) => Ok(Found::Token(located(Cow::Owned(token.to_owned())))),
        _ => Err(bad()),
    }
}

/// The common case, found without the general parse: a single header value
/// that is exactly `<type> <token>`, with no comma or whitespace in the
/// token. It yields what the general parse would, in one pass over bytes.
fn simple_form<'a>(headers: &'a HeaderMap, settings: &HeaderSettings) -> Option<&'a str> {
    if settings.kind.is_empty() {
        return None;
    }
    let mut values = headers.get_all(&settings.name).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    let token = value
        .as_bytes()
        .strip_prefix(settings.kind.as_bytes())?
        .strip_prefix(b" ")?;
    // Only the compact-JWS alphabet: no comma, no whitespace, nothing that
    // would need the general parse. A branch-free fold the compiler can
    // vectorise, since this runs on every protected request.
    let compact = !token.is_empty()
        && token.iter().fold(true, |ok, &byte| {
            ok & (byte.is_ascii_alphanumeric() | (byte == b'-') | (byte == b'_') | (byte == b'.'))
        });
    if compact {
        std::str::from_utf8(token).ok()
    } else {
        None
    }
}

fn located(token: Cow<'_, str>) -> Located<'_> {
    Located {
        token,
        location: Location::Headers,
        csrf: None,
    }
}

/// The header name as users write it (`Authorization`, not `authorization`).
fn display_name(settings: &HeaderSettings) -> String {
    if settings.name == http::header::AUTHORIZATION {
        "Authorization".to_owned()
    } else {
        settings.name.to_string()
    }
}
