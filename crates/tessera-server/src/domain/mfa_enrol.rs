//! Enrolling, confirming and removing a TOTP authenticator, and recovery
//! codes. Every change is audited.

use serde::Serialize;
use serde_json::json;

use super::error::{AccountError, Resource};
use super::mfa_error::MfaError;
use super::{AuditKind, AuthService};
use crate::mfa::totp::{TotpSecret, otpauth_uri};
use crate::mfa::{qr, recovery};
use crate::store::TotpRecord;

/// A started enrolment: what the user scans or types into their app.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TotpEnrolment {
    /// The secret in base32, for typing by hand.
    pub secret: String,
    /// The `otpauth://` URI.
    pub otpauth_uri: String,
    /// The URI as a QR code (an SVG document).
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment(<redacted>)")
    }
}

/// A user's second factors, as they may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MfaStatus {
    /// A confirmed TOTP authenticator.
    pub totp: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

/// The sealing context of a user's TOTP secret.
pub(super) fn totp_context(user_id: &str) -> String {
    format!("totp\0{user_id}")
}

impl AuthService {
    /// Starts (or restarts) enrolling a TOTP authenticator: a fresh secret,
    /// stored sealed and pending until [`confirm_totp`](Self::confirm_totp).
    pub async fn enrol_totp(&self, user_id: &str) -> Result<TotpEnrolment, MfaError> {
        let user = self.user(user_id).await?;
        let sealer = self.sealer()?;
        if self.confirmed_totp(user_id).await?.is_some() {
            return Err(MfaError::AlreadyEnabled);
        }
        let secret = TotpSecret::generate().map_err(|_| MfaError::Unavailable("no randomness"))?;
        let sealed = sealer
            .seal(&totp_context(user_id), secret.bytes())
            .map_err(|_| MfaError::Unavailable("the secret could not be sealed"))?;
        if !self
            .store()
            .put_pending_totp(user_id, &sealed, self.now())
            .await?
        {
            return Err(MfaError::AlreadyEnabled);
        }
        let uri = otpauth_uri(&self.settings().totp_issuer, &user.username, &secret);
        let qr_svg = qr::svg(&uri).map_err(|_| MfaError::Unavailable("QR code"))?;
        self.audit(
            AuditKind::MfaEnrolmentStarted,
            Some(user_id),
            None,
            json!({}),
        )
        .await;
        Ok(TotpEnrolment {
            secret: secret.base32(),
            otpauth_uri: uri,
            qr_svg,
        })
    }

    /// Confirms the pending authenticator with a current `code` and returns
    /// ten recovery codes, shown this once (only their hashes are kept).
    pub async fn confirm_totp(&self, user_id: &str, code: &str) -> Result<Vec<String>, MfaError> {
        let record = match self.store().totp(user_id).await? {
            None => return Err(MfaError::NoPendingEnrolment),
            Some(record) if record.confirmed_at.is_some() => return Err(MfaError::AlreadyEnabled),
            Some(record) => record,
        };
        let step = self
            .totp_step(&record, code)?
            .ok_or(MfaError::InvalidCode)?;
        let (codes, hashes) = fresh_recovery_codes()?;
        if !self
            .store()
            .accept_totp_step(user_id, step, self.now(), Some(&hashes))
            .await?
        {
            return Err(MfaError::InvalidCode);
        }
        self.audit(
            AuditKind::MfaEnabled,
            Some(user_id),
            None,
            json!({ "method": "totp" }),
        )
        .await;
        Ok(codes)
    }

    /// Turns the second factor off, proven by a current TOTP code or an
    /// unused recovery code: the authenticator, the recovery codes and any
    /// pending sign-in go.
    pub async fn disable_totp(&self, user_id: &str, code: &str) -> Result<(), MfaError> {
        let record = self
            .confirmed_totp(user_id)
            .await?
            .ok_or(MfaError::NotEnabled)?;
        if !self.spend_code(&record, code).await? {
            self.audit_refusal(user_id, "disable", "wrong_code").await;
            return Err(MfaError::InvalidCode);
        }
        self.store().delete_mfa(user_id).await?;
        self.audit(AuditKind::MfaDisabled, Some(user_id), None, json!({}))
            .await;
        Ok(())
    }

