//! `/admin` (role `admin`): the users (search, pages), one user's roles,
//! disable/enable, unlock and sessions (end one), and the audit log with
//! filters. The JSON API owns `/admin/users` and `/admin/audit`, so the
//! pages live at `/admin`, `/admin/people/{id}` and `/admin/log`.
//!
//! Every request passes the account page's gate (a live session of an
//! enabled user), then the role check on the user as stored now (not the
//! token's claims, which may predate a role change): anyone else gets a 403
//! page. Every form carries the CSRF token and every POST is checked as the
//! account page's are; the actions call the domain directly, with the admin
//! as the audit's actor.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::account::{self, Current, Gate, SessionRow};
use super::view::{MessagePage, PageError, render, utc};
use super::{csrf, form, rate};
use crate::domain::{AccountError, AuditQuery, Resource, User, UserQuery};
use crate::http::state::AppState;

/// The role the pages require.
pub const ADMIN_ROLE: &str = "admin";

/// Users or events per page.
const PAGE_SIZE: i64 = 25;

/// One user in the list.
#[derive(Debug)]
pub struct UserRow {
    /// Where the user's page is.
    pub href: String,
    /// The username.
    pub username: String,
    /// The e-mail address, or empty.
    pub email: String,
    /// The roles, comma-separated.
    pub roles: String,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When it was made.
    pub created: String,
}

impl From<&User> for UserRow {
    fn from(user: &User) -> Self {
        UserRow {
            href: person_path(&user.id),
            username: user.username.clone(),
            email: user.email.clone().unwrap_or_default(),
            roles: user.roles.join(", "),
            disabled: user.disabled,
            created: utc(user.created_at),
        }
    }
}

/// The users page.
#[derive(Debug, Template)]
#[template(path = "pages/admin_users.html")]
pub struct UsersPage {
    /// The sign-out form's CSRF token.
    pub csrf: String,
    /// The search as typed.
    pub search: String,
    /// This page's users.
    pub users: Vec<UserRow>,
    /// How many matched.
    pub total: i64,
    /// "Users 1–25 of 40".
    pub range: String,
    /// The previous page's link.
    pub previous: Option<String>,
    /// The next page's link.
    pub next: Option<String>,
}

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

/// One audit event.
#[derive(Debug)]
pub struct EventRow {
    /// When.
    pub at: String,
    /// What happened.
    pub kind: String,
    /// About whom (the id), or empty.
    pub user_id: String,
    /// The session, or empty.
    pub session_id: String,
    /// The details as JSON text.
    pub detail: String,
}

/// The audit log page.
#[derive(Debug, Template)]
#[template(path = "pages/admin_log.html")]
pub struct LogPage {
    /// The sign-out form's CSRF token.
    pub csrf: String,
    /// The user filter as typed.
    pub user_id: String,
    /// The kind filter as typed.
    pub kind: String,
    /// This page's events.
    pub events: Vec<EventRow>,
    /// "Events 1–25 of 40".
    pub range: String,
    /// The previous page's link.
    pub previous: Option<String>,
    /// The next page's link.
    pub next: Option<String>,
}

fn person_path(id: &str) -> String {
    format!(
        "/admin/people/{}",
        form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    )
}

/// The signed-in admin, or the response for anyone else.
async fn admin_gate(
    state: &AppState,
    jar: CookieJar,
) -> Result<Result<Current, Response>, PageError> {
    let current = match account::gate(state, jar).await? {
        Gate::Open(current) => *current,
        Gate::Closed(response) => return Ok(Err(response)),
    };
    if !current.user.roles.iter().any(|role| role == ADMIN_ROLE) {
        let page = MessagePage {
            title: "Not allowed",
            message: "These pages are for administrators only.",
            link: "/account",
            link_text: "Back to your account",
        };
        return Ok(Err(
            (current.jar, render(StatusCode::FORBIDDEN, &page)).into_response()
        ));
    }
    Ok(Ok(current))
}

