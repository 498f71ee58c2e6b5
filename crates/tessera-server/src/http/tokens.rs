//! Minting the access + refresh pair for a session, and the JSON that carries it.

use axum::Json;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use tessera::{AMR_CLAIM, Expires, ExtraClaims, SESSION_ID_CLAIM, TokenOptions, TokenType};

use super::error::ApiError;
use super::request_log::note_user;
use super::state::AppState;
use crate::domain::{Grant, whole_seconds};

/// The claim the server adds to every token, as the extractors read it
/// back: the session, under [`SESSION_ID_CLAIM`]. (The roles, under
/// `JWT_ROLES_CLAIM`, are read by the library's `RequireRoles` and by
/// forward auth, not here.)
#[derive(Debug, Clone)]
pub struct SessionClaims {
    /// The session the token belongs to.
    pub sid: String,
}

impl<'de> Deserialize<'de> for SessionClaims {
    // By hand, so the claim's name is the one constant the library's
    // revocation check reads, not a field name spelled again here.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut extra = ExtraClaims::deserialize(deserializer)?;
        match extra.remove(SESSION_ID_CLAIM) {
            Some(Value::String(sid)) => Ok(SessionClaims { sid }),
            Some(_) => Err(D::Error::custom(format_args!(
                "the {SESSION_ID_CLAIM:?} claim must be a string"
            ))),
            None => Err(D::Error::missing_field(SESSION_ID_CLAIM)),
        }
    }
}

/// The answer to a login or refresh.
#[derive(Debug, Serialize)]
pub struct TokenPair {
    /// Send as `Authorization: Bearer …` on every request.
    pub access_token: String,
    /// Exchange at `/auth/refresh`; single use.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Seconds until the refresh token (and at most the session) expires.
    pub refresh_expires_in: i64,
}

/// How the client wants its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In the JSON body.
    Body,
    /// As HttpOnly cookies (plus readable CSRF cookies); the body says so.
    Cookies,
}

/// Mints a pair for `grant`: the access token carries the session id
/// ([`SESSION_ID_CLAIM`]), the roles (under `JWT_ROLES_CLAIM`, where the
/// library's `RequireRoles` reads them) and how the session signed in
/// ([`AMR_CLAIM`], where `RequireAmr` reads it), and
/// is fresh only straight after a password login; the refresh token carries
/// the session's current refresh `jti` and never outlives the session.
pub fn mint(state: &AppState, grant: &Grant, fresh: bool) -> Result<TokenPair, ApiError> {
    let jwt = &state.jwt;
    note_user(&grant.user.id);
    let now = jwt.now();
    let access = jwt
        .issue(
            TokenType::Access,
            grant.user.id.as_str(),
            TokenOptions::new()
                .fresh(fresh)
                .claim(SESSION_ID_CLAIM, &grant.session.id)
                .claim(jwt.config().roles_claim.as_str(), &grant.user.roles)
                .claim(AMR_CLAIM, grant.session.amr.methods()),
        )
        .map_err(|err| ApiError::internal("issue access token", &err))?;
    let refresh_exp = now
        .saturating_add(whole_seconds(jwt.config().token.refresh_expires))
        .min(grant.session.expires_at);
    let refresh = jwt
        .issue(
            TokenType::Refresh,
            grant.user.id.as_str(),
            TokenOptions::new()
                .jti(grant.refresh_jti.clone())
                .expires(Expires::At(refresh_exp))
                .claim(SESSION_ID_CLAIM, &grant.session.id),
        )
        .map_err(|err| ApiError::internal("issue refresh token", &err))?;
    Ok(TokenPair {
        expires_in: access.claims.exp.map_or(0, |exp| exp - now),
        refresh_expires_in: refresh_exp - now,
        access_token: access.token,
        refresh_token: refresh.token,
        token_type: "Bearer",
    })
}

/// The response for a freshly minted pair, delivered as asked.
pub fn respond(state: &AppState, pair: TokenPair, delivery: Delivery, jar: CookieJar) -> Response {
    match delivery {
        Delivery::Body => Json(pair).into_response(),
        Delivery::Cookies => {
            let jar = state
                .jwt
                .set_access_cookies(jar, &pair.access_token)
                .and_then(|jar| state.jwt.set_refresh_cookies(jar, &pair.refresh_token));
            match jar {
                Ok(jar) => (
                    jar,
                    Json(serde_json::json!({
                        "token_type": "cookie",
                        "expires_in": pair.expires_in,
                        "refresh_expires_in": pair.refresh_expires_in,
                    })),
                )
                    .into_response(),
                Err(err) => ApiError::internal("set token cookies", &err).into_response(),
            }
        }
    }
}
