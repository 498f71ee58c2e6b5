//! `POST /logout` (CSRF-protected) and the signed-out page.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use super::account::TokenOnlyForm;
use super::gate::forged;
use super::session::{self, Signed};
use super::view::{PageError, render};
use super::{csrf, form};
use crate::domain::LogoutScope;
use crate::http::state::AppState;

/// The signed-out page.
#[derive(Debug, Template)]
#[template(path = "pages/signed_out.html")]
pub struct SignedOutPage;

/// `POST /logout`: ends this browser's session and clears its cookies.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: TokenOnlyForm = form::parse(&body)?;
    if csrf::check(&state, &headers, &jar, form.csrf_token()).is_err() {
        return Ok(forged(jar));
    }
    let jar = match session::resolve(&state, jar).await? {
        Signed::In(user, jar) => {
            state
                .auth
                .logout(&user.user_id, Some(&user.session_id), LogoutScope::Local)
                .await?;
            state.jwt.unset_jwt_cookies(jar)
        }
        Signed::Out(jar) => jar,
    };
    Ok((jar, Redirect::to("/signed-out")).into_response())
}

/// `GET /signed-out`.
pub async fn signed_out() -> Response {
    render(StatusCode::OK, &SignedOutPage)
}
