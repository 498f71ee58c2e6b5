//! The second step of a password sign-in: the `mfa_token` and the code
//! that completes it.
//!
//! A right password for a user with a confirmed authenticator starts no
//! session: it stores a challenge (only the token's SHA-256, so any
//! instance can finish it) that lives [`MFA_TOKEN_LIFETIME`], is used once,
//! and dies after [`MFA_MAX_FAILURES`] wrong codes. A TOTP code is accepted
//! once (the step is stored, and a replay is audited); a recovery code too.

use std::time::Duration;

use serde_json::json;

use super::amr::Amr;
use super::error::AccountError;
use super::fingerprint::fingerprint;
use super::mfa_error::MfaError;
use super::model::{ClientInfo, Grant, User};
use super::{AuditKind, AuthService, whole_seconds};
use crate::mfa::recovery;
use crate::store::ChallengeRecord;

/// How long an `mfa_token` can be used.
pub const MFA_TOKEN_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// Wrong codes after which an `mfa_token` is dead.
pub const MFA_MAX_FAILURES: i64 = 5;

/// Random bytes in an `mfa_token` (256 bits).
const MFA_TOKEN_BYTES: usize = 32;

/// The second factors a confirmed authenticator app brings, as `methods`
/// names them.
const TOTP_METHODS: [&str; 2] = ["totp", "recovery_code"];

/// The `methods` name of a registered passkey used as the second factor.
pub(super) const PASSKEY_METHOD: &str = "passkey";

/// What a right password leads to.
#[derive(Debug)]
pub enum SignInOutcome {
    /// A session (no second factor is due).
    Session(Grant),
    /// A second factor is due: finish with
    /// [`AuthService::verify_second_factor`].
    SecondFactor(MfaChallenge),
}

/// A sign-in waiting for its second factor. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaChallenge {
    /// The `mfa_token` to send back with the code.
    pub token: String,
    /// The second factors that can complete it.
    pub methods: Vec<&'static str>,
    /// Seconds it stays usable.
    pub expires_in: i64,
}

impl std::fmt::Debug for MfaChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaChallenge")
            .field("token", &"<redacted>")
            .field("methods", &self.methods)
            .finish()
    }
}

/// The code that completes a sign-in.
#[derive(Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// A six-digit code from the authenticator app.
    Totp(String),
    /// One of the recovery codes.
    RecoveryCode(String),
}

impl std::fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SecondFactor::Totp(_) => "Totp(<redacted>)",
            SecondFactor::RecoveryCode(_) => "RecoveryCode(<redacted>)",
        })
    }
}

impl AuthService {
    /// After the password matched (`accepted_hash` is the stored hash it
    /// matched): a challenge when the user has a second factor (a confirmed
    /// authenticator app or a registered passkey), else `None`.
    pub(super) async fn challenge_if_enrolled(
        &self,
        user: &User,
        accepted_hash: &str,
    ) -> Result<Option<MfaChallenge>, AccountError> {
        let methods = self.second_factors_of(&user.id).await?;
        if methods.is_empty() {
            return Ok(None);
        }
        let token = new_token()?;
        let now = self.now();
        let lifetime = whole_seconds(MFA_TOKEN_LIFETIME);
        self.store()
            .insert_challenge(&ChallengeRecord {
                token_hash: fingerprint(&token),
                user_id: user.id.clone(),
                password_fingerprint: Some(fingerprint(accepted_hash)),
                amr: Amr::password().methods().to_vec(),
                failures: 0,
                created_at: now,
                expires_at: now.saturating_add(lifetime),
            })
            .await?;
        self.audit(AuditKind::MfaChallenged, Some(&user.id), None, json!({}))
            .await;
        Ok(Some(MfaChallenge {
            token,
            methods,
            expires_in: lifetime,
        }))
    }

