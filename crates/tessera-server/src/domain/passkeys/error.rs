//! Why a passkey operation was refused.

use super::super::error::AccountError;
use super::super::mfa_error::MfaError;
use crate::store::StoreError;

/// A passkey registration, sign-in, rename or deletion failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasskeyError {
    /// The ceremony id is unknown, was used already, expired, or belongs to
    /// someone else (400): start again.
    #[error("unknown, used or expired passkey ceremony; start again")]
    CeremonyInvalid,
    /// The credential sent is not a WebAuthn credential in JSON (400).
    #[error("the credential is not a WebAuthn credential in JSON form")]
    CredentialMalformed,
    /// The registration did not verify (wrong origin or RP id, tampered
    /// data, no user verification, …; 400).
    #[error("the passkey registration could not be verified")]
    RegistrationRejected,
    /// The sign-in assertion did not verify, or names no registered
    /// passkey (401).
    #[error("the passkey sign-in could not be verified")]
    SignInRejected,
    /// The signature counter did not move forward: the passkey may have
    /// been cloned (401). The attempt is audited.
    #[error("the passkey's signature counter went backwards; it may have been cloned")]
    PossibleClone,
    /// This credential is registered already (409).
    #[error("this passkey is registered already")]
    AlreadyRegistered,
    /// No such passkey of this user (404).
    #[error("passkey not found")]
    NotFound,
    /// Deleting it would leave the account no way to sign in (409).
    #[error(
        "this is the account's last way to sign in; set a password or add another passkey first"
    )]
    LastWay,
    /// The account is disabled (403).
    #[error("the account is disabled")]
    Disabled,
    /// The `mfa_token` of a passkey second factor is dead, or the second
    /// factor cannot be checked.
    #[error(transparent)]
    SecondFactor(MfaError),
    /// Anything else the account layer refuses (validation, store down, …).
    #[error(transparent)]
    Auth(#[from] AccountError),
}

impl PasskeyError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            PasskeyError::CeremonyInvalid => "ceremony_invalid",
            PasskeyError::CredentialMalformed => "credential_malformed",
            PasskeyError::RegistrationRejected | PasskeyError::SignInRejected => "passkey_rejected",
            PasskeyError::PossibleClone => "passkey_counter_regressed",
            PasskeyError::AlreadyRegistered => "passkey_taken",
            PasskeyError::NotFound => "passkey_not_found",
            PasskeyError::LastWay => "last_sign_in_method",
            PasskeyError::Disabled => "account_disabled",
            PasskeyError::SecondFactor(MfaError::InvalidToken) => "invalid_mfa_token",
            PasskeyError::SecondFactor(MfaError::InvalidCode) => "invalid_mfa_code",
            PasskeyError::SecondFactor(MfaError::Account(err)) | PasskeyError::Auth(err) => {
                err.code()
            }
            PasskeyError::SecondFactor(_) => "mfa_unavailable",
        }
    }
}

impl From<StoreError> for PasskeyError {
    fn from(err: StoreError) -> Self {
        PasskeyError::Auth(err.into())
    }
}
