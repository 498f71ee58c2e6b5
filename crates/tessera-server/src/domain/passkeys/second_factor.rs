//! A passkey as the second factor after a password: the `mfa_token` of a
//! password sign-in is finished with an assertion from one of that user's
//! passkeys instead of a code.
//!
//! `start` stores the ceremony bound to the user and to the `mfa_token`
//! (its fingerprint, in the stored state), so neither another user's
//! passkey nor another sign-in's token can finish it. Every refusal once
//! the token is known counts against the token like a wrong code.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use webauthn_rs::prelude::{PasskeyAuthentication, PublicKeyCredential, WebauthnError};

use super::super::AuditKind;
use super::super::amr::Amr;
use super::super::mfa_error::MfaError;
use super::super::mfa_sign_in::PASSKEY_METHOD;
use super::super::model::{ClientInfo, Grant};
use super::{
    CeremonyStart, PasskeyError, PasskeyService, from_stored, stored_passkey, to_json, to_json_text,
};
use crate::store::{CeremonyPurpose, ChallengeRecord, CounterUpdate};

/// What a second-factor ceremony keeps between `start` and `finish`.
#[derive(Serialize, Deserialize)]
struct SecondFactorState {
    /// Fingerprint of the `mfa_token` the ceremony was started for.
    mfa_token: String,
    /// webauthn-rs's state (challenge and the allowed credentials).
    state: PasskeyAuthentication,
}

impl PasskeyService {
    /// Starts the passkey step of a password sign-in: options naming the
    /// passkeys of the `mfa_token`'s user (user verification required, as
    /// at registration). [`MfaError::InvalidToken`] for a dead token,
    /// [`PasskeyError::NotFound`] when the user has no passkey.
    pub async fn start_second_factor(
        &self,
        mfa_token: &str,
    ) -> Result<CeremonyStart, PasskeyError> {
        let (token_hash, challenge) = self.auth.live_challenge(mfa_token).await?;
        let records = self.auth.store().passkeys_of(&challenge.user_id).await?;
        if records.is_empty() {
            return Err(PasskeyError::NotFound);
        }
        let passkeys = records
            .iter()
            .map(stored_passkey)
            .collect::<Result<Vec<_>, _>>()?;
        let (options, state) = self
            .rp
            .webauthn()
            .start_passkey_authentication(&passkeys)
            .map_err(|err| {
                tracing::warn!(error = %err, "passkey second factor could not start");
                PasskeyError::SignInRejected
            })?;
        let state = SecondFactorState {
            mfa_token: token_hash,
            state,
        };
        let ceremony_id = self
            .store_ceremony(
                CeremonyPurpose::SecondFactor,
                Some(&challenge.user_id),
                &state,
            )
            .await?;
        Ok(CeremonyStart {
            ceremony_id,
            options: to_json(&options)?,
        })
    }

    /// Finishes a password sign-in with a passkey assertion: the session
    /// (`amr` `["pwd", "swk", "mfa"]`) and the `mfa_token` spent. Any
    /// refusal of a live token counts as a wrong code and is audited; a
    /// counter that does not move forward is refused as a possible clone.
    pub async fn finish_second_factor(
        &self,
        mfa_token: &str,
        ceremony_id: &str,
        credential: &serde_json::Value,
        client: ClientInfo,
    ) -> Result<Grant, PasskeyError> {
        let (token_hash, challenge) = self.auth.live_challenge(mfa_token).await?;
        let user_id = challenge.user_id.as_str();
        let mut passkey_id = None;
        match self
            .verify_second_factor(
                &token_hash,
                &challenge,
                ceremony_id,
                credential,
                &mut passkey_id,
            )
            .await
        {
            Ok(()) => {}
            Err(err @ PasskeyError::Auth(_)) => return Err(err),
            Err(err) => {
                if matches!(err, PasskeyError::PossibleClone) {
                    self.auth
                        .audit(
                            AuditKind::PasskeyCloneDetected,
                            Some(user_id),
                            None,
                            json!({ "reason": err.code(), "passkey": passkey_id, "during": "second_factor" }),
                        )
                        .await;
                }
                self.auth
                    .strike_challenge(&token_hash, user_id, PASSKEY_METHOD, err.code())
                    .await?;
                return Err(err);
            }
        }
        Ok(self
            .auth
            .complete_challenge(
                &token_hash,
                &challenge,
                PASSKEY_METHOD,
                Amr::SOFTWARE_KEY,
                client,
            )
            .await?)
    }

    /// The checks of [`Self::finish_second_factor`]; `passkey_id` is set as
    /// soon as the user's passkey is known, for the audit trail.
    async fn verify_second_factor(
        &self,
        token_hash: &str,
        challenge: &ChallengeRecord,
        ceremony_id: &str,
        credential: &serde_json::Value,
        passkey_id: &mut Option<String>,
    ) -> Result<(), PasskeyError> {
        let ceremony = self
            .take_ceremony(ceremony_id, CeremonyPurpose::SecondFactor)
            .await?;
        let stored: SecondFactorState = from_stored(&ceremony.state)?;
        let same_token =
            verify_slices_are_equal(stored.mfa_token.as_bytes(), token_hash.as_bytes()).is_ok();
        if ceremony.user_id.as_deref() != Some(challenge.user_id.as_str()) || !same_token {
            return Err(PasskeyError::CeremonyInvalid);
        }
        let assertion: PublicKeyCredential = serde_json::from_value(credential.clone())
            .map_err(|_| PasskeyError::CredentialMalformed)?;
        let credential_id = tessera::b64::encode(assertion.raw_id.as_ref());
        let record = self
            .auth
            .store()
            .passkey_by_credential(&credential_id)
            .await?
            .filter(|record| record.user_id == challenge.user_id)
            .ok_or(PasskeyError::SignInRejected)?;
        *passkey_id = Some(record.id.clone());
        let mut passkey = stored_passkey(&record)?;
        let result = self
            .rp
            .webauthn()
            .finish_passkey_authentication(&assertion, &stored.state)
            .map_err(|err| match err {
                WebauthnError::CredentialPossibleCompromise => PasskeyError::PossibleClone,
                other => {
                    tracing::info!(reason = %other, "passkey second factor refused");
                    PasskeyError::SignInRejected
                }
            })?;
        if !result.user_verified() || result.cred_id() != passkey.cred_id() {
            return Err(PasskeyError::SignInRejected);
        }
        passkey.update_credential(&result);
        let update = self
            .auth
            .store()
            .advance_passkey(
                &record.id,
                record.sign_count,
                i64::from(result.counter()),
                &to_json_text(&passkey)?,
                self.auth.now(),
            )
            .await?;
        if update == CounterUpdate::Stale {
            return Err(PasskeyError::PossibleClone);
        }
        Ok(())
    }
}

impl From<MfaError> for PasskeyError {
    fn from(err: MfaError) -> Self {
        PasskeyError::SecondFactor(err)
    }
}
