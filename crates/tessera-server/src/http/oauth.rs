//! Social sign-in over HTTP: the provider list, the browser flow (start →
//! provider → callback), native id_tokens, and a user's linked identities.
//!
//! The browser flow never puts a token in a URL: the callback answers
//! `302` to the checked `return_to` with Tessera's cookies (and their CSRF
//! companions, as for a cookie login). Once the flow's `return_to` is known
//! every failure goes back there as `?error=<code>`; before that (no or
//! unknown `state`, another browser) it is a `400` here, so nothing can use
//! the callback as an open redirect.

use axum::Json;
use axum::extract::State;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::json;
use tessera::{FreshJwt, Jwt};

use super::auth::check_ip_rate;
use super::client::Client;
use super::error::ApiError;
use super::json::ApiJson;
use super::metrics::Metrics;
use super::params::{ApiPath, ApiQuery};
use super::state::AppState;
use super::tokens::{self, Delivery, SessionClaims};
use crate::domain::{AccountError, IdentityError};
use crate::oauth::flow::{FLOW_COOKIE, FLOW_LIFETIME_SECONDS, fingerprint, new_flow};
use crate::oauth::{FlowParams, IdentityProvider, NativeSignIn, ProviderError, VerifiedIdentity};
use crate::store::{FlowRecord, IdentityRecord};

/// `?return_to=` of the start and link endpoints.
#[derive(Debug, Deserialize)]
pub struct ReturnToQuery {
    #[serde(default)]
    return_to: Option<String>,
}

/// What a provider sends to the callback (anything else is ignored).
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    error: Option<String>,
    /// RFC 9207.
    #[serde(default)]
    iss: Option<String>,
}

/// `POST /auth/oauth/{provider}/id-token` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdTokenBody {
    id_token: String,
    #[serde(default)]
    nonce: Option<String>,
}

/// `POST /auth/oauth/facebook/access-token` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessTokenBody {
    access_token: String,
}

/// `GET /auth/providers`: the enabled providers, for a sign-in page.
pub async fn providers(State(state): State<AppState>) -> Json<serde_json::Value> {
    let list: Vec<_> = state
        .providers
        .iter()
        .map(|provider| json!({ "id": provider.id(), "name": provider.display_name() }))
        .collect();
    Json(json!({ "providers": list }))
}

/// `GET /auth/oauth/{provider}/start?return_to=URL`: 302 to the provider.
pub async fn start(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    client: Client,
    ApiQuery(query): ApiQuery<ReturnToQuery>,
) -> Result<Response, ApiError> {
    let provider = find(&state, &provider)?;
    check_ip_rate(&state, &client).await?;
    let return_to = checked_return_to(&state, query.return_to)?;
    let (url, cookie) = begin(&state, provider.as_ref(), return_to, None).await?;
    let mut response = redirect(&url);
    set_flow_cookie(&state, &mut response, Some(&cookie));
    Ok(response)
}

/// `POST /auth/oauth/{provider}/link?return_to=URL` (fresh token): the
/// provider URL at which the signed-in user proves the identity to link;
/// the callback links it instead of signing in.
pub async fn link(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReturnToQuery>,
    token: FreshJwt<SessionClaims>,
) -> Result<Response, ApiError> {
    let provider = find(&state, &provider)?;
    let return_to = checked_return_to(&state, query.return_to)?;
    let user_id = token.claims().sub.clone();
    let (url, cookie) = begin(&state, provider.as_ref(), return_to, Some(user_id)).await?;
    let mut response = Json(json!({ "authorization_url": url })).into_response();
    set_flow_cookie(&state, &mut response, Some(&cookie));
    Ok(response)
}

