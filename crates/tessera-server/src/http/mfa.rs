//! Second factors over HTTP: enrol and confirm a TOTP authenticator,
//! finish a sign-in with a code, turn it off, new recovery codes, and the
//! admin's reset.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::json;
use tessera::{FreshJwt, Jwt};

use super::auth::{DeliveryQuery, check_ip_rate, failure_key};
use super::client::Client;
use super::error::ApiError;
use super::json::ApiJson;
use super::metrics::Metrics;
use super::params::{ApiPath, ApiQuery};
use super::state::AppState;
use super::tokens::{self, SessionClaims};
use crate::domain::{Grant, MfaError, SecondFactor};

impl From<MfaError> for ApiError {
    fn from(err: MfaError) -> ApiError {
        match err {
            MfaError::InvalidToken => ApiError::unauthorized("invalid_mfa_token", err.to_string()),
            MfaError::InvalidCode => ApiError::unauthorized("invalid_mfa_code", err.to_string()),
            MfaError::AlreadyEnabled => ApiError::conflict("mfa_already_enabled", err.to_string()),
            MfaError::NotEnabled => ApiError::conflict("mfa_not_enabled", err.to_string()),
            MfaError::NoPendingEnrolment => {
                ApiError::conflict("mfa_enrolment_not_started", err.to_string())
            }
            MfaError::Unavailable(why) => {
                tracing::error!(problem = why, "second factors unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "mfa_unavailable",
                    "second factors are not available on this server",
                )
            }
            MfaError::Account(account) => account.into(),
            // `MfaError` is non-exhaustive for callers outside the crate only.
            #[allow(unreachable_patterns)]
            other => ApiError::internal("second factor", &other),
        }
    }
}

/// A body holding one current code.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    code: String,
}

/// `POST /auth/mfa/verify` body: the token and one of the two codes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    mfa_token: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    recovery_code: Option<String>,
}

/// `GET /auth/mfa`: the caller's second factors.
pub async fn status(
    State(state): State<AppState>,
    token: Jwt<SessionClaims>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let status = state.auth.mfa_status(&token.claims().sub).await?;
    Ok(Json(json!(status)))
}

/// `POST /auth/mfa/totp` (fresh token): a new secret, its URI and QR code.
pub async fn enrol(
    State(state): State<AppState>,
    token: FreshJwt<SessionClaims>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let enrolment = state.auth.enrol_totp(&token.claims().sub).await?;
    Ok(Json(json!(enrolment)))
}

/// `POST /auth/mfa/totp/confirm {code}` (fresh token): turns TOTP on;
/// the ten recovery codes, shown this once.
pub async fn confirm(
    State(state): State<AppState>,
    token: FreshJwt<SessionClaims>,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = token.claims().sub.clone();
    let codes = guarded(&state, &user, state.auth.confirm_totp(&user, &body.code)).await?;
    Ok(Json(json!({ "enabled": true, "recovery_codes": codes })))
}

/// `DELETE /auth/mfa/totp {code}` (fresh token): turns the second factor off.
pub async fn disable(
    State(state): State<AppState>,
    token: FreshJwt<SessionClaims>,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = token.claims().sub.clone();
    guarded(&state, &user, state.auth.disable_totp(&user, &body.code)).await?;
    Ok(Json(json!({ "enabled": false })))
}

/// `POST /auth/mfa/recovery-codes {code}` (fresh token): ten new codes.
pub async fn regenerate(
    State(state): State<AppState>,
    token: FreshJwt<SessionClaims>,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = token.claims().sub.clone();
    let codes = guarded(
        &state,
        &user,
        state.auth.regenerate_recovery_codes(&user, &body.code),
    )
    .await?;
    Ok(Json(json!({ "recovery_codes": codes })))
}

