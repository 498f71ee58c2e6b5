//! The one error shape every endpoint answers with:
//! `{"error": "<snake_case_code>", "message": "<human text>"}` and the right status.

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error response. Build one with the constructors; they pick the status.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// For a store outage: the cause, handed to the outage log through a
    /// response extension (never put in the body).
    outage: Option<String>,
}

/// What a client is told to wait before retrying during a store outage.
pub const STORE_RETRY_AFTER_SECONDS: u64 = 5;

/// A response extension marking a `503 store_unavailable`, with the cause,
/// so the router can log the outage once (see
/// [`Store::report_outage`](crate::store::Store::report_outage)).
#[derive(Debug, Clone)]
pub struct StoreOutage(pub String);

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    /// Any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            headers: Vec::new(),
            outage: None,
        }
    }

    /// 400: the request could not be read (malformed JSON, bad query).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422: a field is missing or invalid; names the field.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut error = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        );
        error.field = Some(field.into());
        error
    }

    /// 401 with an RFC 6750 challenge.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        let challenge = format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            message.replace(['"', '\\'], "'")
        );
        let mut error = Self::new(StatusCode::UNAUTHORIZED, code, message);
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            error.headers.push((header::WWW_AUTHENTICATE, value));
        }
        error
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("too many attempts; retry in {retry_after_seconds} s"),
        );
        error
            .headers
            .push((header::RETRY_AFTER, HeaderValue::from(retry_after_seconds)));
        error
    }

    /// 503 `store_unavailable` with `Retry-After`: the database is down,
    /// refusing connections or cannot take writes. `cause` goes to the log
    /// (once per outage), not to the client.
    pub fn store_unavailable(cause: &dyn std::fmt::Display) -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            format!("the database is unavailable; retry in {STORE_RETRY_AFTER_SECONDS} s"),
        );
        error.headers.push((
            header::RETRY_AFTER,
            HeaderValue::from(STORE_RETRY_AFTER_SECONDS),
        ));
        error.outage = Some(cause.to_string());
        error
    }

    /// 503 `server_busy` with `Retry-After`: the server is at capacity
    /// (password hashing saturated, or too many connections).
    pub fn server_busy() -> Self {
        let seconds = crate::edge_settings::BUSY_RETRY_AFTER_SECONDS;
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            format!("the server is at capacity; retry in {seconds} s"),
        );
        error
            .headers
            .push((header::RETRY_AFTER, HeaderValue::from(seconds)));
        error
    }

    /// 500, logged, with a message that reveals nothing.
    pub fn internal(context: &str, err: &dyn std::fmt::Display) -> Self {
        tracing::error!(%context, error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed to handle this request",
        )
    }

    /// Adds a response header (a challenge, a retry hint).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(Body {
            error: self.code,
            message: &self.message,
            field: self.field.as_deref(),
        });
        let mut response = (self.status, body).into_response();
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        if let Some(cause) = self.outage {
            response.extensions_mut().insert(StoreOutage(cause));
        }
        response
    }
}
