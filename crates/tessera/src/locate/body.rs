//! The JSON-body location and the CSRF form field, read from what the body
//! layer ([`crate::extract::BodyTokenLayer`]) found in the buffered body.

use std::borrow::Cow;

use http::header;
use http::request::Parts;
use serde_json::Value;

use super::{Found, LocateError, Located, MissingReason};
use crate::claims::TokenType;
use crate::settings::JwtConfig;
use crate::settings::Location;

/// What the body layer found, stored in the request's extensions.
#[derive(Debug, Clone, Default)]
pub(crate) struct BodyScan {
    is_json: bool,
    json_access: Option<String>,
    json_refresh: Option<String>,
    form_access_csrf: Option<String>,
    form_refresh_csrf: Option<String>,
    access_field: String,
    refresh_field: String,
}

impl BodyScan {
    /// The value of CSRF form field `name`, if the body was a form.
    pub(crate) fn form_field(&self, name: &str) -> Option<&str> {
        if name == self.access_field {
            self.form_access_csrf.as_deref()
        } else if name == self.refresh_field {
            self.form_refresh_csrf.as_deref()
        } else {
            None
        }
    }

    pub(crate) fn new(config: &JwtConfig) -> Self {
        BodyScan {
            access_field: config.csrf.access_field.clone(),
            refresh_field: config.csrf.refresh_field.clone(),
            ..BodyScan::default()
        }
    }

    /// Notes that the body is JSON without reading it (it was too large to
    /// buffer): the location then reports a missing key, not a non-JSON body.
    pub(crate) fn mark_json(&mut self) {
        self.is_json = true;
    }

    pub(crate) fn read_json(&mut self, config: &JwtConfig, bytes: &[u8]) {
        self.is_json = true;
        // Malformed JSON, an array or a scalar: simply no token here.
        let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(bytes) else {
            return;
        };
        let mut take = |key: &str| match map.remove(key) {
            Some(Value::String(token)) if !token.is_empty() => Some(token),
            _ => None,
        };
        self.json_access = take(&config.json.access_key);
        self.json_refresh = take(&config.json.refresh_key);
    }

    pub(crate) fn read_form(&mut self, bytes: &[u8]) {
        for (name, value) in form_urlencoded::parse(bytes) {
            if name == self.access_field.as_str() && self.form_access_csrf.is_none() {
                self.form_access_csrf = Some(value.clone().into_owned());
            }
            if name == self.refresh_field.as_str() && self.form_refresh_csrf.is_none() {
                self.form_refresh_csrf = Some(value.into_owned());
            }
        }
    }
}

/// Reads the JSON-body location from what the layer found.
pub(super) fn find(
    parts: &Parts,
    config: &JwtConfig,
    kind: TokenType,
) -> Result<Found<'static>, LocateError> {
    let Some(scan) = parts.extensions.get::<BodyScan>() else {
        return Err(LocateError::Misconfigured(
            "the json token location needs JwtManager::body_layer() on the router",
        ));
    };
    if !scan.is_json {
        return Ok(Found::Missing(MissingReason::NotJson));
    }
    let (key, value) = match kind {
        TokenType::Access => (&config.json.access_key, &scan.json_access),
        TokenType::Refresh => (&config.json.refresh_key, &scan.json_refresh),
    };
    Ok(match value {
        Some(token) => Found::Token(Located {
            token: Cow::Owned(token.clone()),
            location: Location::Json,
            csrf: None,
        }),
        None => Found::Missing(MissingReason::NoJsonKey { key: key.clone() }),
    })
}

/// The kinds of body the layer tells apart.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Json,
    Form,
    Other,
}

pub(crate) fn body_kind(parts: &Parts) -> BodyKind {
    let Some(content_type) = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return BodyKind::Other;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        BodyKind::Json
    } else if essence == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else {
        BodyKind::Other
    }
}
