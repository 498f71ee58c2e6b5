//! `GET /admin/people/{id}`: one user's page (roles, status, sessions).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::paging::{ListQuery, person_path, with_query};
use crate::domain::{AccountError, Resource};
use crate::http::pages::account::SessionRow;
use crate::http::pages::csrf;
use crate::http::pages::gate::AdminPage;
use crate::http::pages::view::{MessagePage, PageError, render, utc};
use crate::http::state::AppState;

/// One user's page.
#[derive(Debug, Template)]
#[template(path = "pages/admin_user.html")]
pub struct UserPage {
    /// The forms' CSRF token.
    pub csrf: String,
    /// What the last action did.
    pub notice: Option<&'static str>,
    /// Why the roles were refused.
    pub roles_error: Option<String>,
    /// The user's id.
    pub id: String,
    /// The forms' base path.
    pub base: String,
    /// The username.
    pub username: String,
    /// The e-mail address.
    pub email: Option<String>,
    /// The roles as the form shows them.
    pub roles: String,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When it was made.
    pub created: String,
    /// The live sessions.
    pub sessions: Vec<SessionRow>,
    /// The audit log filtered to this user.
    pub log_href: String,
}

fn notice(done: &str) -> Option<&'static str> {
    match done {
        "roles" => Some("The roles were saved."),
        "disabled" => Some("The account was disabled and its sessions signed out."),
        "enabled" => Some("The account was enabled."),
        "unlocked" => Some("The failed sign-in limit was lifted."),
        "session" => Some("That session was signed out."),
        _ => None,
    }
}

/// The user's page as it stands, for `GET` and for a refused roles form;
/// `None` when there is no such user.
pub async fn user_page(
    state: &AppState,
    id: &str,
    csrf: String,
) -> Result<Option<UserPage>, PageError> {
    let user = match state.auth.user(id).await {
        Ok(user) => user,
        Err(AccountError::NotFound(Resource::User)) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let sessions = match state.auth.user_sessions(id).await {
        Ok(sessions) => sessions,
        Err(AccountError::NotFound(Resource::User)) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    Ok(Some(UserPage {
        csrf,
        notice: None,
        roles_error: None,
        id: user.id.clone(),
        base: person_path(&user.id),
        username: user.username.clone(),
        email: user.email.clone(),
        roles: user.roles.join(", "),
        disabled: user.disabled,
        created: utc(user.created_at),
        sessions: sessions.iter().map(SessionRow::from).collect(),
        log_href: with_query("/admin/log", &[("user_id", &user.id)]),
    }))
}

/// The 404 page for a user that does not exist.
pub fn no_such_user(jar: CookieJar) -> Response {
    let page = MessagePage {
        title: "No such user",
        message: "That user does not exist (any more).",
        link: "/admin",
        link_text: "Back to the users",
    };
    (jar, render(StatusCode::NOT_FOUND, &page)).into_response()
}

/// `GET /admin/people/{id}`.
pub async fn user(
    State(state): State<AppState>,
    AdminPage(admin): AdminPage,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(&state, admin.jar)?;
    let Some(mut page) = user_page(&state, &id, csrf).await? else {
        return Ok(no_such_user(jar));
    };
    page.notice = notice(&ListQuery::read(query.as_deref()).done);
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}
