//! Why a request was refused, and the response that says so.
//!
//! Every failure is one [`AuthError`] variant, so applications can match on
//! it. Extractors reject with an [`AuthRejection`], which renders the error
//! in the manager's [`ErrorStyle`] unless the application
//! installed its own [`ErrorResponder`].
//!
//! # Default style
//!
//! Body `{"error": code, "message": text}`; statuses follow RFC 6750:
//!
//! | error | status | `error` code | `WWW-Authenticate` |
//! |---|---|---|---|
//! | [`Missing`](AuthError::Missing) | 401 | `missing_token` | `Bearer` (no error attribute, RFC 6750 §3.1) |
//! | [`BadHeader`](AuthError::BadHeader), [`BadQueryValue`](AuthError::BadQueryValue) | 400 | `invalid_request` | `Bearer error="invalid_request"` |
//! | [`Invalid`](AuthError::Invalid) | 401 | `invalid_token` | `Bearer error="invalid_token"` |
//! | [`Expired`](AuthError::Expired) | 401 | `token_expired` | `Bearer error="invalid_token"` |
//! | [`NotYetValid`](AuthError::NotYetValid) | 401 | `token_not_yet_valid` | `Bearer error="invalid_token"` |
//! | [`WrongType`](AuthError::WrongType) | 401 | `wrong_token_type` | `Bearer error="invalid_token"` |
//! | [`NeedsFresh`](AuthError::NeedsFresh) | 401 | `fresh_token_required` | `Bearer error="insufficient_user_authentication"` (RFC 9470) |
//! | [`Revoked`](AuthError::Revoked) | 401 | `token_revoked` | `Bearer error="invalid_token"` |
//! | [`ClaimsRejected`](AuthError::ClaimsRejected) | 401 | `claims_rejected` | `Bearer error="invalid_token"` |
//! | [`UserNotFound`](AuthError::UserNotFound) | 401 | `user_not_found` | `Bearer error="invalid_token"` |
//! | [`CsrfMissing`](AuthError::CsrfMissing) | 403 | `csrf_missing` | — |
//! | [`CsrfMismatch`](AuthError::CsrfMismatch) | 403 | `csrf_mismatch` | — |
//! | [`ForbiddenRole`](AuthError::ForbiddenRole) | 403 | `insufficient_role` | `Bearer error="insufficient_scope"` |
//! | [`ForbiddenAmr`](AuthError::ForbiddenAmr) | 403 | `insufficient_authentication` | `Bearer error="insufficient_user_authentication"` (RFC 9470) |
//! | [`BlocklistUnavailable`](AuthError::BlocklistUnavailable), [`UserLookupFailed`](AuthError::UserLookupFailed) | 503 | `service_unavailable` | — |
//! | [`Misconfigured`](AuthError::Misconfigured) | 500 | `server_misconfigured` | — |
//! | [`Preflight`](AuthError::Preflight) | 204, empty | — | — |
//!
//! An invalid token gets one uniform message whatever the reason (bad
//! signature, unknown `kid`, malformed…): the precise [`TokenError`] stays
//! in the error value for logs, and is not handed to the client.
//!
//! CSRF failures are 403, not 401: the client holds a session, and sending
//! it through a login flow again would not help; it must send the header.
//!
//! # Flask-JWT-Extended style
//!
//! [`ErrorStyle::FlaskCompat`] reproduces
//! Flask-JWT-Extended 4.7's statuses (401, 422 for malformed and invalid
//! tokens, 400 for a rejected claims check) and `{"msg": text}` bodies
//! word for word, so existing clients keep working during a migration.
//! 401 responses still carry `WWW-Authenticate`, as RFC 7235 requires.

mod render;

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::claims::TokenType;
use crate::error::{SharedError, TokenError};
use crate::locate::{LocateError, MissingToken};
use crate::settings::ErrorStyle;

