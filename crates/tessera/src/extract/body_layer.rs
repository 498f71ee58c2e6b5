//! The body layer: buffers JSON and form bodies so that the JSON location
//! and the CSRF form field can be read by extractors that run on request
//! parts.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{Request, StatusCode, header};
use tower::{Layer, Service};

use crate::locate::{BodyKind, BodyScan, body_kind};
use crate::manager::JwtManager;

/// Largest body the layer buffers by default: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

impl JwtManager {
    /// The layer that makes the JSON-body location and the CSRF form field
    /// work; see [`crate::locate`].
    pub fn body_layer(&self) -> BodyTokenLayer {
        BodyTokenLayer::new(self)
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
                if kind == BodyKind::Json {
                    scan.mark_json();
                }
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
