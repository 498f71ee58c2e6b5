//! Health, readiness, metrics and key discovery.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use tessera::claims::RESERVED_CLAIMS;
use tessera::{JwtConfig, SESSION_ID_CLAIM, Validation};

use super::error::ApiError;
use super::metrics;
use super::state::AppState;

/// `GET /healthz`: the process is up. Touches nothing.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the store answers (else `503 store_unavailable`).
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    match state.auth.store().ping().await {
        Ok(()) => Ok(Json(json!({ "status": "ready" }))),
        // Any failure to answer a `SELECT 1` means not ready, whatever its
        // kind; the outage is logged once, by the router.
        Err(err) => Err(ApiError::store_unavailable(&err)),
    }
}

/// `GET /metrics`: Prometheus text (version 0.0.4).
pub async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let text = state
        .metrics
        .render(state.auth.revoked().len())
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the metrics could not be written",
            )
        })?;
    Ok(([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text))
}

/// How long a resource server may cache the JWKS (`Cache-Control:
/// max-age`), in seconds. Keys kept in the store are published at least
/// this long before they sign.
pub const JWKS_MAX_AGE_SECONDS: i64 = 300;

/// `GET /.well-known/jwks.json`: the public keys (none for HMAC secrets).
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CACHE_CONTROL,
            format!("public, max-age={JWKS_MAX_AGE_SECONDS}"),
        )],
        Json(state.jwt.codec().keys().jwks()),
    )
}

/// `GET /.well-known/openid-configuration`: public, cacheable like the JWKS.
pub async fn discovery(State(state): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(
            header::CACHE_CONTROL,
            format!("public, max-age={JWKS_MAX_AGE_SECONDS}"),
        )],
        Json(state.discovery.as_ref().clone()),
    )
}

/// The discovery document for a server reachable at `base_url`.
///
/// It says only what is true: the `issuer` and `jwks_uri` a client needs to
/// verify access tokens (each published key names its `alg`), and
/// Tessera's own endpoints under names of their own. No
/// `id_token_signing_alg_values_supported` (Tessera issues no id_tokens) and
/// none of the standard OAuth/OIDC endpoint names (`token_endpoint`,
/// `revocation_endpoint`, `userinfo_endpoint`, `registration_endpoint`):
/// those promise protocols (RFC 6749 grants, RFC 7009, OIDC UserInfo,
/// RFC 7591) these endpoints do not speak, so a generic client reading them
/// would fail. `claims_supported` is built from the configured claim names,
/// so it stays true when `JWT_IDENTITY_CLAIM` or `JWT_ROLES_CLAIM` is set.
pub fn discovery_document(base_url: &str, jwt: &JwtConfig) -> Value {
    let url = |path: &str| format!("{}{path}", base_url.trim_end_matches('/'));
    let token = &jwt.token;
    let issuer = token.encode_issuer.as_deref().unwrap_or(base_url);
    // The names the tokens are written with: the configured identity and
    // roles claims, the session claim, and the registered ones; not the
    // default identity claim when another holds the identity, nor `csrf`
    // (it only travels with cookies), nor `aud` unless one is written.
    let default_identity = Validation::default().identity_claim;
    let mut claims = vec![token.identity_claim.as_str()];
    claims.extend(
        RESERVED_CLAIMS
            .into_iter()
            .filter(|name| *name != default_identity && *name != "csrf")
            .filter(|name| *name != "aud" || !token.encode_audience.is_empty()),
    );
    claims.extend([SESSION_ID_CLAIM, jwt.roles_claim.as_str()]);
    json!({
        "issuer": issuer,
        "jwks_uri": url("/.well-known/jwks.json"),
        "login_endpoint": url("/auth/login"),
        "refresh_endpoint": url("/auth/refresh"),
        "logout_endpoint": url("/auth/logout"),
        "user_endpoint": url("/auth/me"),
        "register_endpoint": url("/auth/register"),
        "forward_auth_endpoint": url("/auth/verify"),
        "claims_supported": claims,
    })
}
