//! The HTTP API: JSON in, JSON out, every error as `{error, message}`.

pub mod admin;
pub mod auth;
pub mod client;
pub mod docs;
pub mod domain_error;
pub mod edge;
pub mod error;
pub mod forward_auth;
pub mod forward_login;
pub mod json;
pub mod metrics;
pub mod mfa;
#[cfg(feature = "passkeys")]
pub mod mfa_passkey;
pub mod oauth;
pub mod ops;
pub mod pages;
pub mod params;
#[cfg(feature = "passkeys")]
pub mod passkeys;
pub mod request_id;
pub mod request_log;
pub mod revocation;
pub mod sessions;
pub mod state;
pub mod tokens;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use tessera::{JwtOptions, Location, RequireRoles};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

pub use error::{ApiError, StoreOutage};
pub use state::{AppState, Limits};

/// Largest request body accepted (413 beyond).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The whole API.
///
/// Around every route, from the outside in: the response headers and CORS
/// ([`edge`]); the incoming `X-Request-Id` is screened
/// ([`request_id::screen`]), set (a UUID v4 when there is none) and copied
/// onto the response; the request's span and answered line
/// ([`request_log`]); the request-duration histogram; the request timeout;
/// the headers screened ([`edge::screen`]); then panics caught, store
/// outages reported and the body limit.
///
/// `/metrics` is here unless `TESSERA_METRICS_BIND` gives it a listener of
/// its own ([`metrics_router`]).
pub fn router(state: AppState) -> Router {
    let edge = state.edge.clone();
    let csrf_headers = [
        state.jwt.config().csrf.access_header.clone(),
        state.jwt.config().csrf.refresh_header.clone(),
    ];
    let jwt = state.jwt.clone();
    let admin = Router::new()
        .route("/admin/users", get(admin::list_users))
        .route(
            "/admin/users/{id}",
            get(admin::get_user).delete(admin::delete_user),
        )
        .route("/admin/users/{id}/roles", put(admin::set_roles))
        .route("/admin/users/{id}/disable", post(admin::disable))
        .route("/admin/users/{id}/enable", post(admin::enable))
        .route("/admin/users/{id}/unlock", post(admin::unlock))
        .route("/admin/users/{id}/mfa/reset", post(mfa::admin_reset))
        .route("/admin/users/{id}/sessions", get(admin::user_sessions))
        .route("/admin/audit", get(admin::audit))
        .route_layer(RequireRoles::any(&jwt, ["admin"]));
    let refresh = post(auth::refresh)
        .route_layer(JwtOptions::new().locations([
            Location::Headers,
            Location::Cookies,
            Location::Json,
        ]))
        .route_layer(jwt.body_layer());
    let routes = Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", refresh)
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/auth/verify", get(forward_auth::verify))
        .route("/auth/sessions", get(sessions::list))
        .route("/auth/sessions/{id}", delete(sessions::end))
        .route("/auth/password", post(sessions::change_password))
        .route("/auth/mfa", get(mfa::status))
        .route("/auth/mfa/totp", post(mfa::enrol).delete(mfa::disable))
        .route("/auth/mfa/totp/confirm", post(mfa::confirm))
        .route("/auth/mfa/verify", post(mfa::verify))
        .route("/auth/mfa/recovery-codes", post(mfa::regenerate))
        .route("/auth/providers", get(oauth::providers))
        .route("/auth/oauth/{provider}/start", get(oauth::start))
        .route("/auth/oauth/{provider}/callback", get(oauth::callback))
        .route("/auth/oauth/{provider}/id-token", post(oauth::id_token))
        .route(
            "/auth/oauth/facebook/access-token",
            post(oauth::facebook_access_token),
        )
        .route("/auth/oauth/{provider}/link", post(oauth::link))
        .route("/auth/identities", get(oauth::identities))
        .route("/auth/identities/{id}", delete(oauth::unlink))
        .merge(passkey_routes())
        .merge(admin)
        .route("/.well-known/jwks.json", get(ops::jwks))
        .route("/.well-known/openid-configuration", get(ops::discovery))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/openapi.json", get(docs::openapi))
        .route("/docs", get(docs::docs))
        // The sign-in portal's pages (their own headers; see `pages`).
        .merge(pages::routes(&state));
    let routes = if edge.metrics_bind.is_none() {
        routes.route("/metrics", get(ops::metrics))
    } else {
        routes
    };
    let routes = routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            report_store_outage,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the server failed to handle this request",
            )
            .into_response()
        }))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            edge::screen::screen_headers,
        ));
    let routes = edge::request_timeout(routes, edge.request_timeout)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_log::observe_duration,
        ))
        .layer(request_log::trace_layer())
        .layer(PropagateRequestIdLayer::new(request_id::X_REQUEST_ID))
        .layer(SetRequestIdLayer::new(
            request_id::X_REQUEST_ID,
            MakeRequestUuid,
        ))
        .layer(middleware::map_request_with_state(
            state.trust_forwarded,
            request_id::screen,
        ));
    let routes = edge::cors::apply(routes, &edge, &csrf_headers);
    edge::response_headers::apply(routes, &edge).with_state(state)
}

/// `/metrics` alone, for the private listener of `TESSERA_METRICS_BIND`.
pub fn metrics_router(state: AppState) -> Router {
    let edge = state.edge.clone();
    let routes = Router::new()
        .route("/metrics", get(ops::metrics))
        .fallback(not_found);
    edge::response_headers::apply(routes, &edge).with_state(state)
}

/// The passkey endpoints (feature `passkeys`).
#[cfg(feature = "passkeys")]
fn passkey_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/auth/passkeys/register/start",
            post(passkeys::register_start),
        )
        .route(
            "/auth/passkeys/register/finish",
            post(passkeys::register_finish),
        )
        .route("/auth/passkeys", get(passkeys::list))
        .route(
            "/auth/passkeys/{id}",
            axum::routing::patch(passkeys::rename).delete(passkeys::delete),
        )
        .route("/auth/passkeys/login/start", post(passkeys::login_start))
        .route("/auth/passkeys/login/finish", post(passkeys::login_finish))
        .route("/auth/mfa/passkey/start", post(mfa_passkey::start))
        .route("/auth/mfa/passkey/finish", post(mfa_passkey::finish))
}

/// Without the `passkeys` feature there are no passkey endpoints.
#[cfg(not(feature = "passkeys"))]
fn passkey_routes() -> Router<AppState> {
    Router::new()
}

/// Hands the cause of a `503 store_unavailable` to the store, which logs
/// the outage once (not once per request) and notes when it ends.
async fn report_store_outage(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if let Some(StoreOutage(cause)) = response.extensions().get::<StoreOutage>() {
        state.auth.store().report_outage(cause);
    }
    response
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /docs")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}
