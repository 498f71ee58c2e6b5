//! `/account`: who you are, your sessions (the current one marked) with
//! "sign out this session" and "sign out everywhere else", and a password
//! change. A request whose session has ended is signed out and sent to
//! `/login`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::session::{self, PageUser, Signed};
use super::view::{MessagePage, PageError, render, utc};
use super::{csrf, form, rate};
use crate::domain::{
    AccountError, LogoutScope, MAX_PASSWORD_CHARS, Password, Resource, SessionInfo, User,
};
use crate::http::state::AppState;

/// One session as the page lists it.
#[derive(Debug)]
pub struct SessionRow {
    /// The session id (the form's target).
    pub id: String,
    /// The user agent at sign-in, or a placeholder.
    pub device: String,
    /// The address at sign-in, or a placeholder.
    pub ip: String,
    /// When it was last refreshed.
    pub last_used: String,
    /// When it began.
    pub created: String,
    /// Whether it is the one this page was loaded with.
    pub current: bool,
}

impl From<&SessionInfo> for SessionRow {
    fn from(info: &SessionInfo) -> Self {
        SessionRow {
            id: info.id.clone(),
            device: info
                .user_agent
                .clone()
                .unwrap_or_else(|| "Unknown device".to_owned()),
            ip: info.ip.clone().unwrap_or_else(|| "unknown".to_owned()),
            last_used: utc(info.last_used_at),
            created: utc(info.created_at),
            current: info.current,
        }
    }
}

/// The account page.
#[derive(Debug, Default, Template)]
#[template(path = "pages/account.html")]
pub struct AccountPage {
    /// The forms' CSRF token.
    pub csrf: String,
    /// What the last action did.
    pub notice: Option<&'static str>,
    /// The username.
    pub username: String,
    /// The e-mail address.
    pub email: Option<String>,
    /// The roles, comma-separated.
    pub roles: String,
    /// When the account was made.
    pub created: String,
    /// The live sessions, most recently used first.
    pub sessions: Vec<SessionRow>,
    /// The current password's problem.
    pub current_password_error: Option<String>,
    /// The new password's problem.
    pub new_password_error: Option<String>,
    /// Shortest password.
    pub min_chars: usize,
    /// Longest password.
    pub max_chars: usize,
}

/// A signed-in request whose session is still live.
pub(super) struct Current {
    pub(super) page_user: PageUser,
    pub(super) user: User,
    pub(super) sessions: Vec<SessionInfo>,
    pub(super) jar: CookieJar,
}

/// Either the person (session live) or the response that signs them out.
pub(super) enum Gate {
    Open(Box<Current>),
    Closed(Response),
}

/// Reads the session and checks it still stands: the user exists and is
/// enabled, and the session is among its live ones (so a session ended
/// elsewhere is signed out on this very load).
pub(super) async fn gate(state: &AppState, jar: CookieJar) -> Result<Gate, PageError> {
    let (page_user, jar) = match session::resolve(state, jar).await? {
        Signed::In(page_user, jar) => (page_user, jar),
        Signed::Out(jar) => return Ok(Gate::Closed(to_login(jar))),
    };
    let user = match state.auth.user(&page_user.user_id).await {
        Ok(user) if !user.disabled => user,
        Ok(_) | Err(AccountError::NotFound(Resource::User)) => {
            return Ok(Gate::Closed(to_login(state.jwt.unset_jwt_cookies(jar))));
        }
        Err(err) => return Err(err.into()),
    };
    let sessions = state
        .auth
        .list_sessions(&user.id, Some(&page_user.session_id))
        .await?;
    if !sessions.iter().any(|session| session.current) {
        return Ok(Gate::Closed(to_login(state.jwt.unset_jwt_cookies(jar))));
    }
    Ok(Gate::Open(Box::new(Current {
        page_user,
        user,
        sessions,
        jar,
    })))
}

fn to_login(jar: CookieJar) -> Response {
    (jar, Redirect::to("/login")).into_response()
}

/// `?done=` after an action: which notice to show (a fixed text, never the
/// query's own).
#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

fn notice(raw: Option<&str>) -> Option<&'static str> {
    let query: DoneQuery = raw
        .and_then(|raw| serde_urlencoded::from_str(raw).ok())
        .unwrap_or_default();
    match query.done.as_deref() {
        Some("password") => Some("Your password was changed. Your other sessions were signed out."),
        Some("others") => Some("Your other sessions were signed out."),
        Some("session") => Some("That session was signed out."),
        _ => None,
    }
}