/// `GET /auth/oauth/{provider}/callback`: finishes the browser flow.
pub async fn callback(
    State(state): State<AppState>,
    ApiPath(provider_id): ApiPath<String>,
    client: Client,
    jar: CookieJar,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Result<Response, ApiError> {
    let provider = find(&state, &provider_id)?;
    let flow = match take_flow(&state, &provider_id, &jar, query.state.as_deref()).await {
        Ok(flow) => flow,
        Err(err) => {
            fail(&state, &provider_id, err.code(), None).await;
            let mut response = err.into_response();
            set_flow_cookie(&state, &mut response, None);
            return Ok(response);
        }
    };
    let link_user = flow.link_user_id.clone();
    let outcome = finish(&state, provider.as_ref(), &flow, &query, client, jar).await;
    let mut response = match outcome {
        Ok(response) => response,
        Err(code) => {
            fail(&state, &provider_id, code, link_user.as_deref()).await;
            redirect(&with_error(&flow.return_to, code))
        }
    };
    set_flow_cookie(&state, &mut response, None);
    Ok(response)
}

/// `POST /auth/oauth/{provider}/id-token`: a native app's id_token for
/// Tessera's tokens (JSON).
pub async fn id_token(
    State(state): State<AppState>,
    ApiPath(provider_id): ApiPath<String>,
    client: Client,
    jar: CookieJar,
    ApiJson(body): ApiJson<IdTokenBody>,
) -> Result<Response, ApiError> {
    let provider = find(&state, &provider_id)?;
    check_ip_rate(&state, &client).await?;
    let verified = provider
        .verify_native(NativeSignIn {
            id_token: &body.id_token,
            nonce: body.nonce.as_deref(),
        })
        .await;
    native_sign_in(&state, &provider_id, verified, client, jar).await
}

/// `POST /auth/oauth/facebook/access-token`: a native app's classic
/// Facebook user access token (checked with Graph's `debug_token`) for
/// Tessera's tokens (JSON).
pub async fn facebook_access_token(
    State(state): State<AppState>,
    client: Client,
    jar: CookieJar,
    ApiJson(body): ApiJson<AccessTokenBody>,
) -> Result<Response, ApiError> {
    let facebook = state
        .providers
        .facebook()
        .cloned()
        .ok_or_else(unknown_provider)?;
    check_ip_rate(&state, &client).await?;
    let verified = facebook.verify_access_token(&body.access_token).await;
    native_sign_in(&state, facebook.id(), verified, client, jar).await
}

/// Signs a native app in with what its provider verified; Tessera's tokens
/// as JSON.
async fn native_sign_in(
    state: &AppState,
    provider_id: &str,
    verified: Result<VerifiedIdentity, ProviderError>,
    client: Client,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let identity = match verified {
        Ok(identity) => identity,
        Err(err) => {
            fail(state, provider_id, err.code(), None).await;
            return Err(provider_error(&err));
        }
    };
    let signed_in = match state
        .auth
        .sign_in_with_identity(provider_id, &identity, client.0)
        .await
    {
        Ok(signed_in) => signed_in,
        Err(err) => {
            fail(state, provider_id, err.code(), None).await;
            return Err(identity_error(err));
        }
    };
    Metrics::inc(&state.metrics.social_logins_ok);
    let pair = tokens::mint(state, &signed_in.grant, true)?;
    Ok(tokens::respond(state, pair, Delivery::Body, jar))
}

/// `GET /auth/identities`: the caller's linked identities.
pub async fn identities(
    State(state): State<AppState>,
    token: Jwt<SessionClaims>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let list = state.auth.identities(&token.claims().sub).await?;
    Ok(Json(
        json!({ "identities": list.iter().map(identity_json).collect::<Vec<_>>() }),
    ))
}

/// `DELETE /auth/identities/{id}`: unlinks one, unless it is the last way
/// the caller can sign in.
pub async fn unlink(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    token: Jwt<SessionClaims>,
) -> Result<StatusCode, ApiError> {
    state
        .auth
        .unlink_identity(&token.claims().sub, &id)
        .await
        .map_err(identity_error)?;
    Metrics::inc(&state.metrics.identities_unlinked);
    Ok(StatusCode::NO_CONTENT)
}

/// The public view of an identity.
fn identity_json(identity: &IdentityRecord) -> serde_json::Value {
    json!({
        "id": identity.id,
        "provider": identity.provider,
        "issuer": identity.issuer,
        "subject": identity.subject,
        "email": identity.email,
        "created_at": identity.created_at,
        "last_used_at": identity.last_used_at,
    })
}

fn find(state: &AppState, id: &str) -> Result<std::sync::Arc<dyn IdentityProvider>, ApiError> {
    state
        .providers
        .get(id)
        .cloned()
        .ok_or_else(unknown_provider)
}

fn unknown_provider() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_provider",
        "no sign-in provider with that id is configured; see /auth/providers",
    )
}

