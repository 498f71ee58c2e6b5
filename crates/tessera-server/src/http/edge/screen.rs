//! Screening the request headers Tessera reads, before any handler does:
//! a value that is not printable ASCII or a second copy of a header that
//! must be single is a `400 invalid_header` naming the header; for the token
//! header (`Authorization`), also a field that is not exactly one
//! `<type> <token>`, it is the library's `400 invalid_request` with its
//! RFC 6750 challenge — never a 500, and never a guess at which token was
//! meant. At the forward-auth endpoint the status is 401 instead, as for
//! every refusal there (a proxy turns any other status into its own 500).
//!
//! Framing (`Content-Length` against `Transfer-Encoding`, malformed heads,
//! control bytes) is hyper's, which refuses such a request before it is
//! routed.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
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

/// The forward-auth endpoint, whose refusals are all 401.
const FORWARD_AUTH: &str = "/auth/verify";

/// Passes the request on when its headers are sound; otherwise answers 400
/// (401 at [`FORWARD_AUTH`]).
pub async fn screen_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match check(request.headers(), &state) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            let mut response = refusal.into_response();
            if request.uri().path() == FORWARD_AUTH {
                *response.status_mut() = StatusCode::UNAUTHORIZED;
            }
            response
        }
    }
}

fn check(headers: &HeaderMap, state: &AppState) -> Result<(), ApiError> {
    let config = state.jwt.config();
    let token_header = &config.header.name;
    if headers.get_all(token_header).iter().nth(1).is_some() {
        return Err(bad_credentials(token_header, "appears more than once"));
    }
    for name in &SINGLE {
        if headers.get_all(name).iter().nth(1).is_some() {
            return Err(invalid(name.as_str(), "appears more than once"));
        }
    }
    let read = SINGLE.iter().map(HeaderName::as_str).chain(READ).chain([
        token_header.as_str(),
        config.csrf.access_header.as_str(),
        config.csrf.refresh_header.as_str(),
    ]);
    const UNPRINTABLE: &str = "holds bytes other than printable ASCII";
    for name in read {
        for value in headers.get_all(name) {
            if !value.as_bytes().iter().all(|&byte| printable(byte)) {
                return Err(if name == token_header.as_str() {
                    bad_credentials(token_header, UNPRINTABLE)
                } else {
                    invalid(name, UNPRINTABLE)
                });
            }
        }
    }
    if let Some(value) = headers.get(token_header) {
        let kind = kind_name(config.header.kind.as_str());
        // Printable ASCII, as checked above, so always text.
        let text = value.to_str().unwrap_or_default();
        if !one_credential_of_kind(text, config.header.kind.as_str()) {
            return Err(bad_credentials(
                token_header,
                &format!("must hold one {kind} credential: {kind} <token>"),
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
        StatusCode::BAD_REQUEST,
        "invalid_header",
        format!("the {name} header {problem}"),
    )
}

/// The token header's refusal, as the library words a malformed one.
fn bad_credentials(name: &HeaderName, problem: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        format!("the {name} header {problem}"),
    )
    .with_header(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_request\""),
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