    /// Replaces the recovery codes, proven by a current TOTP code; the new
    /// ten are returned, shown this once.
    pub async fn regenerate_recovery_codes(
        &self,
        user_id: &str,
        code: &str,
    ) -> Result<Vec<String>, MfaError> {
        let record = self
            .confirmed_totp(user_id)
            .await?
            .ok_or(MfaError::NotEnabled)?;
        let accepted = match self.totp_step(&record, code)? {
            Some(step) => {
                self.store()
                    .accept_totp_step(user_id, step, self.now(), None)
                    .await?
            }
            None => false,
        };
        if !accepted {
            self.audit_refusal(user_id, "regenerate_recovery_codes", "wrong_code")
                .await;
            return Err(MfaError::InvalidCode);
        }
        let (codes, hashes) = fresh_recovery_codes()?;
        self.store()
            .replace_recovery_codes(user_id, &hashes, self.now())
            .await?;
        self.audit(
            AuditKind::MfaRecoveryCodesRegenerated,
            Some(user_id),
            None,
            json!({}),
        )
        .await;
        Ok(codes)
    }

    /// An admin removes every second factor of `user_id` (a lost phone and
    /// lost recovery codes); audited with the admin's id.
    pub async fn reset_mfa(&self, user_id: &str, actor: Option<&str>) -> Result<bool, MfaError> {
        if self.store().user_by_id(user_id).await?.is_none() {
            return Err(AccountError::NotFound(Resource::User).into());
        }
        let had = self.store().delete_mfa(user_id).await?;
        self.audit(
            AuditKind::MfaReset,
            Some(user_id),
            None,
            json!({ "by": actor, "had_totp": had }),
        )
        .await;
        Ok(had)
    }

    /// The user's second factors.
    pub async fn mfa_status(&self, user_id: &str) -> Result<MfaStatus, MfaError> {
        Ok(MfaStatus {
            totp: self.confirmed_totp(user_id).await?.is_some(),
            recovery_codes_left: self.store().recovery_codes_left(user_id).await?,
        })
    }

    pub(super) async fn confirmed_totp(
        &self,
        user_id: &str,
    ) -> Result<Option<TotpRecord>, MfaError> {
        Ok(self
            .store()
            .totp(user_id)
            .await?
            .filter(|record| record.confirmed_at.is_some()))
    }

    /// The unused time step `code` is right for now, if any.
    pub(super) fn totp_step(
        &self,
        record: &TotpRecord,
        code: &str,
    ) -> Result<Option<i64>, MfaError> {
        let secret = self.open_secret(record)?;
        Ok(secret.verify(code, self.now(), record.last_step))
    }

    /// Whether `code` is right for an earlier, used step (a replay).
    pub(super) fn is_replayed(&self, record: &TotpRecord, code: &str) -> Result<bool, MfaError> {
        let secret = self.open_secret(record)?;
        Ok(record.last_step.is_some() && secret.verify(code, self.now(), None).is_some())
    }

    fn open_secret(&self, record: &TotpRecord) -> Result<TotpSecret, MfaError> {
        self.sealer()?
            .open(&totp_context(&record.user_id), &record.secret)
            .map(TotpSecret::from_bytes)
            .map_err(|_| {
                MfaError::Unavailable("a TOTP secret does not open under TESSERA_ENCRYPTION_KEY")
            })
    }

    /// Spends `code` as a TOTP code or else a recovery code; whether it was good.
    pub(super) async fn spend_code(
        &self,
        record: &TotpRecord,
        code: &str,
    ) -> Result<bool, MfaError> {
        if let Some(step) = self.totp_step(record, code)? {
            return Ok(self
                .store()
                .accept_totp_step(&record.user_id, step, self.now(), None)
                .await?);
        }
        match recovery::hash(code) {
            Some(hash) => Ok(self
                .store()
                .use_recovery_code(&record.user_id, &hash, self.now())
                .await?),
            None => Ok(false),
        }
    }

    pub(super) async fn audit_refusal(&self, user_id: &str, during: &str, reason: &str) {
        self.audit(
            AuditKind::MfaFailed,
            Some(user_id),
            None,
            json!({ "during": during, "reason": reason }),
        )
        .await;
    }
}

/// Ten codes to show and their hashes to store.
fn fresh_recovery_codes() -> Result<(Vec<String>, Vec<String>), MfaError> {
    let codes = recovery::generate().map_err(|_| MfaError::Unavailable("no randomness"))?;
    let hashes = codes
        .iter()
        .filter_map(|code| recovery::hash(code))
        .collect();
    Ok((codes, hashes))
}
