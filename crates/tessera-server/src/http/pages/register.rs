//! `GET /register` and `POST /register`: sign-up with the password rules
//! shown before the person types, and the server's refusals by the field.
//! Closed (`TESSERA_REGISTRATION=closed`) the page says so and the form is
//! gone; the domain refuses any registration, here as in the JSON API.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::destination::{self, ReturnQuery};
use super::login::with_rd;
use super::view::{PageError, render};
use super::{csrf, form, rate, session};
use crate::domain::{AccountError, MAX_PASSWORD_CHARS, Password, Registration};
use crate::http::client::Client;
use crate::http::metrics::Metrics;
use crate::http::state::AppState;

/// The sign-up page.
#[derive(Debug, Default, Template)]
#[template(path = "pages/register.html")]
pub struct RegisterPage {
    /// Whether sign-up is open.
    pub open: bool,
    /// The form's CSRF token.
    pub csrf: String,
    /// The allowed URL to return to.
    pub rd: Option<String>,
    /// What was typed (never the password).
    pub username: String,
    /// What was typed.
    pub email: String,
    /// A refusal not about one field.
    pub error: Option<String>,
    /// The username's problem.
    pub username_error: Option<String>,
    /// The e-mail address's problem.
    pub email_error: Option<String>,
    /// The password's problem.
    pub password_error: Option<String>,
    /// Shortest password.
    pub min_chars: usize,
    /// Longest password.
    pub max_chars: usize,
    /// The sign-in link (keeps `rd`).
    pub login_href: String,
}

/// The posted form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    username: String,
    email: String,
    password: String,
    csrf_token: String,
    rd: Option<String>,
}

/// `GET /register`.
pub async fn show(
    State(state): State<AppState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let rd = ReturnQuery::from_raw(query.as_deref()).allowed(&state);
    let (jar, csrf) = csrf::token(&state, jar)?;
    let page = blank(&state, csrf, rd);
    let status = if page.open {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    };
    Ok((jar, render(status, &page)).into_response())
}

/// `POST /register`: creates the account and signs it in.
pub async fn submit(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: RegisterForm = form::parse(&body)?;
    let rd = destination::allowed(&state, form.rd.clone());
    let refused = csrf::check(&state, &headers, &jar, &form.csrf_token);
    let (jar, csrf) = csrf::token(&state, jar)?;
    let mut page = RegisterPage {
        username: form.username.clone(),
        email: form.email.clone(),
        ..blank(&state, csrf, rd.clone())
    };
    let status = if !page.open {
        StatusCode::FORBIDDEN
    } else if refused.is_err() {
        page.error =
            Some("This form expired or came from another site. Please try again.".to_owned());
        StatusCode::FORBIDDEN
    } else if let Err(wait) = rate::per_ip(&state, &client).await {
        page.error = Some(wait.message());
        let mut response = (jar, render(StatusCode::TOO_MANY_REQUESTS, &page)).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.0));
        return Ok(response);
    } else {
        let email = Some(form.email.trim().to_owned()).filter(|email| !email.is_empty());
        let password = Password::new(form.password.clone());
        match state
            .auth
            .register(Registration::new(form.username.clone(), password, email))
            .await
        {
            Ok(_) => {
                Metrics::inc(&state.metrics.registrations);
                return signed_in(&state, client, jar, &form, rd).await;
            }
            Err(AccountError::Validation(invalid)) => {
                let problem = Some(capitalised(&invalid.problem.to_string()));
                match invalid.field {
                    "username" => page.username_error = problem,
                    "email" => page.email_error = problem,
                    "password" => page.password_error = problem,
                    _ => page.error = Some(invalid.to_string()),
                }
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Err(AccountError::UsernameTaken) => {
                page.username_error = Some("That username is already taken.".to_owned());
                StatusCode::CONFLICT
            }
            Err(AccountError::RegistrationClosed) => {
                page.open = false;
                StatusCode::FORBIDDEN
            }
            Err(err) => return Err(err.into()),
        }
    };
    Ok((jar, render(status, &page)).into_response())
}

/// Signs the new account in and sends it on; should that fail (the
/// account was disabled in between), to the sign-in page.
async fn signed_in(
    state: &AppState,
    client: Client,
    jar: CookieJar,
    form: &RegisterForm,
    rd: Option<String>,
) -> Result<Response, PageError> {
    let password = Password::new(form.password.clone());
    match state.auth.login(&form.username, &password, client.0).await {
        Ok(grant) => {
            Metrics::inc(&state.metrics.logins_ok);
            let jar = session::set_cookies(state, jar, &grant, true)?;
            let to = destination::after_sign_in(state, rd);
            Ok((jar, Redirect::to(&to)).into_response())
        }
        Err(AccountError::InvalidCredentials) => {
            Ok((jar, Redirect::to(&with_rd("/login", rd.as_deref()))).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

fn blank(state: &AppState, csrf: String, rd: Option<String>) -> RegisterPage {
    let settings = state.auth.settings();
    RegisterPage {
        open: settings.registration_open,
        login_href: with_rd("/login", rd.as_deref()),
        csrf,
        rd,
        min_chars: settings.password_min_chars,
        max_chars: MAX_PASSWORD_CHARS,
        ..RegisterPage::default()
    }
}

/// "must be …" as a sentence: "Must be …."
fn capitalised(problem: &str) -> String {
    let mut chars = problem.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
