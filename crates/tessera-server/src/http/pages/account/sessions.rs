//! The account page's session forms: "sign out this session" and "sign
//! out everywhere else".

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::TokenOnlyForm;
use crate::domain::{AccountError, LogoutScope};
use crate::http::pages::form;
use crate::http::pages::gate::PageSession;
use crate::http::pages::view::PageError;
use crate::http::state::AppState;

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
    session: PageSession,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: EndSessionForm = form::parse(&body)?;
    let current = match session.check_form(&state, &headers, &form.csrf_token) {
        Ok(current) => current,
        Err(refused) => return Ok(refused),
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

/// `POST /account/sessions/end-others`: every other session of the caller ends.
pub async fn end_others(
    State(state): State<AppState>,
    session: PageSession,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: TokenOnlyForm = form::parse(&body)?;
    let current = match session.check_form(&state, &headers, form.csrf_token()) {
        Ok(current) => current,
        Err(refused) => return Ok(refused),
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
