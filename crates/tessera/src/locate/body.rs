//! The JSON-body location and the CSRF form field, through a buffering layer.

use std::borrow::Cow;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Request, StatusCode, header};
use serde_json::Value;
use tower::{Layer, Service};

use super::{Found, Located, Location};
use crate::claims::TokenType;
use crate::manager::{JwtConfig, JwtManager};
use crate::response::{AuthError, MissingReason};

/// Largest body the layer buffers by default: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

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

    fn new(config: &JwtConfig) -> Self {
        BodyScan {
            access_field: config.csrf.access_field.clone(),
            refresh_field: config.csrf.refresh_field.clone(),
            ..BodyScan::default()
        }
    }

    fn read_json(&mut self, config: &JwtConfig, bytes: &[u8]) {
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

    fn read_form(&mut self, bytes: &[u8]) {
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
) -> Result<Found<'static>, AuthError> {
    let Some(scan) = parts.extensions.get::<BodyScan>() else {
        return Err(AuthError::Misconfigured(
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
    Other,
}

fn body_kind(parts: &Parts) -> BodyKind {
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

/// Buffers JSON and form bodies (at most 64 KiB by default) so the JSON
/// location and the CSRF form field can be read by extractors; the handler
/// still receives the whole body. Other bodies pass through untouched, and so
/// do bodies whose `Content-Length` is over the limit (they then hold no
/// token). A chunked body that turns out larger than the limit is answered
/// with `413 Payload Too Large`.
///
/// Made by [`JwtManager::body_layer`].
#[derive(Debug, Clone)]
pub struct BodyTokenLayer {
    manager: JwtManager,
    limit: usize,
}

impl BodyTokenLayer {
    /// A layer for `manager`'s JSON keys and CSRF field names.
    pub fn new(manager: &JwtManager) -> Self {
        BodyTokenLayer {
            manager: manager.clone(),
            limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Changes the buffering limit.
    #[must_use]
    pub fn limit(mut self, bytes: usize) -> Self {
        self.limit = bytes;
        self
    }
}

impl<S> Layer<S> for BodyTokenLayer {
    type Service = BodyTokenService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyTokenService {
            inner,
            manager: self.manager.clone(),
            limit: self.limit,
        }
    }
}

/// The service made by [`BodyTokenLayer`].
#[derive(Debug, Clone)]
pub struct BodyTokenService<S> {
    inner: S,
    manager: JwtManager,
    limit: usize,
}

impl<S> Service<Request<Body>> for BodyTokenService<S>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The ready service goes into the future; a fresh clone stays here.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let manager = self.manager.clone();
        let limit = self.limit;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let config = manager.config();
            let mut scan = BodyScan::new(config);
            let kind = body_kind(&parts);
            let declared = parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            let body = if kind == BodyKind::Other || declared.is_some_and(|len| len > limit) {
                scan.is_json = kind == BodyKind::Json;
                body
            } else {
                let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
                    return Ok(too_large());
                };
                match kind {
                    BodyKind::Json => scan.read_json(config, &bytes),
                    BodyKind::Form => scan.read_form(&bytes),
                    BodyKind::Other => {}
                }
                Body::from(bytes)
            };
            parts.extensions.insert(scan);
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}

fn too_large() -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":"payload_too_large","message":"The request body is too large"}"#,
    )
        .into_response()
}
