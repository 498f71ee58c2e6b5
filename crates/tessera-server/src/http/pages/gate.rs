//! The extractors that open a signed-in page: [`PageSession`] (a live
//! session of an enabled user) and [`AdminPage`] (the same, with the
//! `admin` role as stored now).
//!
//! Their rejection is the response itself: the redirect to `/login` (with
//! `rd` back to the page asked for, and any stale token cookies cleared),
//! the 403 page, or the error page. A handler that takes one of them runs
//! only for the person it is meant for.
//!
//! # Renewed cookies
//!
//! Reading the session may rotate it (an expired access cookie renewed
//! from the refresh cookie). The new cookies live in the extracted value's
//! [`jar`](PageSession::jar); every handler returns that jar with its
//! response, so the rotated cookies reach the browser. A rejection carries
//! its jar too (the cleared cookies of a session that ended).
//!
//! ```ignore
//! async fn show(State(state): State<AppState>, page: PageSession) -> Result<Response, PageError> {
//!     let (jar, csrf) = csrf::token(&state, page.jar)?;
//!     Ok((jar, render(StatusCode::OK, &SomePage { csrf })).into_response())
//! }
//! ```

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use super::csrf;
use super::destination::ACCOUNT;
use super::session::{self, PageUser, Signed};
use super::view::{MessagePage, PageError, render};
use crate::domain::{AccountError, Resource, SessionInfo, User};
use crate::http::state::AppState;

/// The role the admin pages require.
pub const ADMIN_ROLE: &str = "admin";

/// A signed-in page request whose session still stands: the user exists
/// and is enabled, and the session is among its live ones (so a session
/// ended elsewhere is signed out on this very load).
#[derive(Debug)]
pub struct PageSession {
    /// Who the tokens name.
    pub page_user: PageUser,
    /// The user as stored now.
    pub user: User,
    /// The user's live sessions (the current one marked).
    pub sessions: Vec<SessionInfo>,
    /// The request's cookies, with renewed token cookies when the session
    /// was rotated on this load: return it with the response.
    pub jar: CookieJar,
}

impl PageSession {
    /// Checks a form POST of this session (`Sec-Fetch-Site`/`Origin` and
    /// the double-submit token); the refusal page when it fails.
    // The refusal is the response itself, built once per request and
    // returned at once; boxing it would buy nothing.
    #[allow(clippy::result_large_err)]
    pub fn check_form(
        self,
        state: &AppState,
        headers: &HeaderMap,
        submitted: &str,
    ) -> Result<Self, Response> {
        match csrf::check(state, headers, &self.jar, submitted) {
            Ok(()) => Ok(self),
            Err(_) => Err(forged(self.jar)),
        }
    }
}

impl FromRequestParts<AppState> for PageSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        match open(state, jar).await {
            Ok(Ok(session)) => Ok(session),
            Ok(Err(jar)) => Err(to_login(jar, return_path(parts))),
            Err(err) => Err(err.into_response()),
        }
    }
}

/// A [`PageSession`] of an administrator (by the roles stored now, not the
/// token's claims, which may predate a role change); anyone else signed in
/// gets a 403 page.
#[derive(Debug)]
pub struct AdminPage(pub PageSession);

impl FromRequestParts<AppState> for AdminPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = PageSession::from_request_parts(parts, state).await?;
        if session.user.roles.iter().any(|role| role == ADMIN_ROLE) {
            return Ok(AdminPage(session));
        }
        let page = MessagePage {
            title: "Not allowed",
            message: "These pages are for administrators only.",
            link: ACCOUNT,
            link_text: "Back to your account",
        };
        Err((session.jar, render(StatusCode::FORBIDDEN, &page)).into_response())
    }
}

/// The session, or the jar (stale cookies cleared) of someone signed out.
async fn open(
    state: &AppState,
    jar: CookieJar,
) -> Result<Result<PageSession, CookieJar>, PageError> {
    let (page_user, jar) = match session::resolve(state, jar).await? {
        Signed::In(page_user, jar) => (page_user, jar),
        Signed::Out(jar) => return Ok(Err(jar)),
    };
    let user = match state.auth.user(&page_user.user_id).await {
        Ok(user) if !user.disabled => user,
        Ok(_) | Err(AccountError::NotFound(Resource::User)) => {
            return Ok(Err(state.jwt.unset_jwt_cookies(jar)));
        }
        Err(err) => return Err(err.into()),
    };
    let sessions = state
        .auth
        .list_sessions(&user.id, Some(&page_user.session_id))
        .await?;
    if !sessions.iter().any(|session| session.current) {
        return Ok(Err(state.jwt.unset_jwt_cookies(jar)));
    }
    Ok(Ok(PageSession {
        page_user,
        user,
        sessions,
        jar,
    }))
}

/// The page a signed-out GET asked for, to come back to after signing in:
/// a path on this server (never an absolute URL, so never another site).
/// A POST has no page to come back to, and the account page is where a
/// sign-in lands anyway.
fn return_path(parts: &Parts) -> Option<String> {
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return None;
    }
    let path = parts.uri.path_and_query()?.as_str();
    (parts.uri.path() != ACCOUNT).then(|| path.to_owned())
}

/// The redirect to `/login`, with `rd` when there is a page to come back to.
fn to_login(jar: CookieJar, rd: Option<String>) -> Response {
    let to = match rd {
        Some(rd) => format!(
            "/login?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("rd", &rd)
                .finish()
        ),
        None => "/login".to_owned(),
    };
    (jar, Redirect::to(&to)).into_response()
}

/// The refusal of a POST that failed the CSRF checks.
pub fn forged(jar: CookieJar) -> Response {
    let page = MessagePage {
        title: "Please try again",
        message: "This form expired or was sent from another site, so nothing was changed.",
        link: ACCOUNT,
        link_text: "Back to your account",
    };
    (jar, render(StatusCode::FORBIDDEN, &page)).into_response()
}
