//! Cross-origin calls from browsers (`TESSERA_CORS_ORIGINS`): off unless
//! origins are listed; then tower-http's CORS layer answers preflights and
//! allows the listed origins only, with credentials (cookies), never `*`.
//!
//! tower-http adds `Access-Control-Allow-Credentials` and, to preflights,
//! the allowed methods and headers whatever the origin; an unlisted origin
//! must learn nothing, so those are taken off again when no
//! `Access-Control-Allow-Origin` was granted.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::edge_settings::EdgeSettings;

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// `router` answering CORS for `edge`'s origins; unchanged when none are
/// listed. `csrf_headers` are the double-submit headers a page sends.
pub fn apply<S>(router: Router<S>, edge: &EdgeSettings, csrf_headers: &[HeaderName]) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let origins: Vec<HeaderValue> = edge
        .cors_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    if origins.is_empty() {
        return router;
    }
    let mut allowed_headers = vec![
        header::AUTHORIZATION,
        header::CONTENT_TYPE,
        HeaderName::from_static("x-request-id"),
    ];
    allowed_headers.extend(csrf_headers.iter().cloned());
    allowed_headers.dedup();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers(allowed_headers)
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
        ])
        .max_age(PREFLIGHT_MAX_AGE);
    // The filter runs on the response after the CORS layer has set its headers.
    router
        .layer(cors)
        .layer(axum::middleware::map_response(only_for_granted_origins))
}

/// Takes every `Access-Control-*` header off a response that grants no
/// origin.
async fn only_for_granted_origins(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        for name in [
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            header::ACCESS_CONTROL_MAX_AGE,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
        ] {
            headers.remove(name);
        }
    }
    response
}
