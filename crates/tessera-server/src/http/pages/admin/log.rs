//! `GET /admin/log`: the audit log, newest first, by user and kind.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::paging::{ListQuery, PAGE_SIZE, Paging, with_query};
use crate::domain::AuditQuery;
use crate::http::pages::csrf;
use crate::http::pages::gate::AdminPage;
use crate::http::pages::view::{PageError, render, utc};
use crate::http::state::AppState;

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

/// `GET /admin/log`.
pub async fn log(
    State(state): State<AppState>,
    AdminPage(admin): AdminPage,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
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
    let paging = Paging::new("Events", offset, found.items.len(), found.total, |at| {
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
    let (jar, csrf) = csrf::token(&state, admin.jar)?;
    let page = LogPage {
        csrf,
        user_id: query.user_id,
        kind: query.kind,
        events,
        range: paging.range,
        previous: paging.previous,
        next: paging.next,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}
