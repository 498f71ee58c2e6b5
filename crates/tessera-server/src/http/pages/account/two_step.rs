//! The account page's "Two-step sign-in": set up an authenticator app
//! (the QR code and the secret, confirmed by a code), the recovery codes
//! shown once, "Turn off" and "New recovery codes" (each proven by a
//! code). The same domain operations as `/auth/mfa/*`.
//!
//! # Fresh sessions
//!
//! As the JSON API wants a fresh token for these, a page session that is
//! no longer fresh (its access cookie was renewed from the refresh cookie)
//! must give the current password with "Set up", "Turn off" and "New
//! recovery codes", checked like a sign-in (see [`super::providers`]).
//! Confirming needs no password: it finishes the enrolment that a fresh
//! session (or the password) started, with a code from the new app.
//!
//! # The QR code without loosening the page policy for script
//!
//! The QR code is the SVG of [`crate::mfa::qr`], shown as
//! `<img src="data:image/svg+xml;base64,...">`: an SVG loaded as an image
//! runs no script and loads nothing, and the templates never mark markup
//! as safe. The pages' policy allows `img-src data:` for it. A GET route
//! serving the SVG would need the pending secret again on a second
//! request (or in its URL), which a data URI avoids.
//!
//! A wrong confirming code shows the same page again; the secret comes
//! back from the form's hidden field for display only (the code is always
//! checked against the stored, sealed secret).

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use serde::Deserialize;

use super::holder_proven;
use crate::domain::MfaError;
use crate::http::client::Client;
use crate::http::pages::gate::PageSession;
use crate::http::pages::login_code::mfa_failure;
use crate::http::pages::view::{PageError, render};
use crate::http::pages::{csrf, form, rate};
use crate::http::state::AppState;
use crate::mfa::qr;
use crate::mfa::totp::{TotpSecret, otpauth_uri};

/// The section's state on the account page.
#[derive(Debug, Default)]
pub struct TwoStepSection {
    /// Whether an authenticator is confirmed.
    pub enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// Why the last action did not happen.
    pub error: Option<String>,
}

impl TwoStepSection {
    /// The section for `user_id`.
    pub(super) async fn load(state: &AppState, user_id: &str) -> Result<Self, PageError> {
        let status = state.auth.mfa_status(user_id).await.map_err(mfa_failure)?;
        Ok(TwoStepSection {
            enabled: status.totp,
            recovery_codes_left: status.recovery_codes_left,
            error: None,
        })
    }
}

/// The set-up page: scan or type, then confirm with a code.
#[derive(Debug, Template)]
#[template(path = "pages/two_step_setup.html")]
pub struct SetupPage {
    /// The form's CSRF token.
    pub csrf: String,
    /// The QR code as a `data:` URI.
    pub qr_data_uri: String,
    /// The secret in base32, for typing by hand.
    pub secret: String,
    /// Why the last code failed.
    pub error: Option<String>,
}

/// The recovery codes, shown once.
#[derive(Debug, Template)]
#[template(path = "pages/recovery_codes.html")]
pub struct RecoveryCodesPage {
    /// The heading.
    pub title: &'static str,
    /// The ten codes.
    pub codes: Vec<String>,
}

/// A form with the CSRF token and, from a session that is not fresh, the
/// current password.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupForm {
    csrf_token: String,
    current_password: String,
}

/// A form proven by a code.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    csrf_token: String,
    current_password: String,
    code: String,
    secret: String,
}

/// What a refusal of the password says was left undone.
const NOTHING_CHANGED: &str = "nothing was changed";

/// The account page again, with `problem` in this section.
async fn refused(
    state: &AppState,
    session: PageSession,
    status: StatusCode,
    problem: String,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(state, session.jar.clone())?;
    let mut page = super::page(state, &session, csrf).await?;
    page.two_step.error = Some(problem);
    Ok((jar, render(status, &page)).into_response())
}

