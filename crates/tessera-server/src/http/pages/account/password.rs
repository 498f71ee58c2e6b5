//! The account page's password change.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::{AccountError, Password};
use crate::http::pages::gate::PageSession;
use crate::http::pages::view::{PageError, render};
use crate::http::pages::{csrf, form, rate};
use crate::http::state::AppState;

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
    session: PageSession,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: PasswordForm = form::parse(&body)?;
    let current = match session.check_form(&state, &headers, &form.csrf_token) {
        Ok(current) => current,
        Err(refused) => return Ok(refused),
    };
    let (jar, csrf) = csrf::token(&state, current.jar.clone())?;
    let mut page = super::page(&state, &current, csrf).await?;
    let user = &current.user;
    if let Err(wait) = rate::account_failures(&state, &user.username).await {
        page.current_password_error = Some(wait.message());
        return Ok((jar, render(StatusCode::TOO_MANY_REQUESTS, &page)).into_response());
    }
    let outcome = state
        .auth
        .change_password(
            &user.id,
            Some(&current.page_user.session_id),
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
