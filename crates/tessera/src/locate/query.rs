//! The query-string location (`?jwt=<token>`).

use std::borrow::Cow;

use http::request::Parts;

use super::{Found, LocateError, Located, MissingReason};
use crate::settings::Location;
use crate::settings::QuerySettings;

/// Reads the configured parameter; its value must start with the prefix.
pub(super) fn find(parts: &Parts, settings: &QuerySettings) -> Result<Found<'static>, LocateError> {
    let query = parts.uri.query().unwrap_or_default();
    let Some((_, value)) =
        form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name.as_ref() == settings.name)
    else {
        return Ok(Found::Missing(MissingReason::NoQueryParam {
            name: settings.name.clone(),
        }));
    };
    match value.strip_prefix(settings.prefix.as_str()) {
        Some(token) if !token.is_empty() => Ok(Found::Token(Located {
            token: Cow::Owned(token.to_owned()),
            location: Location::QueryString,
            csrf: None,
        })),
        _ => Err(LocateError::BadQueryValue {
            name: settings.name.clone(),
            prefix: settings.prefix.clone(),
        }),
    }
}
