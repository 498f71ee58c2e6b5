//! Typed errors for every way a token, a key or a setting can be refused.
//!
//! Each [`TokenError`] variant is one rule of RFC 7515/7519/8725, so callers
//! can match on exactly what failed; [`TokenError::code`] gives a stable
//! snake_case name for logs and JSON bodies.

use std::sync::Arc;

use crate::algorithm::Algorithm;
use crate::claims::TokenType;

/// An application store's error with its type erased (the manager keeps the
/// blocklist as a trait object), shared so that [`AuthError`](crate::AuthError)
/// stays `Clone`.
///
/// It is what [`AuthError::UserLookupFailed`](crate::AuthError::UserLookupFailed)
/// and [`AuthError::BlocklistUnavailable`](crate::AuthError::BlocklistUnavailable)
/// hold, and their [`source`](std::error::Error::source) is the store's error
/// itself, so `downcast_ref` recovers the store's own type. It dereferences
/// to that error.
#[derive(Clone)]
pub struct SharedError(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl SharedError {
    /// Wraps a store's error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        SharedError(Arc::new(error))
    }
}

// Deliberately not `std::error::Error` itself: the error chain then goes
// straight from the `AuthError` to the store's error, with no wrapper between.
impl std::ops::Deref for SharedError {
    type Target = dyn std::error::Error + Send + Sync + 'static;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl std::fmt::Debug for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

/// Which part of a compact JWS a parse error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The JOSE header (first segment).
    Header,
    /// The claims set (second segment).
    Payload,
    /// The signature (third segment).
    Signature,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

/// Why a token was refused. Nothing about a refused token is trusted: text
/// taken from it (an `alg`, a member name, a parser message) is cut to a few
/// dozen characters, with control characters escaped where shown raw.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is longer than the configured cap; it was not decoded at all.
    #[error("token is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Length of the presented token.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// Not exactly three segments separated by dots.
    #[error("token must have exactly three dot-separated segments")]
    WrongSegmentCount,
    /// A segment is not canonical unpadded base64url (RFC 7515 §2).
    #[error("{0} is not canonical base64url")]
    Base64(Part),
    /// A segment is not a JSON object, or not valid UTF-8 JSON.
    #[error("{part} is not a valid JSON object: {reason}")]
    Json {
        /// The segment.
        part: Part,
        /// What the JSON parser said.
        reason: String,
    },
    /// A JSON member name appears twice (RFC 7515 §4, RFC 7519 §4).
    #[error("{part} has a duplicate member {name:?}")]
    DuplicateMember {
        /// The segment.
        part: Part,
        /// The repeated name.
        name: String,
    },
    /// The header's `alg` is missing, not a string, or not a supported
    /// algorithm (this includes every casing of `none`).
    #[error("algorithm {0:?} is not allowed")]
    UnsupportedAlgorithm(String),
    /// The header's `alg` differs from the algorithm pinned to the key.
    #[error("token algorithm {found} does not match the key's algorithm {expected}")]
    AlgorithmMismatch {
        /// The algorithm the key is pinned to.
        expected: Algorithm,
        /// The algorithm the token names.
        found: Algorithm,
    },
    /// The `kid` names no configured key, or is not a short printable string.
    #[error("unknown key id")]
    UnknownKeyId,
    /// The header carries key material or a key URL (`jwk`, `jku`, `x5u`,
    /// `x5c`), which is never used to find a key (RFC 8725 §3.10).
    #[error("header parameter {0:?} is not accepted")]
    ForbiddenHeader(&'static str),
    /// `crit` lists an extension this implementation does not understand
    /// (RFC 7515 §4.1.11), or is malformed.
    #[error("critical header extension {0:?} is not supported")]
    UnsupportedCritical(String),
    /// `b64: false` (RFC 7797 unencoded payload) is not supported.
    #[error("unencoded payloads (b64: false) are not supported")]
    UnencodedPayload,
    /// The signature does not verify with the selected key.
    #[error("signature verification failed")]
    InvalidSignature,
    /// `exp` is in the past (beyond the leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token is not yet valid (nbf)")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("token is not yet valid (iat)")]
    IssuedInFuture,
    /// A required claim is absent.
    #[error("missing claim {0:?}")]
    MissingClaim(String),
    /// A claim has the wrong JSON type or an unusable value.
    #[error("claim {claim:?} must be {expected}")]
    InvalidClaim {
        /// The claim name.
        claim: String,
        /// What it should have been.
        expected: &'static str,
    },
    /// `iss` differs from the configured issuer.
    #[error("invalid issuer")]
    InvalidIssuer,
    /// `aud` names none of the configured audiences.
    #[error("audience doesn't match")]
    InvalidAudience,
    /// The token is of another `type` than the route accepts.
    #[error("token type is {found:?}, expected \"{expected}\"")]
    WrongTokenType {
        /// What the caller expected.
        expected: TokenType,
        /// What the token said.
        found: String,
    },
    /// The claims set could not be read as the caller's extra-claims type.
    #[error("claims do not match the expected shape: {0}")]
    ExtraClaims(String),
}

impl TokenError {
    /// A stable snake_case code for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::TooLarge { .. } => "token_too_large",
            TokenError::WrongSegmentCount | TokenError::Base64(_) | TokenError::Json { .. } => {
                "malformed_token"
            }
            TokenError::DuplicateMember { .. } => "duplicate_member",
            TokenError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            TokenError::AlgorithmMismatch { .. } => "algorithm_mismatch",
            TokenError::UnknownKeyId => "unknown_key_id",
            TokenError::ForbiddenHeader(_) => "forbidden_header",
            TokenError::UnsupportedCritical(_) | TokenError::UnencodedPayload => {
                "unsupported_critical_header"
            }
            TokenError::InvalidSignature => "invalid_signature",
            TokenError::Expired => "token_expired",
            TokenError::NotYetValid => "token_not_yet_valid",
            TokenError::IssuedInFuture => "token_issued_in_future",
            TokenError::MissingClaim(_) => "missing_claim",
            TokenError::InvalidClaim { .. } | TokenError::ExtraClaims(_) => "invalid_claim",
            TokenError::InvalidIssuer => "invalid_issuer",
            TokenError::InvalidAudience => "invalid_audience",
            TokenError::WrongTokenType { .. } => "wrong_token_type",
        }
    }
}

