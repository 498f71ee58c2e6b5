//! The second step of `/login`: after a right password for an account with
//! an authenticator, the page asking for the code (`POST /login/code`).
//!
//! The `mfa_token` of the challenge travels only in the form's hidden field
//! (a POST body, never a URL, so it reaches no log or `Referer`). The code
//! is checked by the same domain operations as `POST /auth/mfa/verify`: the
//! token dies after five wrong codes, and wrong codes count toward the
//! account's failed-login limit. The `rd` the password step had is carried
//! along and checked again ([`destination::allowed`]) before it is used.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::view::{PageError, render};
use super::{csrf, destination, form, login, rate, session};
use crate::domain::{MfaChallenge, MfaError, SecondFactor};
use crate::http::client::Client;
use crate::http::metrics::Metrics;
use crate::http::state::AppState;

/// What the page says to a wrong code.
pub const WRONG_CODE: &str = "That code is not right. Enter the current code from your \
     authenticator app, or an unused recovery code.";

/// What `/login` says when the second step can no longer be finished.
pub const STEP_EXPIRED: &str = "Your sign-in took too long or had too many wrong codes. \
     Please sign in again.";

/// The code page.
#[derive(Debug, Template)]
#[template(path = "pages/login_code.html")]
pub struct CodePage {
    /// The form's CSRF token.
    pub csrf: String,
    /// The challenge's token (hidden field).
    pub mfa_token: String,
    /// The allowed URL to return to, if one was asked for.
    pub rd: Option<String>,
    /// Why the last code failed.
    pub error: Option<String>,
}

/// The posted code form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    csrf_token: String,
    mfa_token: String,
    code: String,
    rd: Option<String>,
}

/// The code page for a new challenge (the answer to a right password).
pub fn challenge_page(
    jar: CookieJar,
    csrf: String,
    challenge: MfaChallenge,
    rd: Option<String>,
) -> Response {
    let page = CodePage {
        csrf,
        mfa_token: challenge.token,
        rd,
        error: None,
    };
    (jar, render(StatusCode::OK, &page)).into_response()
}

/// A typed code: six digits are an authenticator code, anything else is
/// tried as a recovery code.
pub fn second_factor(typed: &str) -> SecondFactor {
    let compact: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
        SecondFactor::Totp(compact)
    } else {
        SecondFactor::RecoveryCode(typed.trim().to_owned())
    }
}

/// `POST /login/code`.
pub async fn submit(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: CodeForm = form::parse(&body)?;
    let rd = destination::allowed(&state, form.rd);
    let refused = csrf::check(&state, &headers, &jar, &form.csrf_token);
    let (jar, csrf) = csrf::token(&state, jar)?;
    let again = |status: StatusCode, message: String| {
        let page = CodePage {
            csrf: csrf.clone(),
            mfa_token: form.mfa_token.clone(),
            rd: rd.clone(),
            error: Some(message),
        };
        (jar.clone(), render(status, &page)).into_response()
    };
    let back_to_login = |message: &str| {
        let page = login::page(
            &state,
            csrf.clone(),
            rd.clone(),
            String::new(),
            Some(message.to_owned()),
        );
        (jar.clone(), render(StatusCode::UNAUTHORIZED, &page)).into_response()
    };
    if refused.is_err() {
        return Ok(again(
            StatusCode::FORBIDDEN,
            "This form expired or came from another site. Please enter the code again.".to_owned(),
        ));
    }
    if let Err(wait) = rate::per_ip(&state, &client).await {
        return Ok(with_retry_after(
            again(StatusCode::TOO_MANY_REQUESTS, wait.message()),
            wait,
        ));
    }
    let user = match state.auth.challenge_user(&form.mfa_token).await {
        Ok(user) => user,
        Err(MfaError::InvalidToken) => {
            Metrics::inc(&state.metrics.mfa_failed);
            return Ok(back_to_login(STEP_EXPIRED));
        }
        Err(err) => return Err(mfa_failure(err)),
    };
    // Wrong codes count toward the account's failed-login limit.
    if let Err(wait) = rate::account_failures(&state, &user.username).await {
        return Ok(with_retry_after(
            again(StatusCode::TOO_MANY_REQUESTS, wait.message()),
            wait,
        ));
    }
    let factor = second_factor(&form.code);
    let grant = match state
        .auth
        .verify_second_factor(&form.mfa_token, &factor, client.0)
        .await
    {
        Ok(grant) => grant,
        Err(MfaError::InvalidCode) => {
            Metrics::inc(&state.metrics.mfa_failed);
            return Ok(again(StatusCode::UNAUTHORIZED, WRONG_CODE.to_owned()));
        }
        Err(MfaError::InvalidToken) => {
            Metrics::inc(&state.metrics.mfa_failed);
            return Ok(back_to_login(STEP_EXPIRED));
        }
        Err(err) => return Err(mfa_failure(err)),
    };
    rate::clear_failures(&state, &user.username).await;
    Metrics::inc(&state.metrics.mfa_verified);
    Metrics::inc(&state.metrics.logins_ok);
    let jar = session::set_cookies(&state, jar, &grant, true)?;
    let to = destination::after_sign_in(&state, rd);
    Ok((jar, Redirect::to(&to)).into_response())
}

/// A second-factor failure that is not the person's to fix.
pub fn mfa_failure(err: MfaError) -> PageError {
    match err {
        MfaError::Account(account) => account.into(),
        other => PageError::internal("second factor", &other),
    }
}

fn with_retry_after(mut response: Response, wait: rate::Wait) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait.0));
    response
}

#[cfg(test)]
mod tests {
    use super::second_factor;
    use crate::domain::SecondFactor;

    #[test]
    fn six_digits_are_an_app_code_and_anything_else_a_recovery_code() {
        assert_eq!(second_factor("123456"), SecondFactor::Totp("123456".into()));
        assert_eq!(
            second_factor(" 123 456 "),
            SecondFactor::Totp("123456".into())
        );
        assert_eq!(
            second_factor(" abcdef-ghijkl-mnopqr-stuvwx "),
            SecondFactor::RecoveryCode("abcdef-ghijkl-mnopqr-stuvwx".into())
        );
        assert_eq!(
            second_factor("1234567"),
            SecondFactor::RecoveryCode("1234567".into())
        );
    }
}