    /// The second factors `user_id` can finish a sign-in with, as
    /// `methods` names them; empty when they have none.
    async fn second_factors_of(&self, user_id: &str) -> Result<Vec<&'static str>, AccountError> {
        let mut methods = Vec::new();
        let totp = self
            .store()
            .totp(user_id)
            .await?
            .is_some_and(|totp| totp.confirmed_at.is_some());
        if totp {
            methods.extend(TOTP_METHODS);
        }
        if cfg!(feature = "passkeys") && !self.store().passkeys_of(user_id).await?.is_empty() {
            methods.push(PASSKEY_METHOD);
        }
        Ok(methods)
    }

    /// The unexpired, unspent challenge of `mfa_token`, with the hash it is
    /// stored under.
    pub(super) async fn live_challenge(
        &self,
        mfa_token: &str,
    ) -> Result<(String, ChallengeRecord), MfaError> {
        let token_hash = fingerprint(mfa_token);
        let challenge = self
            .store()
            .challenge(&token_hash, self.now())
            .await?
            .ok_or(MfaError::InvalidToken)?;
        Ok((token_hash, challenge))
    }

    /// Counts a refused second factor against the challenge stored under
    /// `token_hash` ([`MFA_MAX_FAILURES`] kill it) and audits it.
    pub(super) async fn strike_challenge(
        &self,
        token_hash: &str,
        user_id: &str,
        method: &str,
        reason: &str,
    ) -> Result<(), MfaError> {
        let failures = self
            .store()
            .fail_challenge(token_hash, MFA_MAX_FAILURES)
            .await?;
        self.audit(
            AuditKind::MfaFailed,
            Some(user_id),
            None,
            json!({ "during": "sign_in", "method": method, "reason": reason, "failures": failures }),
        )
        .await;
        Ok(())
    }

    /// Spends the challenge stored under `token_hash` (of two right answers
    /// racing, one takes it) and starts the session, its `amr` the
    /// password's plus `factor` and `mfa`.
    pub(super) async fn complete_challenge(
        &self,
        token_hash: &str,
        challenge: &ChallengeRecord,
        method: &str,
        factor: &'static str,
        client: ClientInfo,
    ) -> Result<Grant, MfaError> {
        let user_id = challenge.user_id.as_str();
        if !self.store().take_challenge(token_hash).await? {
            return Err(MfaError::InvalidToken);
        }
        let user = self
            .store()
            .user_by_id(user_id)
            .await?
            .ok_or(MfaError::InvalidToken)?;
        let amr = Amr::from_methods(challenge.amr.iter().cloned())
            .with(factor)
            .with(Amr::MFA);
        let grant = self
            .start_session(
                &User::from(&user),
                client.clone(),
                amr,
                challenge.password_fingerprint.as_deref(),
            )
            .await
            .map_err(|err| match err {
                AccountError::InvalidCredentials => MfaError::InvalidToken,
                other => other.into(),
            })?;
        self.audit(
            AuditKind::MfaVerified,
            Some(user_id),
            Some(&grant.session.id),
            json!({ "method": method }),
        )
        .await;
        self.audit(
            AuditKind::Login,
            Some(user_id),
            Some(&grant.session.id),
            json!({ "ip": client.ip, "user_agent": client.user_agent, "amr": grant.session.amr }),
        )
        .await;
        Ok(grant)
    }

    /// The user an unexpired `mfa_token` belongs to (so that the caller can
    /// apply the account's failed-login limit before the code is checked).
    pub async fn challenge_user(&self, mfa_token: &str) -> Result<User, MfaError> {
        let challenge = self
            .store()
            .challenge(&fingerprint(mfa_token), self.now())
            .await?
            .ok_or(MfaError::InvalidToken)?;
        match self.store().user_by_id(&challenge.user_id).await? {
            Some(user) if user.disabled_at.is_none() => Ok(User::from(&user)),
            _ => Err(MfaError::InvalidToken),
        }
    }

    /// Completes a password sign-in with its second factor and starts the
    /// session (`amr` `["pwd", "otp", "mfa"]`). A wrong code counts against
    /// the token ([`MFA_MAX_FAILURES`] kill it) and is
    /// [`MfaError::InvalidCode`]; an unknown, expired, used or killed token
    /// is [`MfaError::InvalidToken`].
    pub async fn verify_second_factor(
        &self,
        mfa_token: &str,
        factor: &SecondFactor,
        client: ClientInfo,
    ) -> Result<Grant, MfaError> {
        let (token_hash, challenge) = self.live_challenge(mfa_token).await?;
        let user_id = challenge.user_id.as_str();
        let record = self.confirmed_totp(user_id).await?;
        // Reset by an admin meanwhile: the token no longer leads anywhere.
        let record = record.ok_or(MfaError::InvalidToken)?;
        let (accepted, method, refusal) = match factor {
            SecondFactor::Totp(code) => match self.totp_step(&record, code)? {
                Some(step) => {
                    let fresh = self
                        .store()
                        .accept_totp_step(user_id, step, self.now(), None)
                        .await?;
                    (fresh, "totp", "replayed_code")
                }
                None if self.is_replayed(&record, code)? => (false, "totp", "replayed_code"),
                None => (false, "totp", "wrong_code"),
            },
            SecondFactor::RecoveryCode(code) => {
                let used = match recovery::hash(code) {
                    Some(hash) => {
                        self.store()
                            .use_recovery_code(user_id, &hash, self.now())
                            .await?
                    }
                    None => false,
                };
                (used, "recovery_code", "wrong_recovery_code")
            }
        };
        if !accepted {
            self.strike_challenge(&token_hash, user_id, method, refusal)
                .await?;
            if refusal == "replayed_code" {
                tracing::warn!(user = %user_id, "a used TOTP code was presented again");
            }
            return Err(MfaError::InvalidCode);
        }
        self.complete_challenge(&token_hash, &challenge, method, Amr::OTP, client)
            .await
    }
}

fn new_token() -> Result<String, AccountError> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; MFA_TOKEN_BYTES];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AccountError::Hashing("the system random number generator failed".into()))?;
    Ok(tessera::b64::encode(bytes))
}
