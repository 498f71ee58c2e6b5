//! Register, log in, refresh, log out, who am I.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::json;
use tessera::{Jwt, Location, RefreshJwt};

use super::client::Client;
use super::error::ApiError;
use super::json::ApiJson;
use super::metrics::Metrics;
use super::params::ApiQuery;
use super::request_log::note_user;
use super::state::AppState;
use super::tokens::{self, Delivery, SessionClaims};
use crate::domain::{
    AccountError, LogoutScope, Password, RefreshError, Registration, RotationOutcome,
    SignInOutcome, User, Username,
};

/// `POST /auth/register` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    username: String,
    password: String,
    #[serde(default)]
    email: Option<String>,
}

/// `POST /auth/login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// `?cookies=true` on login asks for HttpOnly cookies instead of a JSON pair.
#[derive(Debug, Default, Deserialize)]
pub struct DeliveryQuery {
    #[serde(default)]
    cookies: bool,
}

impl From<DeliveryQuery> for Delivery {
    fn from(query: DeliveryQuery) -> Self {
        if query.cookies {
            Delivery::Cookies
        } else {
            Delivery::Body
        }
    }
}

impl DeliveryQuery {
    /// Whether cookies were asked for.
    pub fn cookies(&self) -> bool {
        self.cookies
    }
}

/// The public view of a user.
pub fn user_json(user: &User) -> serde_json::Value {
    json!({
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "roles": user.roles,
        "disabled": user.disabled,
        "created_at": user.created_at,
    })
}

/// The per-IP limit on everything that tries credentials or starts a
/// sign-in: password logins, registrations, and the social sign-in entry
/// points (each of which costs a provider round trip or a stored flow).
pub(super) async fn check_ip_rate(state: &AppState, client: &Client) -> Result<(), ApiError> {
    let now = state.auth.now();
    if let Err(retry) = state.limits.per_ip.acquire(&client.ip_key(), now).await {
        Metrics::inc(&state.metrics.rate_limited);
        return Err(ApiError::too_many_requests(retry.0));
    }
    Ok(())
}

/// Longest failure-limiter key kept, in bytes: well above any valid username
/// (64 characters), so valid names never collide, while a flood of failed
/// logins with 60 KiB usernames cannot make the limiter hold gigabytes.
const MAX_FAILURE_KEY_BYTES: usize = 512;

/// The rate-limit key for failed logins: the account key the login looks up
/// (trimmed, NFKC, case-folded, so look-alike spellings of one name share a
/// limit), cut to a bounded length at a character boundary.
pub(crate) fn failure_key(username: &str) -> String {
    let mut key = Username::lookup_key(username);
    if key.len() > MAX_FAILURE_KEY_BYTES {
        let mut end = MAX_FAILURE_KEY_BYTES;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
    }
    key
}

