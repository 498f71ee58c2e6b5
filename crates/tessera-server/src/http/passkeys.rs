//! Passkeys over HTTP: register (fresh token), list, rename and delete a
//! signed-in user's passkeys, and sign in with one and no password.
//!
//! Each ceremony is a `start` answering `{ceremony_id, publicKey}` (the
//! options in WebAuthn's JSON form, ready for
//! `PublicKeyCredential.parseCreationOptionsFromJSON` /
//! `parseRequestOptionsFromJSON`) and a `finish` taking
//! `{ceremony_id, credential}` (the credential's `toJSON()`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::{Value, json};
use tessera::{FreshJwt, Jwt};

use super::auth::{DeliveryQuery, check_ip_rate};
use super::client::Client;
use super::error::ApiError;
use super::json::ApiJson;
use super::metrics::Metrics;
use super::params::{ApiPath, ApiQuery};
use super::state::AppState;
use super::tokens::{self, Delivery, SessionClaims};
use crate::domain::{CeremonyStart, PasskeyError, PasskeyService};
use crate::store::PasskeyRecord;

/// `POST /auth/passkeys/register/finish` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterFinishBody {
    ceremony_id: String,
    credential: Value,
    #[serde(default)]
    name: Option<String>,
}

/// `POST /auth/passkeys/login/finish` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginFinishBody {
    ceremony_id: String,
    credential: Value,
}

/// `PATCH /auth/passkeys/{id}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    name: String,
}

/// `POST /auth/passkeys/register/start`: options for
/// `navigator.credentials.create` (a discoverable credential, user
/// verification required). Needs a fresh token.
pub async fn register_start(
    State(state): State<AppState>,
    token: FreshJwt<SessionClaims>,
) -> Result<Json<Value>, ApiError> {
    let passkeys = service(&state)?;
    let start = passkeys
        .start_registration(&token.claims().sub)
        .await
        .map_err(api_error)?;
    Ok(Json(start_json(start)))
}

/// `POST /auth/passkeys/register/finish`: 201 with the new passkey.
pub async fn register_finish(
    State(state): State<AppState>,
    token: FreshJwt<SessionClaims>,
    ApiJson(body): ApiJson<RegisterFinishBody>,
) -> Result<Response, ApiError> {
    let passkeys = service(&state)?;
    let record = passkeys
        .finish_registration(
            &token.claims().sub,
            &body.ceremony_id,
            &body.credential,
            body.name.as_deref(),
        )
        .await
        .map_err(api_error)?;
    Metrics::inc(&state.metrics.passkeys_registered);
    Ok((StatusCode::CREATED, Json(passkey_json(&record))).into_response())
}

/// `GET /auth/passkeys`: the caller's passkeys.
pub async fn list(
    State(state): State<AppState>,
    token: Jwt<SessionClaims>,
) -> Result<Json<Value>, ApiError> {
    let passkeys = service(&state)?;
    let list = passkeys
        .list(&token.claims().sub)
        .await
        .map_err(api_error)?;
    Ok(Json(
        json!({ "passkeys": list.iter().map(passkey_json).collect::<Vec<_>>() }),
    ))
}

/// `PATCH /auth/passkeys/{id}`: renames one; 204.
pub async fn rename(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    token: Jwt<SessionClaims>,
    ApiJson(body): ApiJson<RenameBody>,
) -> Result<StatusCode, ApiError> {
    let passkeys = service(&state)?;
    passkeys
        .rename(&token.claims().sub, &id, &body.name)
        .await
        .map_err(api_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /auth/passkeys/{id}`: 204, unless it is the caller's last way
/// to sign in (409).
pub async fn delete(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    token: Jwt<SessionClaims>,
) -> Result<StatusCode, ApiError> {
    let passkeys = service(&state)?;
    passkeys
        .delete(&token.claims().sub, &id)
        .await
        .map_err(api_error)?;
    Metrics::inc(&state.metrics.passkeys_deleted);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/passkeys/login/start`: options for
/// `navigator.credentials.get` with no credential list (no username is
/// asked: the authenticator offers the passkeys it holds). Counts toward
/// the per-IP limit.
pub async fn login_start(
    State(state): State<AppState>,
    client: Client,
) -> Result<Json<Value>, ApiError> {
    check_ip_rate(&state, &client).await?;
    let passkeys = service(&state)?;
    let start = passkeys.start_sign_in().await.map_err(api_error)?;
    Ok(Json(start_json(start)))
}

/// `POST /auth/passkeys/login/finish`: the same token pair (or cookies,
/// `?cookies=true`) as a password login, fresh.
pub async fn login_finish(
    State(state): State<AppState>,
    client: Client,
    ApiQuery(delivery): ApiQuery<DeliveryQuery>,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginFinishBody>,
) -> Result<Response, ApiError> {
    check_ip_rate(&state, &client).await?;
    let passkeys = service(&state)?;
    let sign_in = match passkeys
        .finish_sign_in(&body.ceremony_id, &body.credential, client.0)
        .await
    {
        Ok(sign_in) => sign_in,
        Err(err) => {
            Metrics::inc(&state.metrics.passkey_logins_failed);
            if matches!(err, PasskeyError::PossibleClone) {
                Metrics::inc(&state.metrics.passkey_clones);
            }
            return Err(api_error(err));
        }
    };
    Metrics::inc(&state.metrics.passkey_logins_ok);
    let pair = tokens::mint(&state, &sign_in.grant, true)?;
    let delivery = if delivery.cookies() {
        Delivery::Cookies
    } else {
        Delivery::Body
    };
    Ok(tokens::respond(&state, pair, delivery, jar))
}

/// The passkey service, or 404 when this server offers none (its public
/// URL cannot be a relying party).
pub(super) fn service(state: &AppState) -> Result<&PasskeyService, ApiError> {
    state.passkeys.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "passkeys_unavailable",
            "passkeys are not offered here: TESSERA_PUBLIC_URL must name the server by a domain name",
        )
    })
}

pub(super) fn start_json(start: CeremonyStart) -> Value {
    let mut body = start.options;
    if let Some(object) = body.as_object_mut() {
        object.insert("ceremony_id".to_owned(), Value::String(start.ceremony_id));
    }
    body
}

/// The public view of a passkey (never the credential itself).
fn passkey_json(record: &PasskeyRecord) -> Value {
    json!({
        "id": record.id,
        "name": record.name,
        "created_at": record.created_at,
        "last_used_at": record.last_used_at,
    })
}

/// The status and body for each refusal.
pub(super) fn api_error(err: PasskeyError) -> ApiError {
    let message = err.to_string();
    match err {
        PasskeyError::CeremonyInvalid
        | PasskeyError::CredentialMalformed
        | PasskeyError::RegistrationRejected => {
            ApiError::new(StatusCode::BAD_REQUEST, err.code(), message)
        }
        PasskeyError::SignInRejected | PasskeyError::PossibleClone => {
            ApiError::unauthorized(err.code(), message)
        }
        PasskeyError::AlreadyRegistered | PasskeyError::LastWay => {
            ApiError::conflict(err.code(), message)
        }
        PasskeyError::NotFound => ApiError::new(StatusCode::NOT_FOUND, err.code(), message),
        PasskeyError::Disabled => ApiError::new(StatusCode::FORBIDDEN, err.code(), message),
        PasskeyError::SecondFactor(inner) => inner.into(),
        PasskeyError::Auth(inner) => inner.into(),
    }
}
