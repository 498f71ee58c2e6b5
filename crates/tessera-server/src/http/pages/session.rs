//! Who a page request is from: the library's token cookies, read as the
//! JSON API reads them, with implicit refresh and sign-out.
//!
//! A page load with a valid, unrevoked access cookie is signed in. One
//! whose access token expired or whose session was revoked tries the
//! refresh cookie: a rotation exactly as `POST /auth/refresh` does it (so
//! reuse detection, idle timeout and disabled accounts apply), and new
//! cookies on the response. If that fails too, the cookies are cleared and
//! the person is signed out (the caller sends them to `/login`).

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use tessera::TokenType;

use super::view::PageError;
use crate::domain::{AccountError, Grant};
use crate::http::metrics::Metrics;
use crate::http::state::AppState;
use crate::http::tokens::{self, SessionClaims};

/// A signed-in page request.
#[derive(Debug, Clone)]
pub struct PageUser {
    /// The user's id (`sub`).
    pub user_id: String,
    /// The session (`sid`).
    pub session_id: String,
    /// Whether the access token is fresh (minted by a sign-in, not by a
    /// refresh), as the JSON API's fresh-token routes require.
    pub fresh: bool,
}

/// The outcome of reading the cookies.
#[derive(Debug)]
pub enum Signed {
    /// Signed in; the jar carries renewed cookies when a refresh happened.
    In(PageUser, CookieJar),
    /// Not signed in (any stale token cookies cleared in the jar).
    Out(CookieJar),
}

/// Reads the request's token cookies.
pub async fn resolve(state: &AppState, jar: CookieJar) -> Result<Signed, PageError> {
    let config = &state.jwt.config().cookies;
    if let Some(user) = jar
        .get(&config.access_name)
        .and_then(|cookie| valid_access(state, cookie.value()))
    {
        return Ok(Signed::In(user, jar));
    }
    let Some(refresh) = jar
        .get(&config.refresh_name)
        .map(Cookie::value)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
    else {
        return Ok(Signed::Out(clear_if_present(state, jar)));
    };
    match renew(state, &refresh).await? {
        Some(grant) => {
            let user = PageUser {
                user_id: grant.user.id.clone(),
                session_id: grant.session.id.clone(),
                fresh: false,
            };
            let jar = set_cookies(state, jar, &grant, false)?;
            Ok(Signed::In(user, jar))
        }
        None => Ok(Signed::Out(state.jwt.unset_jwt_cookies(jar))),
    }
}

/// The signed-in user of a valid, unrevoked access token.
fn valid_access(state: &AppState, token: &str) -> Option<PageUser> {
    let token = state.jwt.decode_token::<SessionClaims>(token, false).ok()?;
    let claims = token.claims;
    if claims.token_type != TokenType::Access
        || state
            .auth
            .revoked()
            .is_revoked(Some(&claims.extra.sid), claims.jti.as_deref().unwrap_or(""))
    {
        return None;
    }
    Some(PageUser {
        fresh: claims.fresh.is_fresh_at(state.jwt.now()),
        user_id: claims.sub,
        session_id: claims.extra.sid,
    })
}

/// Rotates the session of a refresh token; `None` when the token or the
/// session is no longer good (the person is signed out).
async fn renew(state: &AppState, refresh: &str) -> Result<Option<Grant>, PageError> {
    let Ok(token) = state.jwt.decode_token::<SessionClaims>(refresh, false) else {
        return Ok(None);
    };
    let claims = token.claims;
    let Some(jti) = claims.jti.as_deref() else {
        return Ok(None);
    };
    if claims.token_type != TokenType::Refresh {
        return Ok(None);
    }
    match state.auth.rotate(&claims.extra.sid, jti).await {
        Ok(rotation) if rotation.grant.user.id == claims.sub => {
            Metrics::inc(&state.metrics.refreshes_ok);
            Ok(Some(rotation.grant))
        }
        Ok(_) => {
            Metrics::inc(&state.metrics.refreshes_failed);
            Ok(None)
        }
        Err(AccountError::Refresh(refused))
            if refused != crate::domain::RefreshError::Contended =>
        {
            Metrics::inc(&state.metrics.refreshes_failed);
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}

/// Mints the pair for `grant` and sets both token cookies on `jar`.
pub fn set_cookies(
    state: &AppState,
    jar: CookieJar,
    grant: &Grant,
    fresh: bool,
) -> Result<CookieJar, PageError> {
    let pair = tokens::mint(state, grant, fresh)
        .map_err(|err| PageError::internal("mint tokens", &err))?;
    state
        .jwt
        .set_access_cookies(jar, &pair.access_token)
        .and_then(|jar| state.jwt.set_refresh_cookies(jar, &pair.refresh_token))
        .map_err(|err| PageError::internal("set token cookies", &err))
}

/// Clears the token cookies if the browser sent any.
fn clear_if_present(state: &AppState, jar: CookieJar) -> CookieJar {
    let config = &state.jwt.config().cookies;
    if jar.get(&config.access_name).is_some() || jar.get(&config.refresh_name).is_some() {
        state.jwt.unset_jwt_cookies(jar)
    } else {
        jar
    }
}
