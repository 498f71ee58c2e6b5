//! Why a remote key source refused a token or could not get keys.

use crate::error::TokenError;

/// Why [`RemoteJwks`](super::RemoteJwks) refused a token, or was not built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The token itself is refused: bad signature, expired, unknown `kid`, …
    /// (a `401` for the client). A `kid` the issuer does not publish, even
    /// after a refetch, and a `kid`-less token the key set cannot pin to one
    /// key are both [`TokenError::UnknownKeyId`].
    #[error(transparent)]
    Token(#[from] TokenError),
    /// No usable keys: the issuer could not be reached, or answered with
    /// something that is not a key set, and no earlier keys are still
    /// within their grace period (a `503`: the token may well be fine).
    #[error("the issuer's keys are unavailable: {0}")]
    Unavailable(#[source] FetchError),
    /// The configured URL is not acceptable (see [`FetchError::InsecureUrl`]).
    #[error("invalid remote key source: {0}")]
    Config(#[source] FetchError),
}

impl RemoteError {
    /// Whether the fault lies with the token (rather than with the issuer
    /// or the configuration).
    pub fn is_token_error(&self) -> bool {
        matches!(self, RemoteError::Token(_))
    }
}

/// Why fetching a JWKS or discovery document failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Not an absolute `http(s)` URL with a host.
    #[error("not a usable URL: {0}")]
    InvalidUrl(String),
    /// Plain `http` to a host other than a loopback address, or to a
    /// loopback address without
    /// [`allow_loopback_http`](super::RemoteJwksBuilder::allow_loopback_http).
    #[error("{0} is not https (plain http is allowed only to loopback addresses, when enabled)")]
    InsecureUrl(String),
    /// Could not connect or the connection broke.
    #[error("request to {url} failed: {reason}")]
    Connect {
        /// The URL requested.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The connect or total timeout passed.
    #[error("request to {0} timed out")]
    Timeout(String),
    /// A redirect, which is never followed: its target could escape the
    /// https-only rule.
    #[error("{url} answered with a redirect ({status}), which is not followed")]
    Redirect {
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
    },
    /// Any other status than 200.
    #[error("{url} answered with status {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body passed the size cap (checked while reading).
    #[error("{url} sent more than {max} bytes")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The cap, in bytes.
        max: usize,
    },
    /// The body is not the JSON document expected.
    #[error("{url} sent an unreadable document: {reason}")]
    Document {
        /// The URL requested.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The discovery document names another issuer than the one configured
    /// (OpenID Connect Discovery §4.3: they must be identical).
    #[error("the discovery document names issuer {found:?}, not {expected:?}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The document's `issuer`.
        found: String,
    },
    /// The key set holds no key Tessera can use.
    #[error("{0} holds no usable signing key")]
    NoUsableKeys(String),
}
