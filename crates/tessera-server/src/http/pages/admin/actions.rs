//! The forms on a user's page: roles, disable/enable, unlock, end a
//! session. Each is checked (admin, CSRF), calls the domain with the
//! admin as the audit's actor, and goes back to the user's page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::paging::{person_path, with_query};
use super::person::{no_such_user, user_page};
use crate::domain::{AccountError, Resource};
use crate::http::pages::gate::AdminPage;
use crate::http::pages::view::{PageError, render};
use crate::http::pages::{csrf, form, rate};
use crate::http::state::AppState;

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
    AdminPage(admin): AdminPage,
    id: String,
    headers: HeaderMap,
    body: Bytes,
    action: Action,
) -> Result<Response, PageError> {
    let form: UserForm = form::parse(&body)?;
    let admin = match admin.check_form(&state, &headers, &form.csrf_token) {
        Ok(admin) => admin,
        Err(refused) => return Ok(refused),
    };
    let actor = Some(admin.user.id.as_str());
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
            Ok((admin.jar, Redirect::to(&to)).into_response())
        }
        Err(AccountError::NotFound(Resource::User)) => Ok(no_such_user(admin.jar)),
        Err(AccountError::Validation(invalid)) => {
            let (jar, csrf) = csrf::token(&state, admin.jar)?;
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
            admin: AdminPage,
            Path(id): Path<String>,
            headers: HeaderMap,
            body: Bytes,
        ) -> Result<Response, PageError> {
            act(state, admin, id, headers, body, $action).await
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