/// `POST /auth/register`: 201 with the user.
pub async fn register(
    State(state): State<AppState>,
    client: Client,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Response, ApiError> {
    check_ip_rate(&state, &client).await?;
    let user = state
        .auth
        .register(Registration::new(
            body.username,
            Password::new(body.password),
            body.email,
        ))
        .await?;
    Metrics::inc(&state.metrics.registrations);
    note_user(&user.id);
    Ok((StatusCode::CREATED, Json(user_json(&user))).into_response())
}

/// `POST /auth/login`: a fresh access token and a refresh token.
pub async fn login(
    State(state): State<AppState>,
    client: Client,
    ApiQuery(delivery): ApiQuery<DeliveryQuery>,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    check_ip_rate(&state, &client).await?;
    let now = state.auth.now();
    // Keyed by the account key of what was typed, whether or not the
    // account exists. The attempt counts as a failure from the start (a
    // success clears it), so parallel guesses cannot all pass the check.
    let account_key = failure_key(&body.username);
    if let Err(retry) = state.limits.login_failures.acquire(&account_key, now).await {
        Metrics::inc(&state.metrics.rate_limited);
        return Err(ApiError::too_many_requests(retry.0));
    }
    let outcome = match state
        .auth
        .sign_in(&body.username, &Password::new(body.password), client.0)
        .await
    {
        Ok(outcome) => outcome,
        Err(err) => {
            if matches!(
                err,
                AccountError::InvalidCredentials | AccountError::Validation(_)
            ) {
                Metrics::inc(&state.metrics.logins_failed);
                // Malformed usernames get the same answer as wrong passwords.
                return Err(AccountError::InvalidCredentials.into());
            }
            return Err(err.into());
        }
    };
    let grant = match outcome {
        SignInOutcome::Session(grant) => grant,
        // The password was right: the failure count waits for the code
        // (`/auth/mfa/verify` clears it, or counts a wrong one).
        SignInOutcome::SecondFactor(challenge) => {
            return Ok(super::mfa::challenge_response(&challenge));
        }
    };
    state.limits.login_failures.clear(&account_key).await;
    Metrics::inc(&state.metrics.logins_ok);
    let pair = tokens::mint(&state, &grant, true)?;
    Ok(tokens::respond(&state, pair, delivery.into(), jar))
}

/// `POST /auth/refresh`: rotates the refresh token (header, cookie or JSON).
pub async fn refresh(
    State(state): State<AppState>,
    jar: CookieJar,
    token: RefreshJwt<SessionClaims>,
) -> Result<Response, ApiError> {
    let claims = token.claims();
    let Some(jti) = claims.jti.as_deref() else {
        Metrics::inc(&state.metrics.refreshes_failed);
        return Err(ApiError::unauthorized(
            "invalid_token",
            "the refresh token has no jti",
        ));
    };
    let rotation = match state.auth.rotate(&token.extra().sid, jti).await {
        Ok(rotation) => rotation,
        Err(err) => {
            Metrics::inc(&state.metrics.refreshes_failed);
            if matches!(err, AccountError::Refresh(RefreshError::Reuse)) {
                Metrics::inc(&state.metrics.refresh_reuse);
            }
            return Err(err.into());
        }
    };
    // A refresh token names its user; a session of someone else is a forgery.
    if rotation.grant.user.id != claims.sub {
        Metrics::inc(&state.metrics.refreshes_failed);
        return Err(ApiError::unauthorized(
            "invalid_token",
            "the refresh token does not match its session",
        ));
    }
    if matches!(rotation.outcome, RotationOutcome::GraceReplay) {
        tracing::debug!(session = %rotation.grant.session.id, "refresh replayed within the grace window");
    }
    Metrics::inc(&state.metrics.refreshes_ok);
    let pair = tokens::mint(&state, &rotation.grant, false)?;
    let delivery = if token.location() == Location::Cookies {
        Delivery::Cookies
    } else {
        Delivery::Body
    };
    Ok(tokens::respond(&state, pair, delivery, jar))
}

/// `?scope=` of `/auth/logout`.
#[derive(Debug, Default, Deserialize)]
pub struct ScopeQuery {
    #[serde(default)]
    scope: Option<String>,
}

/// `POST /auth/logout?scope=local|others|global`.
pub async fn logout(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ScopeQuery>,
    jar: CookieJar,
    token: Jwt<SessionClaims>,
) -> Result<Response, ApiError> {
    let scope = match query.scope.as_deref() {
        None => LogoutScope::Local,
        Some(text) => text
            .parse::<LogoutScope>()
            .map_err(|_| ApiError::validation("scope", "scope must be local, others or global"))?,
    };
    let ended = state
        .auth
        .logout(&token.claims().sub, Some(&token.extra().sid), scope)
        .await?;
    let jar = if scope == LogoutScope::Others {
        jar
    } else {
        state.jwt.unset_jwt_cookies(jar)
    };
    Ok((jar, Json(json!({ "ended_sessions": ended }))).into_response())
}

/// `GET /auth/me`.
pub async fn me(
    State(state): State<AppState>,
    token: Jwt<SessionClaims>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = state
        .auth
        .current_user(&token.claims().sub)
        .await
        .map_err(|err| match err {
            // The token outlived its user (deleted meanwhile).
            AccountError::NotFound(_) => {
                ApiError::unauthorized("user_not_found", "the user no longer exists")
            }
            other => other.into(),
        })?;
    Ok(Json(user_json(&user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_keys_are_case_blind_and_bounded() {
        assert_eq!(failure_key("  Ada "), "ada");
        let flood = "é".repeat(40_000);
        let key = failure_key(&flood);
        assert!(key.len() <= MAX_FAILURE_KEY_BYTES);
        assert!(key.chars().all(|c| c == 'é'));
    }
}
