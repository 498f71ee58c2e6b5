//! Why an account or session operation was refused.

use crate::store::StoreError;

/// What is wrong with one input field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Missing or empty.
    Empty,
    /// Fewer characters than allowed.
    TooShort {
        /// The least allowed.
        min: usize,
    },
    /// More characters than allowed.
    TooLong {
        /// The most allowed.
        max: usize,
    },
    /// Contains characters that are not allowed.
    InvalidCharacters,
    /// Not of the expected form (e.g. an e-mail address without `@`).
    InvalidFormat,
    /// A password on the common-passwords list.
    CommonPassword,
    /// A password equal to the username.
    SameAsUsername,
    /// Holds a Unicode default-ignorable character (zero-width, variation
    /// selector, filler…), which displays as nothing.
    InvisibleCharacters,
    /// Mixes scripts beyond UTS #39's "moderately restrictive" level (e.g.
    /// Latin with a Cyrillic letter), the usual way to spoof a name.
    MixedScripts,
    /// Holds a bidirectional control (U+202A–U+202E, U+2066–U+2069,
    /// U+200E/U+200F, U+061C), which reorders how text displays.
    DirectionControls,
    /// A password of whitespace only.
    WhitespaceOnly,
    /// A password that is a few characters repeated (`aaaaaaaa`, `abcabcab`).
    Repetitive,
    /// A password that is a run of consecutive characters (`abcdefgh`,
    /// `87654321`).
    Sequential,
    /// A password that contains the username.
    ContainsUsername,
    /// A password that contains the part of the e-mail address before `@`.
    ContainsEmail,
    /// A password that contains the service's name.
    ContainsServiceName,
}

impl Problem {
    /// A stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Problem::Empty => "empty",
            Problem::TooShort { .. } => "too_short",
            Problem::TooLong { .. } => "too_long",
            Problem::InvalidCharacters => "invalid_characters",
            Problem::InvalidFormat => "invalid_format",
            Problem::CommonPassword => "common_password",
            Problem::SameAsUsername => "same_as_username",
            Problem::InvisibleCharacters => "invisible_characters",
            Problem::MixedScripts => "mixed_scripts",
            Problem::DirectionControls => "direction_controls",
            Problem::WhitespaceOnly => "whitespace_only",
            Problem::Repetitive => "repetitive",
            Problem::Sequential => "sequential",
            Problem::ContainsUsername => "contains_username",
            Problem::ContainsEmail => "contains_email",
            Problem::ContainsServiceName => "contains_service_name",
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Empty => f.write_str("is required"),
            Problem::TooShort { min } => write!(f, "must be at least {min} characters"),
            Problem::TooLong { max } => write!(f, "must be at most {max} characters"),
            Problem::InvalidCharacters => f.write_str("contains characters that are not allowed"),
            Problem::InvalidFormat => f.write_str("is not in the expected format"),
            Problem::CommonPassword => {
                f.write_str("is too common; choose one that is harder to guess")
            }
            Problem::SameAsUsername => f.write_str("must not be the username"),
            Problem::InvisibleCharacters => f.write_str(
                "must not contain invisible characters (zero-width, variation selectors, fillers)",
            ),
            Problem::MixedScripts => {
                f.write_str("must not mix scripts (such as Latin and Cyrillic letters)")
            }
            Problem::DirectionControls => {
                f.write_str("must not contain text-direction control characters")
            }
            Problem::WhitespaceOnly => f.write_str("must not be only spaces"),
            Problem::Repetitive => {
                f.write_str("must not be a few characters repeated (like aaaaaaaa or abcabcabc)")
            }
            Problem::Sequential => f.write_str(
                "must not be a run of consecutive characters (like abcdefgh or 87654321)",
            ),
            Problem::ContainsUsername => f.write_str("must not contain the username"),
            Problem::ContainsEmail => {
                f.write_str("must not contain the e-mail address's name (the part before @)")
            }
            Problem::ContainsServiceName => {
                f.write_str("must not contain the service's name (tessera)")
            }
        }
    }
}