/// Runs a code check under the account's failed-login limit (as the JSON
/// API does): the outcome, or the wait.
async fn guarded<T>(
    state: &AppState,
    username: &str,
    check: impl Future<Output = Result<T, MfaError>>,
) -> Result<Result<T, MfaError>, rate::Wait> {
    rate::account_failures(state, username).await?;
    let outcome = check.await;
    if outcome.is_ok() {
        rate::clear_failures(state, username).await;
    }
    Ok(outcome)
}

/// `data:image/svg+xml;base64,...` of an SVG document.
fn data_uri(svg: &str) -> String {
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

/// `POST /account/two-step/setup`: a new secret and the set-up page.
pub async fn setup(
    State(state): State<AppState>,
    session: PageSession,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: SetupForm = form::parse(&body)?;
    let session = match session.check_form(&state, &headers, &form.csrf_token) {
        Ok(session) => session,
        Err(refused) => return Ok(refused),
    };
    if let Some((status, problem)) = holder_proven(
        &state,
        &session,
        &client,
        form.current_password,
        NOTHING_CHANGED,
    )
    .await?
    {
        return refused(&state, session, status, problem).await;
    }
    let enrolment = match state.auth.enrol_totp(&session.user.id).await {
        Ok(enrolment) => enrolment,
        Err(MfaError::AlreadyEnabled) => {
            return Ok((session.jar, Redirect::to("/account")).into_response());
        }
        Err(MfaError::Unavailable(_)) => {
            let problem = "Two-step sign-in is not available on this server.".to_owned();
            return refused(&state, session, StatusCode::SERVICE_UNAVAILABLE, problem).await;
        }
        Err(err) => return Err(mfa_failure(err)),
    };
    let (jar, csrf) = csrf::token(&state, session.jar)?;
    let page = SetupPage {
        csrf,
        qr_data_uri: data_uri(&enrolment.qr_svg),
        secret: enrolment.secret,
        error: None,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// The set-up page again after a wrong code, drawn from the secret the
/// form carried (display only), or `None` when it is not a secret.
fn setup_again(
    state: &AppState,
    username: &str,
    csrf: String,
    secret: &str,
    error: String,
) -> Option<SetupPage> {
    let bytes = data_encoding::BASE32_NOPAD.decode(secret.as_bytes()).ok()?;
    let secret = TotpSecret::from_bytes(bytes);
    let uri = otpauth_uri(&state.auth.settings().totp_issuer, username, &secret);
    let svg = qr::svg(&uri).ok()?;
    Some(SetupPage {
        csrf,
        qr_data_uri: data_uri(&svg),
        secret: secret.base32(),
        error: Some(error),
    })
}

/// `POST /account/two-step/confirm`: turns the authenticator on with a
/// code from it; the recovery codes page.
pub async fn confirm(
    State(state): State<AppState>,
    session: PageSession,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: CodeForm = form::parse(&body)?;
    let session = match session.check_form(&state, &headers, &form.csrf_token) {
        Ok(session) => session,
        Err(refused) => return Ok(refused),
    };
    let user = session.user.clone();
    let outcome = guarded(
        &state,
        &user.username,
        state.auth.confirm_totp(&user.id, &form.code),
    )
    .await;
    let codes = match outcome {
        Ok(Ok(codes)) => codes,
        Err(wait) => {
            let status = StatusCode::TOO_MANY_REQUESTS;
            return confirm_refused(&state, session, &form.secret, status, wait.message()).await;
        }
        Ok(Err(MfaError::InvalidCode)) => {
            let problem = "That code is not right. Check the app shows Tessera's code and \
                           enter the current one."
                .to_owned();
            let status = StatusCode::UNAUTHORIZED;
            return confirm_refused(&state, session, &form.secret, status, problem).await;
        }
        Ok(Err(MfaError::AlreadyEnabled)) => {
            return Ok((session.jar, Redirect::to("/account")).into_response());
        }
        Ok(Err(MfaError::NoPendingEnrolment)) => {
            let problem =
                "That set-up expired. Press \u{201c}Set up\u{201d} to start again.".to_owned();
            return refused(&state, session, StatusCode::CONFLICT, problem).await;
        }
        Ok(Err(err)) => return Err(mfa_failure(err)),
    };
    let page = RecoveryCodesPage {
        title: "Two-step sign-in is on",
        codes,
    };
    Ok((session.jar, render(StatusCode::OK, &page)).into_response())
}

/// A refused confirming code: the set-up page again with `problem`, or the
/// account page when the form's secret cannot be shown.
async fn confirm_refused(
    state: &AppState,
    session: PageSession,
    secret: &str,
    status: StatusCode,
    problem: String,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(state, session.jar.clone())?;
    match setup_again(state, &session.user.username, csrf, secret, problem.clone()) {
        Some(page) => Ok((jar, render(status, &page)).into_response()),
        None => refused(state, session, status, problem).await,
    }
}

/// `POST /account/two-step/disable`: turns it off, proven by a code.
pub async fn disable(
    State(state): State<AppState>,
    session: PageSession,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: CodeForm = form::parse(&body)?;
    let session = match session.check_form(&state, &headers, &form.csrf_token) {
        Ok(session) => session,
        Err(refused) => return Ok(refused),
    };
    if let Some((status, problem)) = holder_proven(
        &state,
        &session,
        &client,
        form.current_password,
        NOTHING_CHANGED,
    )
    .await?
    {
        return refused(&state, session, status, problem).await;
    }
    let user = session.user.clone();
    let outcome = guarded(
        &state,
        &user.username,
        state.auth.disable_totp(&user.id, &form.code),
    )
    .await;
    match outcome {
        Ok(Ok(()) | Err(MfaError::NotEnabled)) => {
            Ok((session.jar, Redirect::to("/account?done=two_step_off")).into_response())
        }
        Err(wait) => {
            refused(
                &state,
                session,
                StatusCode::TOO_MANY_REQUESTS,
                wait.message(),
            )
            .await
        }
        Ok(Err(MfaError::InvalidCode)) => {
            let problem = "That code is not right, so two-step sign-in stays on.".to_owned();
            refused(&state, session, StatusCode::UNAUTHORIZED, problem).await
        }
        Ok(Err(err)) => Err(mfa_failure(err)),
    }
}

/// `POST /account/two-step/recovery-codes`: ten new codes, proven by a
/// code from the app.
pub async fn regenerate(
    State(state): State<AppState>,
    session: PageSession,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: CodeForm = form::parse(&body)?;
    let session = match session.check_form(&state, &headers, &form.csrf_token) {
        Ok(session) => session,
        Err(refused) => return Ok(refused),
    };
    if let Some((status, problem)) = holder_proven(
        &state,
        &session,
        &client,
        form.current_password,
        NOTHING_CHANGED,
    )
    .await?
    {
        return refused(&state, session, status, problem).await;
    }
    let user = session.user.clone();
    let outcome = guarded(
        &state,
        &user.username,
        state.auth.regenerate_recovery_codes(&user.id, &form.code),
    )
    .await;
    let codes = match outcome {
        Ok(Ok(codes)) => codes,
        Ok(Err(MfaError::NotEnabled)) => {
            return Ok((session.jar, Redirect::to("/account")).into_response());
        }
        Err(wait) => {
            return refused(
                &state,
                session,
                StatusCode::TOO_MANY_REQUESTS,
                wait.message(),
            )
            .await;
        }
        Ok(Err(MfaError::InvalidCode)) => {
            let problem =
                "That code is not right, so your recovery codes were not changed.".to_owned();
            return refused(&state, session, StatusCode::UNAUTHORIZED, problem).await;
        }
        Ok(Err(err)) => return Err(mfa_failure(err)),
    };
    let page = RecoveryCodesPage {
        title: "New recovery codes",
        codes,
    };
    Ok((session.jar, render(StatusCode::OK, &page)).into_response())
}