/// Every way an authenticated request can be refused.
///
/// [`status`](AuthError::status) and [`code`](AuthError::code) give the
/// default response's status and `error` code; a failure caused by the
/// application's own store ([`UserLookupFailed`](AuthError::UserLookupFailed),
/// [`BlocklistUnavailable`](AuthError::BlocklistUnavailable)) keeps that
/// store's error as its [`source`](std::error::Error::source).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No token in any configured location.
    #[error("{0}")]
    Missing(MissingToken),
    /// The header has the type word but is not `<type> <token>`.
    #[error("Bad {name} header. Expected '{name}: {}<JWT>'", if kind.is_empty() { String::new() } else { format!("{kind} ") })]
    BadHeader {
        /// Header name.
        name: String,
        /// The type word (empty: bare token).
        kind: String,
    },
    /// The query parameter lacks the configured prefix.
    #[error(
        "Invalid value for query parameter '{name}'. Expected the value to start with '{prefix}'"
    )]
    BadQueryValue {
        /// Parameter name.
        name: String,
        /// The required prefix.
        prefix: String,
    },
    /// The token failed verification; the reason is for logs only.
    #[error("invalid token: {0}")]
    Invalid(TokenError),
    /// The token has expired.
    #[error("Token has expired")]
    Expired,
    /// `nbf` or `iat` is in the future.
    #[error("{0}")]
    NotYetValid(TokenError),
    /// An access token where a refresh token is required, or the reverse.
    #[error("expected a {expected} token, got {found:?}")]
    WrongType {
        /// What the route accepts.
        expected: TokenType,
        /// What the token is.
        found: String,
    },
    /// The route requires a fresh token.
    #[error("Fresh token required")]
    NeedsFresh,
    /// The token (or its session) is on the blocklist.
    #[error("Token has been revoked")]
    Revoked,
    /// A cookie-borne token on a protected method, without the CSRF value.
    #[error("Missing CSRF token")]
    CsrfMissing,
    /// The submitted CSRF value differs from the token's `csrf` claim.
    #[error("CSRF double submit tokens do not match")]
    CsrfMismatch,
    /// The application's token verifier refused the claims.
    #[error("User claims verification failed")]
    ClaimsRejected,
    /// The user loader found no user for the token's identity.
    #[error("Error loading the user {identity}")]
    UserNotFound {
        /// The token's `sub`.
        identity: String,
    },
    /// The user loader failed (its store is unreachable); the source is the
    /// loader's [`Error`](crate::UserLoader::Error).
    #[error("user lookup failed: {0}")]
    UserLookupFailed(#[source] SharedError),
    /// The token lacks a role the route requires.
    #[error("Missing required role")]
    ForbiddenRole {
        /// The roles the route asked for.
        required: Vec<String>,
    },
    /// The token's `amr` claim (how the user signed in, RFC 8176) lacks a
    /// method the route requires, e.g. a second factor.
    #[error("Missing required authentication method")]
    ForbiddenAmr {
        /// The methods the route asked for.
        required: Vec<String>,
    },
    /// The blocklist could not answer; refusing is the safe choice. The
    /// source is the blocklist's [`Error`](crate::Blocklist::Error).
    #[error("revocation check unavailable: {0}")]
    BlocklistUnavailable(#[source] SharedError),
    /// An `OPTIONS` request: authentication is not attempted. A `Jwt`
    /// extractor rejects with this (an empty 204), `Option<Jwt>` yields `None`.
    #[error("preflight request")]
    Preflight,
    /// The application is wired wrongly (e.g. a JSON location without the
    /// body layer).
    #[error("server misconfigured: {0}")]
    Misconfigured(&'static str),
}

impl AuthError {
    /// A stable snake_case code for this failure (the `error` member of the
    /// default body).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing(_) => "missing_token",
            AuthError::BadHeader { .. } | AuthError::BadQueryValue { .. } => "invalid_request",
            AuthError::Invalid(_) => "invalid_token",
            AuthError::Expired => "token_expired",
            AuthError::NotYetValid(_) => "token_not_yet_valid",
            AuthError::WrongType { .. } => "wrong_token_type",
            AuthError::NeedsFresh => "fresh_token_required",
            AuthError::Revoked => "token_revoked",
            AuthError::CsrfMissing => "csrf_missing",
            AuthError::CsrfMismatch => "csrf_mismatch",
            AuthError::ClaimsRejected => "claims_rejected",
            AuthError::UserNotFound { .. } => "user_not_found",
            AuthError::ForbiddenRole { .. } => "insufficient_role",
            AuthError::ForbiddenAmr { .. } => "insufficient_authentication",
            AuthError::UserLookupFailed(_) | AuthError::BlocklistUnavailable(_) => {
                "service_unavailable"
            }
            AuthError::Preflight => "preflight",
            AuthError::Misconfigured(_) => "server_misconfigured",
        }
    }

    /// The status of the default response ([`ErrorStyle::Tessera`]);
    /// [`ErrorStyle::FlaskCompat`] answers some failures differently.
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::Missing(_)
            | AuthError::Invalid(_)
            | AuthError::Expired
            | AuthError::NotYetValid(_)
            | AuthError::WrongType { .. }
            | AuthError::NeedsFresh
            | AuthError::Revoked
            | AuthError::ClaimsRejected
            | AuthError::UserNotFound { .. } => StatusCode::UNAUTHORIZED,
            AuthError::BadHeader { .. } | AuthError::BadQueryValue { .. } => {
                StatusCode::BAD_REQUEST
            }
            AuthError::CsrfMissing
            | AuthError::CsrfMismatch
            | AuthError::ForbiddenRole { .. }
            | AuthError::ForbiddenAmr { .. } => StatusCode::FORBIDDEN,
            AuthError::UserLookupFailed(_) | AuthError::BlocklistUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AuthError::Preflight => StatusCode::NO_CONTENT,
            AuthError::Misconfigured(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Sorts a verification failure into its variant.
    pub(crate) fn from_token_error(error: TokenError) -> Self {
        match error {
            TokenError::Expired => AuthError::Expired,
            TokenError::NotYetValid | TokenError::IssuedInFuture => AuthError::NotYetValid(error),
            TokenError::WrongTokenType { expected, found } => {
                AuthError::WrongType { expected, found }
            }
            other => AuthError::Invalid(other),
        }
    }

    /// The default response for this error in `style` (the message key is
    /// used by the Flask style only).
    pub fn to_response(&self, style: ErrorStyle, message_key: &str) -> Response {
        match style {
            ErrorStyle::Tessera => render::tessera(self),
            ErrorStyle::FlaskCompat => render::flask(self, message_key),
        }
    }
}

/// Each failure to find a usable token is the variant of the same name.
impl From<LocateError> for AuthError {
    fn from(error: LocateError) -> Self {
        match error {
            LocateError::Missing(missing) => AuthError::Missing(missing),
            LocateError::BadHeader { name, kind } => AuthError::BadHeader { name, kind },
            LocateError::BadQueryValue { name, prefix } => {
                AuthError::BadQueryValue { name, prefix }
            }
            LocateError::CsrfMissing => AuthError::CsrfMissing,
            LocateError::Misconfigured(what) => AuthError::Misconfigured(what),
        }
    }
}

/// Replaces the response for some or all failures.
///
/// It receives the error and the response the manager would send, and
/// returns the one to send. Closures `Fn(&AuthError, Response) -> Response`
/// implement it.
///
/// ```
/// use axum::response::IntoResponse;
/// use tessera::{AuthError, JwtManager};
/// # fn with(manager: JwtManager) -> JwtManager {
/// manager.with_error_responder(|error: &AuthError, default| match error {
///     AuthError::Expired => (http::StatusCode::UNAUTHORIZED, "please log in again").into_response(),
///     _ => default,
/// })
/// # }
/// ```
pub trait ErrorResponder: Send + Sync + 'static {
    /// The response for `error`; `default` is what would be sent otherwise.
    fn respond(&self, error: &AuthError, default: Response) -> Response;
}

