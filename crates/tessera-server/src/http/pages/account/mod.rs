//! `/account`: who you are, your sessions (the current one marked) with
//! "sign out this session" and "sign out everywhere else", a password
//! change, the linked sign-in providers with link/unlink, and two-step
//! sign-in ([`two_step`]). Every
//! handler opens with the [`PageSession`] extractor, so a request whose
//! session has ended is signed out and sent to `/login`.

pub mod password;
pub mod providers;
pub mod sessions;
pub mod two_step;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::gate::PageSession;
use super::view::{PageError, render, utc};
use super::{csrf, rate};
use crate::domain::{AccountError, MAX_PASSWORD_CHARS, Password, SessionInfo};
use crate::http::client::Client;
use crate::http::state::AppState;
use providers::{IdentityRow, LinkButton};
use two_step::TwoStepSection;

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
    /// Whether any sign-in provider is configured (the section shows).
    pub providers_enabled: bool,
    /// The linked identities.
    pub identities: Vec<IdentityRow>,
    /// The enabled providers not linked yet.
    pub link_buttons: Vec<LinkButton>,
    /// Whether linking must ask for the current password (the session
    /// is not fresh).
    pub link_needs_password: bool,
    /// Why the last link or unlink did not happen.
    pub providers_error: Option<String>,
    /// The two-step sign-in section.
    pub two_step: TwoStepSection,
}

/// `?done=` after an action, `?error=` after a provider sent the browser
/// back: which fixed text to show (never the query's own).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OutcomeQuery {
    done: Option<String>,
    error: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("password") => Some("Your password was changed. Your other sessions were signed out."),
        Some("others") => Some("Your other sessions were signed out."),
        Some("session") => Some("That session was signed out."),
        Some("linked") => Some("The sign-in provider was linked. You can now sign in with it."),
        Some("unlinked") => Some("The sign-in provider was unlinked."),
        Some("two_step_on") => Some("Two-step sign-in is on."),
        Some("two_step_off") => Some("Two-step sign-in is off."),
        Some("two_step_required") => Some(
            "Your account needs two-step sign-in before some of its roles work. Set it up below, then sign in again.",
        ),
        _ => None,
    }
}

/// `GET /account`.
pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query: OutcomeQuery = query
        .as_deref()
        .and_then(|raw| serde_urlencoded::from_str(raw).ok())
        .unwrap_or_default();
    let (jar, csrf) = csrf::token(&state, session.jar.clone())?;
    let mut page = page(&state, &session, csrf).await?;
    match query.error.as_deref() {
        Some(code) => page.providers_error = Some(providers::link_failure(code).to_owned()),
        None => page.notice = notice(query.done.as_deref()),
    }
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// The page as it stands for `session`.
async fn page(
    state: &AppState,
    session: &PageSession,
    csrf: String,
) -> Result<AccountPage, PageError> {
    let user = &session.user;
    let linked = providers::Linked::load(state, session).await?;
    Ok(AccountPage {
        csrf,
        username: user.username.clone(),
        email: user.email.clone(),
        roles: user.roles.join(", "),
        created: utc(user.created_at),
        sessions: session.sessions.iter().map(SessionRow::from).collect(),
        min_chars: state.auth.settings().password_min_chars,
        max_chars: MAX_PASSWORD_CHARS,
        providers_enabled: linked.enabled,
        identities: linked.identities,
        link_buttons: linked.buttons,
        link_needs_password: !session.page_user.fresh,
        two_step: TwoStepSection::load(state, &user.id).await?,
        ..AccountPage::default()
    })
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

/// A session that is not fresh proves it is the account holder with the
/// current password (wrong ones count toward the failed-login limit); the
/// refusal to show otherwise (saying `not_done`).
pub(super) async fn holder_proven(
    state: &AppState,
    session: &PageSession,
    client: &Client,
    password: String,
    not_done: &str,
) -> Result<Option<(StatusCode, String)>, PageError> {
    if session.page_user.fresh {
        return Ok(None);
    }
    let username = &session.user.username;
    if let Err(wait) = rate::account_failures(state, username).await {
        return Ok(Some((StatusCode::TOO_MANY_REQUESTS, wait.message())));
    }
    match state
        .auth
        .authenticate(username, &Password::new(password), &client.0)
        .await
    {
        Ok(user) if user.id == session.user.id => {
            rate::clear_failures(state, username).await;
            Ok(None)
        }
        Ok(_) | Err(AccountError::InvalidCredentials) => Ok(Some((
            StatusCode::UNAUTHORIZED,
            format!("That is not your current password, so {not_done}."),
        ))),
        Err(err) => Err(err.into()),
    }
}