/// `GET /account`.
pub async fn show(
    State(state): State<AppState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let current = match gate(&state, jar).await? {
        Gate::Open(current) => current,
        Gate::Closed(response) => return Ok(response),
    };
    let Current {
        user,
        sessions,
        jar,
        ..
    } = *current;
    let (jar, csrf) = csrf::token(&state, jar)?;
    let mut page = page(&state, &user, &sessions, csrf);
    page.notice = notice(query.as_deref());
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

fn page(state: &AppState, user: &User, sessions: &[SessionInfo], csrf: String) -> AccountPage {
    AccountPage {
        csrf,
        username: user.username.clone(),
        email: user.email.clone(),
        roles: user.roles.join(", "),
        created: utc(user.created_at),
        sessions: sessions.iter().map(SessionRow::from).collect(),
        min_chars: state.auth.settings().password_min_chars,
        max_chars: MAX_PASSWORD_CHARS,
        ..AccountPage::default()
    }
}

/// The refusal of a POST that failed the CSRF checks.
pub fn forged(jar: CookieJar) -> Response {
    let page = MessagePage {
        title: "Please try again",
        message: "This form expired or was sent from another site, so nothing was changed.",
        link: "/account",
        link_text: "Back to your account",
    };
    (jar, render(StatusCode::FORBIDDEN, &page)).into_response()
}

/// A gated POST: the session must stand and the form must pass the CSRF
/// checks.
async fn posted(
    state: &AppState,
    headers: &HeaderMap,
    jar: CookieJar,
    submitted: &str,
) -> Result<Result<Box<Current>, Response>, PageError> {
    let current = match gate(state, jar).await? {
        Gate::Open(current) => current,
        Gate::Closed(response) => return Ok(Err(response)),
    };
    if csrf::check(state, headers, &current.jar, submitted).is_err() {
        return Ok(Err(forged(current.jar)));
    }
    Ok(Ok(current))
}

/// The "sign out this session" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EndSessionForm {
    csrf_token: String,
    session_id: String,
}

/// `POST /account/sessions/end`: ends one of the caller's sessions; the
/// current one signs this browser out.
pub async fn end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: EndSessionForm = form::parse(&body)?;
    let current = match posted(&state, &headers, jar, &form.csrf_token).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    if form.session_id == current.page_user.session_id {
        state
            .auth
            .logout(&current.user.id, Some(&form.session_id), LogoutScope::Local)
            .await?;
        let jar = state.jwt.unset_jwt_cookies(current.jar);
        return Ok((jar, Redirect::to("/signed-out")).into_response());
    }
    match state
        .auth
        .end_session(&current.user.id, &form.session_id)
        .await
    {
        // Already gone, or never the caller's: nothing to say either way.
        Ok(()) | Err(AccountError::NotFound(_)) => {}
        Err(err) => return Err(err.into()),
    }
    Ok((current.jar, Redirect::to("/account?done=session")).into_response())
}

/// A form with only the CSRF token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenOnlyForm {
    csrf_token: String,
}

impl TokenOnlyForm {
    /// The submitted CSRF token.
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// `POST /account/sessions/end-others`: every other session of the caller ends.
pub async fn end_others(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: TokenOnlyForm = form::parse(&body)?;
    let current = match posted(&state, &headers, jar, &form.csrf_token).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    state
        .auth
        .logout(
            &current.user.id,
            Some(&current.page_user.session_id),
            LogoutScope::Others,
        )
        .await?;
    Ok((current.jar, Redirect::to("/account?done=others")).into_response())
}

/// The password form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf_token: String,
    current_password: String,
    new_password: String,
}

/// `POST /account/password`: needs the current password (wrong ones count
/// toward the account's failed-login limit, as in the JSON API); every
/// other session ends.
pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: PasswordForm = form::parse(&body)?;
    let current = match posted(&state, &headers, jar, &form.csrf_token).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let Current {
        page_user,
        user,
        sessions,
        jar,
    } = *current;
    let (jar, csrf) = csrf::token(&state, jar)?;
    let mut page = page(&state, &user, &sessions, csrf);
    if let Err(wait) = rate::account_failures(&state, &user.username).await {
        page.current_password_error = Some(wait.message());
        return Ok((jar, render(StatusCode::TOO_MANY_REQUESTS, &page)).into_response());
    }
    let outcome = state
        .auth
        .change_password(
            &user.id,
            Some(&page_user.session_id),
            &Password::new(form.current_password),
            &Password::new(form.new_password),
        )
        .await;
    if matches!(outcome, Ok(_) | Err(AccountError::Validation(_))) {
        rate::clear_failures(&state, &user.username).await;
    }
    let status = match outcome {
        Ok(_) => return Ok((jar, Redirect::to("/account?done=password")).into_response()),
        Err(AccountError::InvalidCredentials) => {
            page.current_password_error = Some("That is not your current password.".to_owned());
            StatusCode::UNAUTHORIZED
        }
        Err(AccountError::Validation(invalid)) => {
            page.new_password_error = Some(format!("New password {}.", invalid.problem));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(err) => return Err(err.into()),
    };
    Ok((jar, render(status, &page)).into_response())
}
