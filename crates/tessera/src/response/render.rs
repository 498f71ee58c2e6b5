//! The two built-in renderings of an [`AuthError`].

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value};

use super::AuthError;
use crate::claims::TokenType;
use crate::error::{Part, TokenError};

/// The RFC 6750 `error` attribute for a 401/403 challenge, if any.
enum Challenge {
    /// `Bearer` alone: no credentials were sent (RFC 6750 §3.1).
    Bare,
    /// `Bearer error="…", error_description="…"`.
    Error(&'static str),
    /// No `WWW-Authenticate` header.
    None,
}

/// Tessera's style: `{"error", "message"}` and RFC 6750 statuses.
pub(super) fn tessera(error: &AuthError) -> Response {
    let (status, challenge, message): (StatusCode, Challenge, String) = match error {
        AuthError::Missing(missing) => (
            StatusCode::UNAUTHORIZED,
            Challenge::Bare,
            missing.to_string(),
        ),
        AuthError::BadHeader { .. } | AuthError::BadQueryValue { .. } => (
            StatusCode::BAD_REQUEST,
            Challenge::Error("invalid_request"),
            error.to_string(),
        ),
        AuthError::Invalid(_) => invalid("The token is invalid"),
        AuthError::Expired => invalid("The token has expired"),
        AuthError::NotYetValid(_) => invalid("The token is not yet valid"),
        AuthError::WrongType { expected, .. } => invalid(match expected {
            TokenType::Access => "An access token is required",
            TokenType::Refresh => "A refresh token is required",
        }),
        AuthError::NeedsFresh => (
            StatusCode::UNAUTHORIZED,
            Challenge::Error("insufficient_user_authentication"),
            "A fresh token is required".to_owned(),
        ),
        AuthError::Revoked => invalid("The token has been revoked"),
        AuthError::ClaimsRejected => invalid("The token's claims were rejected"),
        AuthError::UserNotFound { .. } => invalid("The token's user does not exist"),
        AuthError::CsrfMissing | AuthError::CsrfMismatch => {
            (StatusCode::FORBIDDEN, Challenge::None, error.to_string())
        }
        AuthError::ForbiddenRole { .. } => (
            StatusCode::FORBIDDEN,
            Challenge::Error("insufficient_scope"),
            "The token lacks a required role".to_owned(),
        ),
        // RFC 9470's code: the user must sign in again, more strongly.
        AuthError::ForbiddenAmr { .. } => (
            StatusCode::FORBIDDEN,
            Challenge::Error("insufficient_user_authentication"),
            "The token lacks a required authentication method".to_owned(),
        ),
        AuthError::UserLookupFailed(_) | AuthError::BlocklistUnavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Challenge::None,
            "Authentication is temporarily unavailable".to_owned(),
        ),
        AuthError::Preflight => return StatusCode::NO_CONTENT.into_response(),
        AuthError::Misconfigured(what) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Challenge::None,
            (*what).to_owned(),
        ),
    };
    let mut body = Map::new();
    body.insert("error".to_owned(), Value::from(error.code()));
    body.insert("message".to_owned(), Value::from(message.clone()));
    respond(status, &challenge, &message, &body)
}

fn invalid(message: &str) -> (StatusCode, Challenge, String) {
    (
        StatusCode::UNAUTHORIZED,
        Challenge::Error("invalid_token"),
        message.to_owned(),
    )
}