fn checked_return_to(state: &AppState, return_to: Option<String>) -> Result<String, ApiError> {
    match return_to {
        Some(url) if state.social.return_to.allows(&url) => Ok(url),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_return_to",
            "return_to must be an absolute URL on the allowed list (TESSERA_RETURN_TO)",
        )),
    }
}

/// Makes and stores a flow; the provider URL and the binding cookie value.
/// With `link_user_id`, the callback links the identity to that user
/// instead of signing in (the account page starts its link flow here).
pub async fn begin(
    state: &AppState,
    provider: &dyn IdentityProvider,
    return_to: String,
    link_user_id: Option<String>,
) -> Result<(String, String), ApiError> {
    let random_failed = |err: &dyn std::fmt::Display| ApiError::internal("random", err);
    let params =
        new_flow(state.social.callback_url(provider.id())).map_err(|err| random_failed(&err))?;
    let binding = crate::oauth::flow::random_value().map_err(|err| random_failed(&err))?;
    let request = provider
        .authorization_request(&params)
        .await
        .map_err(|err| provider_error(&err))?;
    let now = state.auth.now();
    let record = FlowRecord {
        state_hash: fingerprint(&params.state),
        provider: provider.id().to_owned(),
        binding_hash: fingerprint(&binding),
        nonce: params.nonce.clone(),
        pkce_verifier: params.pkce_verifier.clone(),
        return_to,
        link_user_id,
        created_at: now,
        expires_at: now.saturating_add(FLOW_LIFETIME_SECONDS),
    };
    state.auth.begin_flow(&record).await?;
    Ok((request.url, binding))
}

/// Why a callback has no usable flow: always a 400 here, never a redirect.
#[derive(Debug)]
enum FlowRefused {
    Invalid(&'static str),
    Store(ApiError),
}

impl FlowRefused {
    fn code(&self) -> &'static str {
        match self {
            FlowRefused::Invalid(_) => "invalid_state",
            FlowRefused::Store(err) => err.code(),
        }
    }

    fn into_response(self) -> Response {
        match self {
            FlowRefused::Invalid(why) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_state", why).into_response()
            }
            FlowRefused::Store(err) => err.into_response(),
        }
    }
}

/// The flow the callback's `state` names, taken (single use) and checked
/// against this browser's cookie, the provider and the time.
async fn take_flow(
    state: &AppState,
    provider: &str,
    jar: &CookieJar,
    flow_state: Option<&str>,
) -> Result<FlowRecord, FlowRefused> {
    let Some(flow_state) = flow_state.filter(|value| !value.is_empty()) else {
        return Err(FlowRefused::Invalid("the callback has no state"));
    };
    let Some(binding) = jar.get(FLOW_COOKIE).map(|cookie| cookie.value().to_owned()) else {
        return Err(FlowRefused::Invalid(
            "no sign-in was started in this browser (or it took too long)",
        ));
    };
    let flow = state
        .auth
        .take_flow(&fingerprint(flow_state))
        .await
        .map_err(|err| FlowRefused::Store(err.into()))?
        .ok_or(FlowRefused::Invalid(
            "unknown, used or expired state; start the sign-in again",
        ))?;
    // Fingerprints of random values, compared in constant time anyway.
    let same_browser = aws_lc_rs::constant_time::verify_slices_are_equal(
        flow.binding_hash.as_bytes(),
        fingerprint(&binding).as_bytes(),
    )
    .is_ok();
    if !same_browser {
        return Err(FlowRefused::Invalid(
            "this sign-in was started in another browser",
        ));
    }
    if flow.provider != provider {
        return Err(FlowRefused::Invalid(
            "the state belongs to another provider",
        ));
    }
    if flow.expires_at <= state.auth.now() {
        return Err(FlowRefused::Invalid(
            "the sign-in took too long; start it again",
        ));
    }
    Ok(flow)
}

