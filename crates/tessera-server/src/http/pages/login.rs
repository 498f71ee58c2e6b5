//! `GET /login` and `POST /login`: username and password, one button per
//! enabled provider, then back to the allowed `rd` or the account page. An
//! account with an authenticator gets the code page first ([`login_code`]).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::destination::{self, ReturnQuery};
use super::view::{PageError, render};
use super::{csrf, form, login_code, rate, session};
use crate::domain::{AccountError, Password, SignInOutcome};
use crate::http::client::Client;
use crate::http::metrics::Metrics;
use crate::http::state::AppState;

/// The one message for an unknown user, a wrong password and a disabled
/// account, so the page says nothing about which it was.
pub const INVALID_CREDENTIALS: &str = "Incorrect username or password.";

/// The answer to a right password when the account's second factor is a
/// passkey only (no authenticator app to type a code from).
pub const PASSKEY_STEP: &str =
    "This account signs in with a passkey. Use \u{201c}Sign in with a passkey\u{201d} below.";

/// A provider's button.
#[derive(Debug)]
pub struct ProviderButton {
    /// What the button says.
    pub name: String,
    /// Where it starts the provider's sign-in.
    pub href: String,
}

/// The sign-in page.
#[derive(Debug, Template)]
#[template(path = "pages/login.html")]
pub struct LoginPage {
    /// The form's CSRF token.
    pub csrf: String,
    /// The allowed URL to return to, if one was asked for.
    pub rd: Option<String>,
    /// The username typed so far.
    pub username: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// The enabled providers.
    pub providers: Vec<ProviderButton>,
    /// Whether to offer sign-up.
    pub registration_open: bool,
    /// The sign-up link (keeps `rd`).
    pub register_href: String,
    /// Whether to offer "Sign in with a passkey" (needs the script).
    pub passkeys: bool,
    /// Where the passkey sign-in goes afterwards: the allowed `rd`, or the
    /// account page.
    pub next: String,
}

/// The posted form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf_token: String,
    rd: Option<String>,
}

/// `GET /login`. A browser that is already signed in (after renewing its
/// access cookie, if need be) and asks for an allowed `rd` goes straight
/// on there: that is how forward auth's redirect returns a browser whose
/// access token had only expired.
pub async fn show(
    State(state): State<AppState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let rd = ReturnQuery::from_raw(query.as_deref()).allowed(&state);
    let jar = match session::resolve(&state, jar).await? {
        session::Signed::In(_, jar) => match rd {
            Some(rd) => return Ok((jar, Redirect::to(&rd)).into_response()),
            None => jar,
        },
        session::Signed::Out(jar) => jar,
    };
    let (jar, csrf) = csrf::token(&state, jar)?;
    let page = page(&state, csrf, rd, String::new(), None);
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /login`.
pub async fn submit(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: LoginForm = form::parse(&body)?;
    let rd = destination::allowed(&state, form.rd);
    let refused = csrf::check(&state, &headers, &jar, &form.csrf_token);
    let (jar, csrf) = csrf::token(&state, jar)?;
    let again = |status: StatusCode, message: String| {
        let page = page(
            &state,
            csrf.clone(),
            rd.clone(),
            form.username.clone(),
            Some(message),
        );
        (jar.clone(), render(status, &page)).into_response()
    };
    if refused.is_err() {
        return Ok(again(
            StatusCode::FORBIDDEN,
            "This form expired or came from another site. Please sign in again.".to_owned(),
        ));
    }
    let limited = match rate::per_ip(&state, &client).await {
        Ok(()) => rate::account_failures(&state, &form.username).await,
        Err(wait) => Err(wait),
    };
    if let Err(wait) = limited {
        let mut response = again(StatusCode::TOO_MANY_REQUESTS, wait.message());
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.0));
        return Ok(response);
    }
    let outcome = match state
        .auth
        .sign_in(&form.username, &Password::new(form.password), client.0)
        .await
    {
        Ok(outcome) => outcome,
        Err(AccountError::InvalidCredentials | AccountError::Validation(_)) => {
            Metrics::inc(&state.metrics.logins_failed);
            return Ok(again(
                StatusCode::UNAUTHORIZED,
                INVALID_CREDENTIALS.to_owned(),
            ));
        }
        Err(err) => return Err(err.into()),
    };
    let grant = match outcome {
        SignInOutcome::Session(grant) => grant,
        // The password was right: the failure count waits for the code,
        // as in the JSON API (the code step clears it or counts a wrong one).
        SignInOutcome::SecondFactor(challenge) if challenge.methods.contains(&"totp") => {
            return Ok(login_code::challenge_page(jar, csrf, challenge, rd));
        }
        // A passkey is this account's only second factor, and its step
        // needs the browser's WebAuthn call: the page's passkey button,
        // which signs in with the passkey alone. The unused challenge
        // expires on its own.
        SignInOutcome::SecondFactor(_) => {
            return Ok(again(StatusCode::UNAUTHORIZED, PASSKEY_STEP.to_owned()));
        }
    };
    rate::clear_failures(&state, &form.username).await;
    Metrics::inc(&state.metrics.logins_ok);
    let jar = session::set_cookies(&state, jar, &grant, true)?;
    // Held back from a role until enrolled: the account page, to set it up.
    let to = if grant.mfa_enrollment_required {
        format!("{}?done=two_step_required", destination::ACCOUNT)
    } else {
        destination::after_sign_in(&state, rd)
    };
    Ok((jar, Redirect::to(&to)).into_response())
}

/// The page with its providers and links.
pub fn page(
    state: &AppState,
    csrf: String,
    rd: Option<String>,
    username: String,
    error: Option<String>,
) -> LoginPage {
    // A provider sign-in must name where it returns: the requested page, or
    // this server's account page.
    let return_to = rd
        .clone()
        .unwrap_or_else(|| format!("{}{}", state.social.public_url, destination::ACCOUNT));
    let providers = state
        .providers
        .iter()
        .map(|provider| ProviderButton {
            name: provider.display_name().to_owned(),
            href: format!(
                "/auth/oauth/{}/start?{}",
                provider.id(),
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("return_to", &return_to)
                    .finish()
            ),
        })
        .collect();
    let register_href = with_rd("/register", rd.as_deref());
    let next = rd
        .clone()
        .unwrap_or_else(|| destination::ACCOUNT.to_owned());
    LoginPage {
        csrf,
        rd,
        username,
        error,
        providers,
        registration_open: state.auth.settings().registration_open,
        register_href,
        passkeys: super::assets::scripts_offered(state),
        next,
    }
}

/// `path` with `?rd=` when there is one to keep.
pub fn with_rd(path: &str, rd: Option<&str>) -> String {
    match rd {
        Some(rd) => format!(
            "{path}?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("rd", rd)
                .finish()
        ),
        None => path.to_owned(),
    }
}
