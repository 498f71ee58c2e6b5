//! Screening the request headers Tessera reads, before any handler does:
//! a value that is not printable ASCII, a second copy of a header that must
//! be single, or an `Authorization` field that is not exactly
//! `<type> <token>` is a `400 invalid_header` naming the header — never a
//! 500, and never a guess at which token was meant.
//!
//! Framing (`Content-Length` against `Transfer-Encoding`, malformed heads,
//! control bytes) is hyper's, which refuses such a request before it is
//! routed.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Headers read by Tessera that must appear at most once: a second copy
/// would leave the choice of value to whichever reader looks first.
const SINGLE: [HeaderName; 4] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ORIGIN,
    header::USER_AGENT,
];

/// Further headers read by Tessera (besides [`SINGLE`], the configured
/// token and CSRF headers): their values must be printable ASCII.
/// (`X-Request-Id` is screened on its own: an unsound one is replaced.)
const READ: [&str; 9] = [
    "cookie",
    "accept",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-uri",
    "x-forwarded-method",
    "x-original-method",
    "x-csrf-token",
];

/// Passes the request on when its headers are sound; otherwise answers 400.
pub async fn screen_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match check(request.headers(), &state) {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

fn check(headers: &HeaderMap, state: &AppState) -> Result<(), ApiError> {
    let config = state.jwt.config();
    let token_header = &config.header.name;
    for name in &SINGLE {
        if headers.get_all(name).iter().nth(1).is_some() {
            return Err(invalid(name.as_str(), "appears more than once"));
        }
    }
    if headers.get_all(token_header).iter().nth(1).is_some() {
        return Err(invalid(token_header.as_str(), "appears more than once"));
    }
    let read = SINGLE
        .iter()
        .map(HeaderName::as_str)
        .chain(READ)
        .chain([
            token_header.as_str(),
            config.csrf.access_header.as_str(),
            config.csrf.refresh_header.as_str(),
        ]);
    for name in read {
        for value in headers.get_all(name) {
            if !value.as_bytes().iter().all(|&byte| printable(byte)) {
                return Err(invalid(name, "holds bytes other than printable ASCII"));
            }
        }
    }
    if let Some(value) = headers.get(token_header) {
        let kind = config.header.kind.as_str();
        // printable ASCII, checked above
        let text = value.to_str().unwrap_or_default();
        if !one_credential_of_kind(text, kind) {
            return Err(invalid(
                token_header.as_str(),
                &format!("must hold one {} credential: {} <token>", kind_name(kind), kind_name(kind)),
            ));
        }
    }
    Ok(())
}

/// Visible ASCII, space and tab: what a header Tessera reads may hold.
fn printable(byte: u8) -> bool {
    matches!(byte, b'\t' | b' '..=b'~')
}

/// Whether `text` (one header value) names at most one credential of
/// `kind`, and that one is exactly `<kind> <token>`. Other schemes may sit
/// beside it (`Basic x, Bearer y`), as Flask-JWT-Extended reads them.
fn one_credential_of_kind(text: &str, kind: &str) -> bool {
    if kind.is_empty() {
        return text.split_whitespace().nth(1).is_none();
    }
    let mut ours = text
        .split(',')
        .map(str::trim)
        .filter(|field| field.split_whitespace().next() == Some(kind));
    match (ours.next(), ours.next()) {
        (None, _) => true,
        (Some(field), None) => field.split_whitespace().count() == 2,
        (Some(_), Some(_)) => false,
    }
}

fn kind_name(kind: &str) -> &str {
    if kind.is_empty() { "bare" } else { kind }
}

fn invalid(name: &str, problem: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "invalid_header",
        format!("the {name} header {problem}"),
    )
}

#[cfg(test)]
mod tests {
    use super::one_credential_of_kind;

    #[test]
    fn one_bearer_credential_beside_others_is_sound() {
        assert!(one_credential_of_kind("Bearer abc", "Bearer"));
        assert!(one_credential_of_kind("Basic x, Bearer abc", "Bearer"));
        assert!(one_credential_of_kind("Basic x", "Bearer"));
    }

    #[test]
    fn two_tokens_or_two_bearer_credentials_are_not() {
        assert!(!one_credential_of_kind("Bearer abc def", "Bearer"));
        assert!(!one_credential_of_kind("Bearer abc, Bearer def", "Bearer"));
        assert!(!one_credential_of_kind("Bearer", "Bearer"));
        assert!(!one_credential_of_kind("abc def", ""));
    }
}
