//! The header location: `Authorization: Bearer <token>` by default.

use http::request::Parts;

use super::{Found, Located, Location};
use crate::manager::HeaderSettings;
use crate::response::{AuthError, MissingReason};

/// Reads the configured header the way Flask-JWT-Extended does: comma-separated
/// credentials may coexist (`Basic x, Bearer <jwt>`); exactly one must start
/// with the type word (case-sensitive); that one must be `<type> <token>`.
pub(super) fn find(parts: &Parts, settings: &HeaderSettings) -> Result<Found, AuthError> {
    let mut values = parts.headers.get_all(&settings.name).iter().peekable();
    if values.peek().is_none() {
        return Ok(Found::Missing(MissingReason::NoHeader {
            name: display_name(settings),
        }));
    }
    let bad = || AuthError::BadHeader {
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
            (Some(token), None) => Ok(Found::Token(located(token))),
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
        (Some(token), None) => Ok(Found::Token(located(token))),
        _ => Err(bad()),
    }
}

fn located(token: &str) -> Located {
    Located {
        token: token.to_owned(),
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