/// The rest of the callback; on failure, the code for `?error=`.
async fn finish(
    state: &AppState,
    provider: &dyn IdentityProvider,
    flow: &FlowRecord,
    query: &CallbackQuery,
    client: Client,
    jar: CookieJar,
) -> Result<Response, &'static str> {
    if let Some(error) = &query.error {
        return Err(provider_refusal(error));
    }
    let Some(code) = query.code.as_deref().filter(|code| !code.is_empty()) else {
        return Err("invalid_request");
    };
    let params = FlowParams {
        redirect_uri: state.social.callback_url(provider.id()),
        state: String::new(),
        nonce: flow.nonce.clone(),
        pkce_verifier: flow.pkce_verifier.clone(),
    };
    let identity = provider
        .exchange(&params, code, query.iss.as_deref())
        .await
        .map_err(|err| {
            tracing::info!(provider = provider.id(), error = %err, "social sign-in refused");
            err.code()
        })?;
    if let Some(user_id) = &flow.link_user_id {
        state
            .auth
            .link_identity(user_id, provider.id(), &identity)
            .await
            .map_err(|err| redirect_code(&err))?;
        Metrics::inc(&state.metrics.identities_linked);
        return Ok(redirect(&flow.return_to));
    }
    let signed_in = state
        .auth
        .sign_in_with_identity(provider.id(), &identity, client.0)
        .await
        .map_err(|err| redirect_code(&err))?;
    Metrics::inc(&state.metrics.social_logins_ok);
    let pair = tokens::mint(state, &signed_in.grant, true).map_err(|_| "server_error")?;
    let jar = state
        .jwt
        .set_access_cookies(jar, &pair.access_token)
        .and_then(|jar| state.jwt.set_refresh_cookies(jar, &pair.refresh_token))
        .map_err(|_| "server_error")?;
    Ok((jar, redirect(&flow.return_to)).into_response())
}

/// A provider's `error` at the callback, passed on when it is a plain code.
fn provider_refusal(error: &str) -> &'static str {
    const KNOWN: [&str; 8] = [
        "access_denied",
        "invalid_request",
        "unauthorized_client",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "login_required",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == error)
        .unwrap_or("provider_error")
}

fn redirect_code(err: &IdentityError) -> &'static str {
    match err {
        IdentityError::Auth(AccountError::Store(store)) if store.is_unavailable() => {
            "temporarily_unavailable"
        }
        IdentityError::Auth(AccountError::Store(_)) => "server_error",
        other => other.code(),
    }
}

async fn fail(state: &AppState, provider: &str, reason: &str, user_id: Option<&str>) {
    Metrics::inc(&state.metrics.social_logins_failed);
    state.auth.social_failure(provider, reason, user_id).await;
}

fn provider_error(err: &ProviderError) -> ApiError {
    match err {
        ProviderError::Unavailable(why) => {
            tracing::warn!(error = %why, "sign-in provider unavailable");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "provider_unavailable",
                "the sign-in provider could not be reached or answered outside the protocol",
            )
        }
        ProviderError::Unverified(why) => ApiError::unauthorized("invalid_id_token", why.clone()),
        ProviderError::InvalidAccessToken(why) => {
            ApiError::unauthorized("invalid_access_token", why.clone())
        }
        ProviderError::Rejected(code) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            format!("the provider refused: {code}"),
        ),
    }
}

fn identity_error(err: IdentityError) -> ApiError {
    match err {
        IdentityError::LinkedElsewhere | IdentityError::LastWay => {
            ApiError::conflict(err.code(), err.to_string())
        }
        IdentityError::NotFound => {
            ApiError::new(StatusCode::NOT_FOUND, err.code(), err.to_string())
        }
        IdentityError::Disabled => {
            ApiError::new(StatusCode::FORBIDDEN, err.code(), err.to_string())
        }
        IdentityError::Auth(err) => err.into(),
    }
}

fn redirect(url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        // return_to passed the allowlist, which refuses control characters.
        Err(err) => ApiError::internal("redirect", &err).into_response(),
    }
}

/// `url` with `error=<code>` added to its query.
fn with_error(url: &str, code: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}error={code}")
}

/// Sets the browser-binding cookie (`Some`) or clears it (`None`).
pub fn set_flow_cookie(state: &AppState, response: &mut Response, value: Option<&str>) {
    let secure = if state.social.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let (value, max_age) = match value {
        Some(value) => (value, FLOW_LIFETIME_SECONDS),
        None => ("", 0),
    };
    let cookie = format!(
        "{FLOW_COOKIE}={value}; Path=/auth/oauth/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    );
    if let Ok(header) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, header);
    }
}
