//! `/admin/…`: users, roles, disabling, sessions and the audit trail.
//! The router puts a `RequireRoles(admin)` guard in front of all of it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tessera::Jwt;

use super::auth::{failure_key, user_json};
use super::error::ApiError;
use super::json::ApiJson;
use super::params::{ApiPath, ApiQuery};
use super::sessions::session_json;
use super::state::AppState;
use super::tokens::SessionClaims;
use crate::domain::{AuditQuery, EMAIL_MAX_CHARS, UserQuery};

/// `?q=&limit=&offset=` of the user listing.
#[derive(Debug, Default, Deserialize)]
pub struct UserListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

/// `GET /admin/users`.
pub async fn list_users(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    // Nothing longer than an e-mail address can match; a longer pattern
    // would only cost a LIKE over every row.
    if query
        .q
        .as_deref()
        .is_some_and(|text| text.trim().chars().count() > EMAIL_MAX_CHARS)
    {
        return Err(ApiError::validation(
            "q",
            format!("q must be at most {EMAIL_MAX_CHARS} characters"),
        ));
    }
    let page = state
        .auth
        .list_users(&UserQuery {
            search: query.q.filter(|text| !text.trim().is_empty()),
            offset: query.offset,
            limit: query.limit,
        })
        .await?;
    let users: Vec<_> = page.items.iter().map(user_json).collect();
    Ok(Json(json!({
        "users": users,
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    })))
}

/// `GET /admin/users/{id}`.
pub async fn get_user(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(user_json(&state.auth.user(&id).await?)))
}

/// `PUT /admin/users/{id}/roles` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesBody {
    roles: Vec<String>,
}

/// `PUT /admin/users/{id}/roles`: replaces the roles. Removing a role ends
/// the user's sessions, so the old tokens stop working at once.
pub async fn set_roles(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    actor: Jwt<SessionClaims>,
    ApiJson(body): ApiJson<RolesBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = state
        .auth
        .set_roles(Some(&actor.claims().sub), &id, &body.roles)
        .await?;
    Ok(Json(user_json(&user)))
}

/// `POST /admin/users/{id}/disable`: also ends every session of the user.
pub async fn disable(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    actor: Jwt<SessionClaims>,
) -> Result<Json<serde_json::Value>, ApiError> {
    set_disabled(&state, &id, &actor, true).await
}

/// `POST /admin/users/{id}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    actor: Jwt<SessionClaims>,
) -> Result<Json<serde_json::Value>, ApiError> {
    set_disabled(&state, &id, &actor, false).await
}

async fn set_disabled(
    state: &AppState,
    id: &str,
    actor: &Jwt<SessionClaims>,
    disabled: bool,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = state
        .auth
        .set_disabled(Some(&actor.claims().sub), id, disabled)
        .await?;
    Ok(Json(user_json(&user)))
}

/// `POST /admin/users/{id}/unlock`: lifts the failed-login limit on the
/// user's account at once, so that an attacker who trips the limit on
/// purpose cannot keep the owner out until the window ends; audited.
pub async fn unlock(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    actor: Jwt<SessionClaims>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = state
        .auth
        .record_unlock(Some(&actor.claims().sub), &id)
        .await?;
    state
        .limits
        .login_failures
        .clear(&failure_key(&user.username))
        .await;
    Ok(Json(user_json(&user)))
}

/// `DELETE /admin/users/{id}`: 204; ends the user's sessions.
pub async fn delete_user(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    actor: Jwt<SessionClaims>,
) -> Result<Response, ApiError> {
    state
        .auth
        .delete_user(Some(&actor.claims().sub), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /admin/users/{id}/sessions`.
pub async fn user_sessions(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.auth.user(&id).await?;
    let sessions = state.auth.user_sessions(&id).await?;
    let sessions: Vec<_> = sessions.iter().map(session_json).collect();
    Ok(Json(json!({ "sessions": sessions })))
}

/// `?user_id=&kind=&limit=&offset=` of the audit listing.
#[derive(Debug, Default, Deserialize)]
pub struct AuditListQuery {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

/// `GET /admin/audit`: newest first.
pub async fn audit(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AuditListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let page = state
        .auth
        .audit_events(&AuditQuery {
            user_id: query.user_id,
            kind: query.kind,
            offset: query.offset,
            limit: query.limit,
        })
        .await?;
    Ok(Json(json!({
        "events": page.items,
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    })))
}
