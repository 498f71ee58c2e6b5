//! The HTTP edge: what every response carries and what every request must
//! get past, whatever the route.
//!
//! - [`response_headers`]: `nosniff`, `Referrer-Policy: no-referrer`,
//!   `Cache-Control: no-store` + `Pragma: no-cache` unless the route chose
//!   a cache policy (the JWKS and discovery do), HSTS when the public URL
//!   is https, and a `WWW-Authenticate` challenge on every 401.
//! - [`cors`]: the `TESSERA_CORS_ORIGINS` allowlist (off by default).
//! - [`screen`]: duplicate, unreadable or ambiguous headers are a 400.
//! - [`request_timeout`]: a whole request (body included) has
//!   `TESSERA_REQUEST_TIMEOUT`; then `408 request_timeout`.
//! - [`busy`]: the answer to a connection over `TESSERA_MAX_CONNECTIONS`.

pub mod cors;
pub mod response_headers;
pub mod screen;

use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use tower::ServiceBuilder;

use crate::edge_settings::EdgeSettings;
use crate::http::error::ApiError;

/// A layer ending any request still unanswered after `limit` with
/// `408 request_timeout` (tower's timeout, its error made a JSON answer).
pub fn request_timeout<S>(router: Router<S>, limit: Duration) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    "the request took too long; send it again",
                )
            }))
            .timeout(limit),
    )
}

/// The router that answers connections over the cap: `503 server_busy`
/// with `Retry-After` to any request, under the same response headers.
pub fn busy(edge: &EdgeSettings) -> Router {
    response_headers::apply(Router::new().fallback(busy_answer), edge)
}

/// The connection is closed after it (the busy listener keeps none alive).
async fn busy_answer() -> ApiError {
    ApiError::server_busy()
}
