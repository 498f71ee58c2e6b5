//! A passkey as the second step of a password sign-in:
//! `POST /auth/mfa/passkey/start {mfa_token}` answers the request options
//! for the user's passkeys and a `ceremony_id`;
//! `POST /auth/mfa/passkey/finish {mfa_token, ceremony_id, credential}`
//! answers the tokens, as `/auth/mfa/verify` does.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::Value;

use super::auth::{DeliveryQuery, check_ip_rate};
use super::client::Client;
use super::error::ApiError;
use super::json::ApiJson;
use super::metrics::Metrics;
use super::mfa::{admit_second_step, complete_second_step};
use super::params::ApiQuery;
use super::passkeys::{api_error, service, start_json};
use super::state::AppState;

/// `POST /auth/mfa/passkey/start` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    mfa_token: String,
}

/// `POST /auth/mfa/passkey/finish` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    mfa_token: String,
    ceremony_id: String,
    credential: Value,
}

/// `POST /auth/mfa/passkey/start`: options for `navigator.credentials.get`
/// naming the passkeys of the `mfa_token`'s user. Counts toward the
/// per-IP limit.
pub async fn start(
    State(state): State<AppState>,
    client: Client,
    ApiJson(body): ApiJson<StartBody>,
) -> Result<Json<Value>, ApiError> {
    check_ip_rate(&state, &client).await?;
    let passkeys = service(&state)?;
    let start = passkeys
        .start_second_factor(&body.mfa_token)
        .await
        .map_err(api_error)?;
    Ok(Json(start_json(start)))
}

/// `POST /auth/mfa/passkey/finish`: finishes the password sign-in; the
/// tokens, delivered as `?cookies=true` asks. A refused assertion counts
/// as a wrong code, against the token and the account's failed-login
/// limit.
pub async fn finish(
    State(state): State<AppState>,
    client: Client,
    ApiQuery(delivery): ApiQuery<DeliveryQuery>,
    jar: CookieJar,
    ApiJson(body): ApiJson<FinishBody>,
) -> Result<Response, ApiError> {
    check_ip_rate(&state, &client).await?;
    let passkeys = service(&state)?;
    let key = admit_second_step(&state, &body.mfa_token).await?;
    let grant = match passkeys
        .finish_second_factor(
            &body.mfa_token,
            &body.ceremony_id,
            &body.credential,
            client.0,
        )
        .await
    {
        Ok(grant) => grant,
        Err(err) => {
            Metrics::inc(&state.metrics.mfa_failed);
            if matches!(err, crate::domain::PasskeyError::PossibleClone) {
                Metrics::inc(&state.metrics.passkey_clones);
            }
            return Err(api_error(err));
        }
    };
    complete_second_step(&state, &key, &grant, delivery, jar).await
}
