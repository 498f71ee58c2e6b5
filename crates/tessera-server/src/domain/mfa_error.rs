//! Why a second-factor operation was refused.

use super::error::AccountError;
use crate::store::StoreError;

/// A refused second-factor operation; each has its own HTTP answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MfaError {
    /// The `mfa_token` is unknown, expired, used, or spent by wrong codes.
    #[error("the mfa_token is invalid or expired; sign in again")]
    InvalidToken,
    /// The code (TOTP or recovery) is wrong, malformed, or used already.
    #[error("the code is wrong or was used already")]
    InvalidCode,
    /// The user has a confirmed authenticator already.
    #[error("a second factor is already enabled")]
    AlreadyEnabled,
    /// The user has no confirmed authenticator.
    #[error("no second factor is enabled")]
    NotEnabled,
    /// Confirmation without a started enrolment.
    #[error("no enrolment is pending; start one with POST /auth/mfa/totp")]
    NoPendingEnrolment,
    /// No `TESSERA_ENCRYPTION_KEY`, or a secret that does not open under it.
    #[error("second factors are unavailable: {0}")]
    Unavailable(&'static str),
    /// The account or store refused.
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<StoreError> for MfaError {
    fn from(err: StoreError) -> Self {
        MfaError::Account(err.into())
    }
}

/// Sealing or opening a secret failed (no key material in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the secret could not be sealed or opened")]
pub struct SealFailure;

/// Encrypts second-factor secrets at rest (the server's
/// `TESSERA_ENCRYPTION_KEY`). `context` names the secret's purpose and
/// owner and is bound to the ciphertext.
pub trait SecretSealer: Send + Sync + std::fmt::Debug {
    /// Encrypts `plaintext` for `context`.
    fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, SealFailure>;
    /// Decrypts what [`seal`](Self::seal) made for the same `context`.
    fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, SealFailure>;
}