/// An admin's POST: the gate, then the CSRF checks.
async fn admin_post(
    state: &AppState,
    headers: &HeaderMap,
    jar: CookieJar,
    submitted: &str,
) -> Result<Result<Current, Response>, PageError> {
    let current = match admin_gate(state, jar).await? {
        Ok(current) => current,
        Err(response) => return Ok(Err(response)),
    };
    if csrf::check(state, headers, &current.jar, submitted).is_err() {
        return Ok(Err(account::forged(current.jar)));
    }
    Ok(Ok(current))
}

/// `?q=&offset=` of the users page, `?user_id=&kind=&offset=` of the log.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    q: String,
    user_id: String,
    kind: String,
    offset: String,
    done: String,
}

impl ListQuery {
    fn read(raw: Option<&str>) -> Self {
        raw.and_then(|raw| serde_urlencoded::from_str(raw).ok())
            .unwrap_or_default()
    }

    fn offset(&self) -> i64 {
        self.offset.trim().parse::<i64>().unwrap_or(0).max(0)
    }
}

/// "Users 1–25 of 40" and the neighbouring pages' links.
fn paging(
    noun: &str,
    offset: i64,
    shown: usize,
    total: i64,
    link: impl Fn(i64) -> String,
) -> (String, Option<String>, Option<String>) {
    let shown = i64::try_from(shown).unwrap_or(i64::MAX);
    let range = if shown == 0 {
        format!("No {noun} on this page ({total} in all).")
    } else {
        format!("{noun} {}–{} of {total}", offset + 1, offset + shown)
    };
    let previous = (offset > 0).then(|| link((offset - PAGE_SIZE).max(0)));
    let next = (offset + shown < total).then(|| link(offset + PAGE_SIZE));
    (range, previous, next)
}

fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, value)| !value.is_empty()))
        .finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// `GET /admin`: the users, searched and paged.
