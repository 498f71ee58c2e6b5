//! `GET /auth/verify`: forward auth for nginx `auth_request`, Traefik
//! `forwardAuth` and Caddy `forward_auth`.
//!
//! Signature, claims and revocation are all checked in memory; the database
//! is never touched. This is the hottest route, so a bearer token takes the
//! library's header-only path (no request extensions, no typed claims).
//!
//! Cookie-borne tokens need care: the proxy's subrequest is a `GET`, yet the
//! request it guards may be a `POST` from another origin riding the
//! browser's cookies. The original method therefore comes from
//! `X-Original-Method` (set it in nginx) or `X-Forwarded-Method` (Traefik,
//! Caddy), and the double-submit CSRF check applies to every method but
//! `GET`, `HEAD` and `OPTIONS`. Each proxy passes the *other* header through
//! from the client untouched, so the request counts as safe only when every
//! method header present names a safe method. When neither is present a
//! cookie token must carry its CSRF header as for a state-changing request:
//! failing closed costs a misconfigured proxy an error, never a forged
//! request.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tessera::{AuthError, Location, Requirement, SESSION_ID_CLAIM, Token};

use super::error::ApiError;
use super::forward_login;
use super::metrics::Metrics;
use super::state::AppState;

const X_AUTH_USER: HeaderName = HeaderName::from_static("x-auth-user");
const X_AUTH_ROLES: HeaderName = HeaderName::from_static("x-auth-roles");
const X_AUTH_SESSION: HeaderName = HeaderName::from_static("x-auth-session");
const X_FORWARDED_METHOD: HeaderName = HeaderName::from_static("x-forwarded-method");
const X_ORIGINAL_METHOD: HeaderName = HeaderName::from_static("x-original-method");

/// `GET /auth/verify`: 200 with `X-Auth-User`, `X-Auth-Roles` and
/// `X-Auth-Session`, or the library's 401/403. With `?redirect=1`, a
/// browser's page load of an allowlisted URL gets a 302 to the sign-in page
/// instead of the 401 ([`forward_login`](super::forward_login)).
pub async fn verify(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let redirect = forward_login::asked(parts.uri.query());
    let headers_enabled = state.jwt.config().locations.contains(&Location::Headers);
    let from_headers = if headers_enabled {
        state
            .jwt
            .verify_headers(&parts.headers, Requirement::ACCESS)
            .await
    } else {
        Ok(None)
    };
    let verified = match from_headers {
        Ok(Some(token)) => Ok(token),
        Ok(None) => {
            parts.method = if guards_a_safe_method(&parts.headers) {
                Method::GET
            } else {
                // A method the library holds cookies to CSRF for.
                csrf_method(&state)
            };
            state
                .jwt
                .verify_request(&mut parts, Requirement::ACCESS)
                .await
                .map(|verified| verified.token.clone())
        }
        Err(err) => Err(err),
    };
    match verified {
        Ok(token) => allow(&state, &token),
        Err(err) => {
            let denied = deny(&state, err);
            if redirect
                && denied.status() == StatusCode::UNAUTHORIZED
                && let Some(to_login) = forward_login::to_login(&state, &parts.headers)
            {
                return to_login;
            }
            denied
        }
    }
}

/// Whether the request the proxy asks about is a `GET`, `HEAD` or `OPTIONS`
/// by every method header present, and at least one is present. Methods are
/// case-sensitive (RFC 9110 §9.1): `get` is not `GET`. Anything else, or no
/// header, is possibly state-changing, so cookie tokens are held to CSRF.
/// `OPTIONS` is then answered like `GET` (it changes nothing; the library
/// would otherwise let a preflight through unauthenticated).
fn guards_a_safe_method(headers: &HeaderMap) -> bool {
    let names = [X_ORIGINAL_METHOD, X_FORWARDED_METHOD];
    let mut named = names
        .iter()
        .flat_map(|name| headers.get_all(name))
        .peekable();
    named.peek().is_some()
        && named.all(|value| {
            matches!(
                Method::from_bytes(value.as_bytes()),
                Ok(Method::GET | Method::HEAD | Method::OPTIONS)
            )
        })
}

/// A method the configured CSRF check covers (`JWT_CSRF_METHODS`), standing
/// in for whatever state-changing method the proxy reported.
fn csrf_method(state: &AppState) -> Method {
    state
        .jwt
        .config()
        .csrf
        .methods
        .first()
        .cloned()
        .unwrap_or(Method::POST)
}

fn allow(state: &AppState, token: &Token) -> Response {
    let claims = &token.claims;
    let Some(sid) = claims.extra.get(SESSION_ID_CLAIM).and_then(Value::as_str) else {
        Metrics::inc(&state.metrics.verify_denied);
        return ApiError::unauthorized("invalid_token", "the token belongs to no session")
            .into_response();
    };
    let roles = claims
        .extra
        .get(&state.jwt.config().roles_claim)
        .and_then(Value::as_array)
        .map(|roles| {
            roles
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (X_AUTH_USER, claims.sub.as_str()),
        (X_AUTH_ROLES, roles.as_str()),
        (X_AUTH_SESSION, sid),
    ] {
        // Fail closed: a 200 without the identity would let the upstream
        // app see an authenticated request with no (or a partial) user.
        let Ok(value) = HeaderValue::from_str(value) else {
            Metrics::inc(&state.metrics.verify_denied);
            return ApiError::unauthorized(
                "invalid_token",
                "the token's identity cannot be sent as a header",
            )
            .into_response();
        };
        headers.insert(name, value);
    }
    Metrics::inc(&state.metrics.verify_ok);
    response
}

/// The library's rejection, with its status narrowed to what proxies
/// understand: nginx `auth_request` treats anything but 2xx, 401 and 403 as
/// its own failure (a 500 to the client), so a malformed header's 400
/// becomes 401 here; the body still says `invalid_request`.
fn deny(state: &AppState, err: AuthError) -> Response {
    Metrics::inc(&state.metrics.verify_denied);
    let mut response = state.jwt.reject(err).into_response();
    if !matches!(
        response.status(),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    ) {
        *response.status_mut() = StatusCode::UNAUTHORIZED;
    }
    response
}
