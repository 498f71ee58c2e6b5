//! A user's own sessions and password.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tessera::{FreshJwt, Jwt};

use super::auth::failure_key;
use super::error::ApiError;
use super::json::ApiJson;
use super::metrics::Metrics;
use super::params::ApiPath;
use super::state::AppState;
use super::tokens::SessionClaims;
use crate::domain::{AccountError, Password, SessionInfo};

/// The public view of a session.
pub fn session_json(session: &SessionInfo) -> serde_json::Value {
    json!({
        "id": session.id,
        "created_at": session.created_at,
        "last_used_at": session.last_used_at,
        "expires_at": session.expires_at,
        "user_agent": session.user_agent,
        "ip": session.ip,
        "amr": session.amr,
        "current": session.current,
    })
}

/// `GET /auth/sessions`: the caller's live sessions, the current one flagged.
pub async fn list(
    State(state): State<AppState>,
    token: Jwt<SessionClaims>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let sessions = state
        .auth
        .list_sessions(&token.claims().sub, Some(&token.extra().sid))
        .await?;
    let sessions: Vec<_> = sessions.iter().map(session_json).collect();
    Ok(Json(json!({ "sessions": sessions })))
}

/// `DELETE /auth/sessions/{id}`: 204, or 404 for a session that is not the
/// caller's (the same answer as for one that does not exist).
pub async fn end(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    token: Jwt<SessionClaims>,
) -> Result<Response, ApiError> {
    state.auth.end_session(&token.claims().sub, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /auth/password` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// Left out only to set the first password of an account that has
    /// none (one created by a provider sign-in).
    #[serde(default)]
    current_password: Option<String>,
    new_password: String,
}

/// `POST /auth/password`: needs a fresh token and the current password —
/// or, for an account without a password (created by a provider sign-in),
/// no `current_password`: the first password is set. Ends every other
/// session of the user. Wrong current passwords count toward the account's
/// failed-login limit, so a stolen token is no unthrottled way to guess the
/// password.
pub async fn change_password(
    State(state): State<AppState>,
    token: FreshJwt<SessionClaims>,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = state.auth.user(&token.claims().sub).await?;
    let account_key = failure_key(&user.username);
    let now = state.auth.now();
    if let Err(retry) = state.limits.login_failures.acquire(&account_key, now).await {
        Metrics::inc(&state.metrics.rate_limited);
        return Err(ApiError::too_many_requests(retry.0));
    }
    let session = Some(token.extra().sid.as_str());
    let new = Password::new(body.new_password);
    let outcome = match body.current_password {
        Some(current) => {
            state
                .auth
                .change_password(&user.id, session, &Password::new(current), &new)
                .await
        }
        None => state.auth.set_first_password(&user.id, session, &new).await,
    };
    // Counted as a failure until the current password proves right (the
    // new one is only checked after it), as with a successful login.
    if matches!(outcome, Ok(_) | Err(AccountError::Validation(_))) {
        state.limits.login_failures.clear(&account_key).await;
    }
    Ok(Json(json!({ "ended_sessions": outcome? })))
}