/// Flask-JWT-Extended 4.7's statuses and `{"msg": …}` bodies.
pub(super) fn flask(error: &AuthError, message_key: &str) -> Response {
    let unauthorized = StatusCode::UNAUTHORIZED;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let (status, message): (StatusCode, String) = match error {
        AuthError::Missing(missing) => (unauthorized, missing.to_string()),
        AuthError::BadHeader { .. } | AuthError::BadQueryValue { .. } => {
            (unprocessable, error.to_string())
        }
        AuthError::Invalid(token_error) | AuthError::NotYetValid(token_error) => {
            (unprocessable, pyjwt_message(token_error))
        }
        AuthError::Expired => (unauthorized, "Token has expired".to_owned()),
        AuthError::WrongType { expected, .. } => (
            unprocessable,
            match expected {
                TokenType::Access => "Only non-refresh tokens are allowed",
                TokenType::Refresh => "Only refresh tokens are allowed",
            }
            .to_owned(),
        ),
        AuthError::NeedsFresh
        | AuthError::Revoked
        | AuthError::CsrfMissing
        | AuthError::CsrfMismatch
        | AuthError::UserNotFound { .. } => (unauthorized, error.to_string()),
        AuthError::ClaimsRejected => (StatusCode::BAD_REQUEST, error.to_string()),
        AuthError::ForbiddenRole { .. } | AuthError::ForbiddenAmr { .. } => {
            (StatusCode::FORBIDDEN, error.to_string())
        }
        AuthError::UserLookupFailed(_) | AuthError::BlocklistUnavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable".to_owned(),
        ),
        AuthError::Preflight => return StatusCode::NO_CONTENT.into_response(),
        AuthError::Misconfigured(what) => (StatusCode::INTERNAL_SERVER_ERROR, (*what).to_owned()),
    };
    let challenge = match (status, error) {
        (StatusCode::UNAUTHORIZED, AuthError::Missing(_)) => Challenge::Bare,
        (StatusCode::UNAUTHORIZED, _) => Challenge::Error("invalid_token"),
        _ => Challenge::None,
    };
    let mut body = Map::new();
    body.insert(message_key.to_owned(), Value::from(message.clone()));
    respond(status, &challenge, &message, &body)
}

/// The text PyJWT (through Flask-JWT-Extended) gives for each refusal.
fn pyjwt_message(error: &TokenError) -> String {
    match error {
        TokenError::WrongSegmentCount => "Not enough segments".to_owned(),
        TokenError::Base64(Part::Header) => "Invalid header padding".to_owned(),
        TokenError::Base64(Part::Payload) => "Invalid payload padding".to_owned(),
        TokenError::Base64(Part::Signature) => "Invalid crypto padding".to_owned(),
        TokenError::Json {
            part: Part::Header, ..
        } => "Invalid header string: must be a json object".to_owned(),
        TokenError::Json { .. } => "Invalid payload string: must be a json object".to_owned(),
        TokenError::UnsupportedAlgorithm(_) | TokenError::AlgorithmMismatch { .. } => {
            "The specified alg value is not allowed".to_owned()
        }
        TokenError::InvalidSignature | TokenError::UnknownKeyId => {
            "Signature verification failed".to_owned()
        }
        TokenError::NotYetValid => "The token is not yet valid (nbf)".to_owned(),
        TokenError::IssuedInFuture => "The token is not yet valid (iat)".to_owned(),
        TokenError::MissingClaim(claim)
            if matches!(claim.as_str(), "aud" | "iss" | "exp" | "iat") =>
        {
            format!("Token is missing the \"{claim}\" claim")
        }
        TokenError::MissingClaim(claim) => format!("Missing claim: {claim}"),
        TokenError::InvalidAudience => "Audience doesn't match".to_owned(),
        TokenError::InvalidIssuer => "Invalid issuer".to_owned(),
        TokenError::InvalidClaim { claim, .. } if claim == "sub" => {
            "Subject must be a string".to_owned()
        }
        TokenError::InvalidClaim { claim, .. } if claim == "iat" => {
            "Issued At claim (iat) must be an integer.".to_owned()
        }
        other => other.to_string(),
    }
}

fn respond(
    status: StatusCode,
    challenge: &Challenge,
    message: &str,
    body: &Map<String, Value>,
) -> Response {
    let json = serde_json::to_vec(body).unwrap_or_default();
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], json).into_response();
    let value = match challenge {
        Challenge::None => return response,
        Challenge::Bare => "Bearer".to_owned(),
        Challenge::Error(code) => format!(
            "Bearer error=\"{code}\", error_description=\"{}\"",
            description(message)
        ),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// RFC 6750 §3: `error_description` is printable ASCII without `"` and `\`.
fn description(message: &str) -> String {
    message
        .chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}
