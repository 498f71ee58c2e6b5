//! `GET /admin`: the users, searched and paged.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::paging::{ListQuery, PAGE_SIZE, Paging, person_path, with_query};
use crate::domain::{User, UserQuery};
use crate::http::pages::csrf;
use crate::http::pages::gate::AdminPage;
use crate::http::pages::view::{PageError, render, utc};
use crate::http::state::AppState;

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

/// `GET /admin`.
pub async fn users(
    State(state): State<AppState>,
    AdminPage(admin): AdminPage,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
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
    let paging = Paging::new("Users", offset, found.items.len(), found.total, |at| {
        with_query("/admin", &[("q", &query.q), ("offset", &at.to_string())])
    });
    let (jar, csrf) = csrf::token(&state, admin.jar)?;
    let page = UsersPage {
        csrf,
        search: query.q,
        users: found.items.iter().map(UserRow::from).collect(),
        total: found.total,
        range: paging.range,
        previous: paging.previous,
        next: paging.next,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}