impl<F> ErrorResponder for F
where
    F: Fn(&AuthError, Response) -> Response + Send + Sync + 'static,
{
    fn respond(&self, error: &AuthError, default: Response) -> Response {
        self(error, default)
    }
}

/// How the manager renders errors; shared by every rejection.
#[derive(Clone)]
pub(crate) struct Renderer {
    pub(crate) style: ErrorStyle,
    pub(crate) message_key: String,
    pub(crate) responder: Option<Arc<dyn ErrorResponder>>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("style", &self.style)
            .field("custom", &self.responder.is_some())
            .finish()
    }
}

impl Renderer {
    pub(crate) fn render(&self, error: &AuthError) -> Response {
        let default = error.to_response(self.style, &self.message_key);
        match &self.responder {
            Some(responder) => responder.respond(error, default),
            None => default,
        }
    }
}

/// The rejection of every Tessera extractor: the [`AuthError`] plus the
/// manager's way of rendering it.
#[derive(Debug, Clone)]
pub struct AuthRejection {
    error: AuthError,
    renderer: Arc<Renderer>,
}

impl AuthRejection {
    pub(crate) fn new(error: AuthError, renderer: Arc<Renderer>) -> Self {
        AuthRejection { error, renderer }
    }

    /// Why the request was refused.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// The error, dropping the renderer.
    pub fn into_error(self) -> AuthError {
        self.error
    }
}

impl std::fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

/// The source is the error's own: a store failure's cause passes through.
impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        self.renderer.render(&self.error)
    }
}