/// Most characters of a name taken from a token (an `alg`, a `crit` entry, a
/// member name, a `type`) that an error repeats.
const MAX_ECHOED_NAME: usize = 64;

/// Most characters of a parser's message about a token that an error repeats.
const MAX_ECHOED_MESSAGE: usize = 120;

/// A name from a token, cut to [`MAX_ECHOED_NAME`] characters: errors are
/// logged, and an 8 KiB `alg` must not become an 8 KiB log line.
pub(crate) fn echo_name(text: &str) -> String {
    truncate(text.chars(), MAX_ECHOED_NAME)
}

/// A parser's message about a token (which may quote the token, as serde
/// does for unknown fields), cut to [`MAX_ECHOED_MESSAGE`] characters with
/// control characters escaped, so it cannot forge log lines.
pub(crate) fn echo_message(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len().min(4 * MAX_ECHOED_MESSAGE));
    for ch in text.chars().take(MAX_ECHOED_MESSAGE + 1) {
        if ch.is_control() {
            escaped.extend(ch.escape_default());
        } else {
            escaped.push(ch);
        }
    }
    truncate(escaped.chars(), MAX_ECHOED_MESSAGE)
}

fn truncate(mut chars: impl Iterator<Item = char>, max: usize) -> String {
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// Why a key could not be loaded or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// An HMAC secret shorter than the hash output (RFC 7518 §3.2).
    #[error(
        "{alg} needs a secret of at least {min} bytes, got {len}; generate one with `tessera init`"
    )]
    SecretTooShort {
        /// The algorithm.
        alg: Algorithm,
        /// Required minimum length in bytes.
        min: usize,
        /// Actual length in bytes.
        len: usize,
    },
    /// The secret is a published placeholder or has almost no variety.
    #[error(
        "the secret looks like a placeholder or is guessable ({0}); generate one with `tessera init`"
    )]
    WeakSecret(&'static str),
    /// An RSA modulus under 2048 bits.
    #[error("RSA keys must be at least 2048 bits, got {0}")]
    RsaTooSmall(usize),
    /// The key material is not of the family the algorithm needs.
    #[error("a {alg} key cannot be built from this material: {reason}")]
    WrongKeyType {
        /// The algorithm asked for.
        alg: Algorithm,
        /// What was wrong.
        reason: String,
    },
    /// The PEM, DER or JWK could not be parsed.
    #[error("invalid key: {0}")]
    Invalid(String),
    /// Signing was asked of a key that only verifies.
    #[error("this key has no private part and cannot sign")]
    NoPrivateKey,
    /// Two keys in one key set share a `kid`.
    #[error("duplicate key id {0:?} in the key set")]
    DuplicateKeyId(String),
    /// The crypto library refused to sign.
    #[error("signing failed")]
    SigningFailed,
}

/// Why a token could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An extra claim would replace a registered claim.
    #[error("extra claim {0:?} is reserved and set by Tessera")]
    ReservedClaim(String),
    /// An extra header would replace a protected header parameter.
    #[error("extra header {0:?} is reserved")]
    ReservedHeader(String),
    /// Extra claims must serialise to a JSON object.
    #[error("extra claims must serialise to a JSON object: {0}")]
    ExtraClaims(String),
    /// A registered claim has a value no token can carry.
    #[error("claim {claim:?} cannot be encoded: {reason}")]
    InvalidClaim {
        /// The claim.
        claim: &'static str,
        /// Why not.
        reason: &'static str,
    },
    /// The signing key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// A setting that is missing or has a value that cannot be used. Displays as
/// one line naming the variable and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{name} is not set: {hint}")]
    Missing {
        /// The variable.
        name: &'static str,
        /// What to do about it.
        hint: &'static str,
    },
    /// A variable's value is not allowed.
    #[error("{name}: {problem}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong and what is allowed.
        problem: String,
    },
    /// The `.env` file could not be read.
    #[error(".env: {0}")]
    DotEnv(String),
}