/// Runs a code check of a signed-in user under the account's failed-login
/// limit: a stolen session cannot guess codes faster than a password.
async fn guarded<T>(
    state: &AppState,
    user_id: &str,
    check: impl Future<Output = Result<T, MfaError>>,
) -> Result<T, ApiError> {
    let user = state.auth.user(user_id).await?;
    let key = failure_key(&user.username);
    if let Err(retry) = state
        .limits
        .login_failures
        .acquire(&key, state.auth.now())
        .await
    {
        Metrics::inc(&state.metrics.rate_limited);
        return Err(ApiError::too_many_requests(retry.0));
    }
    let outcome = check.await;
    if outcome.is_ok() {
        state.limits.login_failures.clear(&key).await;
    }
    Ok(outcome?)
}

/// `POST /auth/mfa/verify {mfa_token, code | recovery_code}`: finishes a
/// password sign-in; the tokens, delivered as `?cookies=true` asks.
pub async fn verify(
    State(state): State<AppState>,
    client: Client,
    ApiQuery(delivery): ApiQuery<DeliveryQuery>,
    jar: CookieJar,
    ApiJson(body): ApiJson<VerifyBody>,
) -> Result<Response, ApiError> {
    check_ip_rate(&state, &client).await?;
    let factor = match (body.code, body.recovery_code) {
        (Some(code), None) => SecondFactor::Totp(code),
        (None, Some(code)) => SecondFactor::RecoveryCode(code),
        _ => {
            return Err(ApiError::validation(
                "code",
                "send exactly one of code and recovery_code",
            ));
        }
    };
    let key = admit_second_step(&state, &body.mfa_token).await?;
    let grant = match state
        .auth
        .verify_second_factor(&body.mfa_token, &factor, client.0)
        .await
    {
        Ok(grant) => grant,
        Err(err) => {
            Metrics::inc(&state.metrics.mfa_failed);
            return Err(err.into());
        }
    };
    complete_second_step(&state, &key, &grant, delivery, jar).await
}

/// The opening of every second step (a code or a passkey): the `mfa_token`
/// must be live, and the attempt counts toward its account's failed-login
/// limit, as a password does. Returns the limit's key, which a right answer
/// clears ([`complete_second_step`]).
pub(super) async fn admit_second_step(
    state: &AppState,
    mfa_token: &str,
) -> Result<String, ApiError> {
    let user = match state.auth.challenge_user(mfa_token).await {
        Ok(user) => user,
        Err(err) => {
            Metrics::inc(&state.metrics.mfa_failed);
            return Err(err.into());
        }
    };
    let key = failure_key(&user.username);
    if let Err(retry) = state
        .limits
        .login_failures
        .acquire(&key, state.auth.now())
        .await
    {
        Metrics::inc(&state.metrics.rate_limited);
        return Err(ApiError::too_many_requests(retry.0));
    }
    Ok(key)
}

/// The answer to a second step that succeeded: the account's failures
/// cleared, counted, and the token pair delivered as asked.
pub(super) async fn complete_second_step(
    state: &AppState,
    key: &str,
    grant: &Grant,
    delivery: DeliveryQuery,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    state.limits.login_failures.clear(key).await;
    Metrics::inc(&state.metrics.mfa_verified);
    Metrics::inc(&state.metrics.logins_ok);
    let pair = tokens::mint(state, grant, true)?;
    Ok(tokens::respond(state, pair, delivery.into(), jar))
}

/// `POST /admin/users/{id}/mfa/reset` (admin): removes the user's second
/// factors; audited with the admin's id.
pub async fn admin_reset(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    actor: Jwt<SessionClaims>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let had = state.auth.reset_mfa(&id, Some(&actor.claims().sub)).await?;
    Ok(Json(json!({ "reset": true, "had_totp": had })))
}

/// The answer to a login whose password was right but whose second factor
/// is due: 200, no tokens.
pub fn challenge_response(challenge: &crate::domain::MfaChallenge) -> Response {
    Json(json!({
        "mfa_required": true,
        "mfa_token": challenge.token,
        "methods": challenge.methods,
        "expires_in": challenge.expires_in,
    }))
    .into_response()
}