pub async fn users(
    State(state): State<AppState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let current = match admin_gate(&state, jar).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let query = ListQuery::read(query.as_deref());
    let offset = query.offset();
    let found = state
        .auth
        .list_users(&UserQuery {
            search: Some(query.q.clone()).filter(|q| !q.trim().is_empty()),
            offset,
            limit: PAGE_SIZE,
        })
        .await?;
    let (range, previous, next) = paging("Users", offset, found.items.len(), found.total, |at| {
        with_query("/admin", &[("q", &query.q), ("offset", &at.to_string())])
    });
    let (jar, csrf) = csrf::token(&state, current.jar)?;
    let page = UsersPage {
        csrf,
        search: query.q,
        users: found.items.iter().map(UserRow::from).collect(),
        total: found.total,
        range,
        previous,
        next,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
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

/// The user's page as it stands, for `GET` and for a refused roles form.
async fn user_page(
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

fn no_such_user(jar: CookieJar) -> Response {
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
    Path(id): Path<String>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let current = match admin_gate(&state, jar).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let (jar, csrf) = csrf::token(&state, current.jar)?;
    let Some(mut page) = user_page(&state, &id, csrf).await? else {
        return Ok(no_such_user(jar));
    };
    page.notice = notice(&ListQuery::read(query.as_deref()).done);
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// The forms of a user's page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserForm {
    csrf_token: String,
    roles: String,
    session_id: String,
}

/// What a POST on a user's page does.
#[derive(Debug, Clone, Copy)]
enum Action {
    Roles,
    Disable,
    Enable,
    Unlock,
    EndSession,
}

async fn act(
    state: AppState,
    id: String,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
    action: Action,
) -> Result<Response, PageError> {
    let form: UserForm = form::parse(&body)?;
    let current = match admin_post(&state, &headers, jar, &form.csrf_token).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let actor = Some(current.user.id.as_str());
    let outcome = match action {
        Action::Roles => {
            let roles: Vec<&str> = form
                .roles
                .split(',')
                .map(str::trim)
                .filter(|role| !role.is_empty())
                .collect();
            state
                .auth
                .set_roles(actor, &id, &roles)
                .await
                .map(|_| "roles")
        }
        Action::Disable => state
            .auth
            .set_disabled(actor, &id, true)
            .await
            .map(|_| "disabled"),
        Action::Enable => state
            .auth
            .set_disabled(actor, &id, false)
            .await
            .map(|_| "enabled"),
        Action::Unlock => match state.auth.record_unlock(actor, &id).await {
            Ok(user) => {
                rate::clear_failures(&state, &user.username).await;
                Ok("unlocked")
            }
            Err(err) => Err(err),
        },
        Action::EndSession => match state.auth.end_session(&id, &form.session_id).await {
            // Already gone, or not this user's: nothing to say either way.
            Ok(()) | Err(AccountError::NotFound(Resource::Session)) => Ok("session"),
            Err(err) => Err(err),
        },
    };
    match outcome {
        Ok(done) => {
            let to = with_query(&person_path(&id), &[("done", done)]);
            Ok((current.jar, Redirect::to(&to)).into_response())
        }
        Err(AccountError::NotFound(Resource::User)) => Ok(no_such_user(current.jar)),
        Err(AccountError::Validation(invalid)) => {
            let (jar, csrf) = csrf::token(&state, current.jar)?;
            let Some(mut page) = user_page(&state, &id, csrf).await? else {
                return Ok(no_such_user(jar));
            };
            page.roles = form.roles;
            page.roles_error = Some(format!("Roles {}.", invalid.problem));
            Ok((jar, render(StatusCode::UNPROCESSABLE_ENTITY, &page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

macro_rules! action_handler {
    ($(#[$doc:meta])* $name:ident, $action:expr) => {
        $(#[$doc])*
        pub async fn $name(
            State(state): State<AppState>,
            Path(id): Path<String>,
            headers: HeaderMap,
            jar: CookieJar,
            body: Bytes,
        ) -> Result<Response, PageError> {
            act(state, id, headers, jar, body, $action).await
        }
    };
}

action_handler!(
    /// `POST /admin/people/{id}/roles`: replaces the roles (comma-separated).
    set_roles,
    Action::Roles
);
action_handler!(
    /// `POST /admin/people/{id}/disable`: disables and ends every session.
    disable,
    Action::Disable
);
action_handler!(
    /// `POST /admin/people/{id}/enable`.
    enable,
    Action::Enable
);
action_handler!(
    /// `POST /admin/people/{id}/unlock`: lifts the failed sign-in limit.
    unlock,
    Action::Unlock
);
action_handler!(
    /// `POST /admin/people/{id}/sessions/end`: ends one session.
    end_session,
    Action::EndSession
);

/// `GET /admin/log`: the audit log, newest first, by user and kind.
pub async fn log(
    State(state): State<AppState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let current = match admin_gate(&state, jar).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let query = ListQuery::read(query.as_deref());
    let offset = query.offset();
    let filter = |value: &str| Some(value.trim().to_owned()).filter(|value| !value.is_empty());
    let found = state
        .auth
        .audit_events(&AuditQuery {
            user_id: filter(&query.user_id),
            kind: filter(&query.kind),
            offset,
            limit: PAGE_SIZE,
        })
        .await?;
    let (range, previous, next) = paging("Events", offset, found.items.len(), found.total, |at| {
        with_query(
            "/admin/log",
            &[
                ("user_id", &query.user_id),
                ("kind", &query.kind),
                ("offset", &at.to_string()),
            ],
        )
    });
    let events = found
        .items
        .iter()
        .map(|event| EventRow {
            at: utc(event.at),
            kind: event.kind.clone(),
            user_id: event.user_id.clone().unwrap_or_default(),
            session_id: event.session_id.clone().unwrap_or_default(),
            detail: event.detail.to_string(),
        })
        .collect();
    let (jar, csrf) = csrf::token(&state, current.jar)?;
    let page = LogPage {
        csrf,
        user_id: query.user_id,
        kind: query.kind,
        events,
        range,
        previous,
        next,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}
