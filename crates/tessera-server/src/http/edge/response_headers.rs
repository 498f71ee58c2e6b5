//! The headers on every response, set in one place (the portal pages add
//! only their Content-Security-Policy).
//!
//! Tokens and personal data must not be stored by caches (RFC 6749 §5.1),
//! so every response without a cache policy of its own gets
//! `Cache-Control: no-store` and `Pragma: no-cache`; the public documents
//! (JWKS, discovery) keep their `max-age`. A 401 without a challenge gets
//! `WWW-Authenticate: Bearer realm="tessera"` (RFC 9110 §15.5.2); the token
//! errors already carry RFC 6750's `error="invalid_token"` form.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::edge_settings::EdgeSettings;

/// `Strict-Transport-Security` when the public URL is https: one year.
pub const STRICT_TRANSPORT: &str = "max-age=31536000";

/// The challenge on a 401 that has none of its own (a failed login).
pub const CHALLENGE: &str = "Bearer realm=\"tessera\"";

/// `router` with the response headers of `edge` on every answer.
pub fn apply<S>(router: Router<S>, edge: &EdgeSettings) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let hsts = edge.strict_transport.then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT),
        )
    });
    // Layers run on the response from the bottom up: `Pragma` is decided
    // while the route's own `Cache-Control` (or its absence) is still visible.
    router.layer(
        ServiceBuilder::new()
            .option_layer(hsts)
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::PRAGMA,
                |response: &Response| {
                    (!response.headers().contains_key(header::CACHE_CONTROL))
                        .then_some(HeaderValue::from_static("no-cache"))
                },
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::WWW_AUTHENTICATE,
                |response: &Response| {
                    (response.status() == StatusCode::UNAUTHORIZED)
                        .then_some(HeaderValue::from_static(CHALLENGE))
                },
            )),
    )
}