/// A field that failed validation; displays as `field problem`, e.g.
/// `password must be at least 8 characters`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct ValidationError {
    /// The field's name in the request (`username`, `password`, `new_password`, `email`, `roles`).
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: Problem,
}

impl ValidationError {
    pub(crate) fn new(field: &'static str, problem: Problem) -> Self {
        ValidationError { field, problem }
    }
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// No session has this id (never existed, or its user was deleted).
    #[error("the session does not exist")]
    UnknownSession,
    /// The session was ended (logout, reuse, password change, disable).
    #[error("the session has been revoked")]
    Revoked,
    /// The session reached its absolute lifetime.
    #[error("the session has expired")]
    Expired,
    /// The session went unused for longer than the idle timeout; it is now
    /// ended.
    #[error("the session ended after being idle too long")]
    Idle,
    /// A refresh token older than the current one was presented: the session
    /// is now revoked, with all its tokens.
    #[error("refresh token reuse detected; the session has been revoked")]
    Reuse,
    /// The user is disabled.
    #[error("the account is disabled")]
    UserDisabled,
    /// The refresh raced with other changes to the session too often; the
    /// client may retry.
    #[error("the session is busy; retry")]
    Contended,
}

impl RefreshError {
    /// A stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            RefreshError::UnknownSession => "session_not_found",
            RefreshError::Revoked => "session_revoked",
            RefreshError::Expired => "session_expired",
            RefreshError::Idle => "session_idle",
            RefreshError::Reuse => "refresh_token_reused",
            RefreshError::UserDisabled => "user_disabled",
            RefreshError::Contended => "session_busy",
        }
    }
}

/// Something the HTTP layer can look up but that is not there (or belongs
/// to someone else: the answer is the same, so ids cannot be probed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A user.
    User,
    /// A session.
    Session,
}

/// An account or session operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// Input broke a rule (HTTP 422, naming the field).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The username (compared case-insensitively after NFKC) is taken (409).
    #[error("username is already taken")]
    UsernameTaken,
    /// Unknown user, wrong password or disabled account — deliberately one
    /// error, reached after the same work (401).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// A refresh token was refused (401).
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    /// Not found, or not the caller's (404).
    #[error("{} not found", match .0 { Resource::User => "user", Resource::Session => "session" })]
    NotFound(Resource),
    /// The database failed (503 when unreachable, else 500).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sign-up is closed (`TESSERA_REGISTRATION=closed`; 403).
    #[error("registration is closed on this server")]
    RegistrationClosed,
    /// Password hashing failed or its worker pool is gone (500).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// Every hashing slot is busy and the line in front of them is full or
    /// too slow (503 with `Retry-After`).
    #[error("the server is busy hashing passwords")]
    HashingBusy,
    /// The password was right, but the account has a second factor and
    /// the caller cannot take an `mfa_token` ([`AuthService::sign_in`]
    /// can; 401).
    ///
    /// [`AuthService::sign_in`]: super::AuthService::sign_in
    #[error("this account signs in with a second factor")]
    SecondFactorRequired,
}

impl AccountError {
    /// A stable snake_case code for the `error` field of a response.
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::Validation(_) => "validation_failed",
            AccountError::UsernameTaken => "username_taken",
            AccountError::InvalidCredentials => "invalid_credentials",
            AccountError::Refresh(err) => err.code(),
            AccountError::NotFound(Resource::User) => "user_not_found",
            AccountError::NotFound(Resource::Session) => "session_not_found",
            AccountError::Store(err) if err.is_unavailable() => "store_unavailable",
            AccountError::Store(_) => "store_error",
            AccountError::RegistrationClosed => "registration_closed",
            AccountError::Hashing(_) => "internal_error",
            AccountError::HashingBusy => "server_busy",
            AccountError::SecondFactorRequired => "mfa_required",
        }
    }
}
