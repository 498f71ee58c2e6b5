//! Passkeys (WebAuthn discoverable credentials, through webauthn-rs):
//! a signed-in user registers one, then signs in with it and no password
//! or username; they list, rename and delete them.
//!
//! Every ceremony is two calls. `start` stores the library's state (the
//! challenge and what it allows) in the store under a random ceremony id
//! for [`CEREMONY_LIFETIME`], so that `finish` may run on another instance;
//! `finish` takes (deletes) it first, so a ceremony is verified at most
//! once, whatever the outcome. A sign-in must show user verification (PIN
//! or biometrics: the library asks for it and checks the flag), and its
//! signature counter must move forward: one that does not is refused and
//! audited as a possible clone, and the new counter is stored with a
//! compare-and-swap so two sign-ins never both advance from one value.

mod error;
mod relying_party;
mod second_factor;

pub use error::PasskeyError;
pub use relying_party::{CEREMONY_LIFETIME, RelyingParty, RelyingPartyError};

use std::sync::Arc;

use serde_json::{Value, json};
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Uuid, WebauthnError,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::amr::Amr;
use super::error::{AccountError, Problem, ValidationError};
use super::model::{ClientInfo, Grant, User};
use super::{AuditKind, AuthService, whole_seconds};
use crate::oauth::flow::random_value;
use crate::store::{
    CeremonyPurpose, CeremonyRecord, CounterUpdate, PasskeyRecord, StoreError, Unlinked,
};

/// Longest passkey name, in characters.
pub const PASSKEY_NAME_MAX_CHARS: usize = 64;

/// The name a passkey gets when none is given.
const DEFAULT_NAME: &str = "Passkey";

/// What a `start` hands the client: the ceremony to finish and the
/// options for `navigator.credentials.create` / `.get` (WebAuthn's JSON
/// form, binary values in base64url).
#[derive(Debug, Clone)]
pub struct CeremonyStart {
    /// Send back with `finish`.
    pub ceremony_id: String,
    /// `{"publicKey": {…}}`.
    pub options: Value,
}

/// A passwordless sign-in that verified.
#[derive(Debug, Clone)]
pub struct PasskeySignIn {
    /// The session to mint tokens from.
    pub grant: Grant,
    /// The passkey used.
    pub passkey_id: String,
}

/// Passkey operations over the [`AuthService`] for one [`RelyingParty`].
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct PasskeyService {
    auth: AuthService,
    rp: Arc<RelyingParty>,
}

impl PasskeyService {
    /// Passkeys for `auth`'s accounts, registered to `rp`.
    pub fn new(auth: AuthService, rp: Arc<RelyingParty>) -> Self {
        PasskeyService { auth, rp }
    }

    /// The relying party.
    pub fn relying_party(&self) -> &RelyingParty {
        &self.rp
    }

    /// Starts registering a passkey for `user_id`: options asking for a
    /// discoverable credential with user verification, excluding the
    /// user's passkeys already registered.
    pub async fn start_registration(&self, user_id: &str) -> Result<CeremonyStart, PasskeyError> {
        let user = self
            .auth
            .store()
            .user_by_id(user_id)
            .await?
            .ok_or(PasskeyError::Auth(AccountError::InvalidCredentials))?;
        let handle = Uuid::parse_str(&user.id).map_err(|_| corrupt("user id is not a UUID"))?;
        let existing = self.auth.store().passkeys_of(user_id).await?;
        let exclude = existing
            .iter()
            .map(|record| stored_passkey(record).map(|passkey| passkey.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let (mut options, state) = self
            .rp
            .webauthn()
            .start_passkey_registration(handle, &user.username, &user.username, Some(exclude))
            .map_err(|err| {
                tracing::warn!(error = %err, "passkey registration could not start");
                PasskeyError::RegistrationRejected
            })?;
        require_discoverable(&mut options);
        let ceremony_id = self
            .store_ceremony(CeremonyPurpose::Register, Some(user_id), &state)
            .await?;
        Ok(CeremonyStart {
            ceremony_id,
            options: to_json(&options)?,
        })
    }

    /// Finishes registering: verifies the authenticator's answer to the
    /// ceremony `user_id` started and stores the passkey as `name`.
    pub async fn finish_registration(
        &self,
        user_id: &str,
        ceremony_id: &str,
        credential: &Value,
        name: Option<&str>,
    ) -> Result<PasskeyRecord, PasskeyError> {
        let outcome = self
            .verify_registration(user_id, ceremony_id, credential, name)
            .await;
        match &outcome {
            Ok(record) => {
                self.auth
                    .audit(
                        AuditKind::PasskeyRegistered,
                        Some(user_id),
                        None,
                        json!({ "passkey": record.id, "name": record.name }),
                    )
                    .await;
            }
            Err(err) => {
                self.auth
                    .audit(
                        AuditKind::PasskeyRegistrationFailed,
                        Some(user_id),
                        None,
                        json!({ "reason": err.code() }),
                    )
                    .await;
            }
        }
        outcome
    }

    async fn verify_registration(
        &self,
        user_id: &str,
        ceremony_id: &str,
        credential: &Value,
        name: Option<&str>,
    ) -> Result<PasskeyRecord, PasskeyError> {
        let name = passkey_name(name)?;
        let ceremony = self
            .take_ceremony(ceremony_id, CeremonyPurpose::Register)
            .await?;
        if ceremony.user_id.as_deref() != Some(user_id) {
            return Err(PasskeyError::CeremonyInvalid);
        }
        let state: PasskeyRegistration = from_stored(&ceremony.state)?;
        let credential: RegisterPublicKeyCredential = serde_json::from_value(credential.clone())
            .map_err(|_| PasskeyError::CredentialMalformed)?;
        let passkey = self
            .rp
            .webauthn()
            .finish_passkey_registration(&credential, &state)
            .map_err(|err| {
                tracing::info!(reason = %err, "passkey registration refused");
                PasskeyError::RegistrationRejected
            })?;
        let now = self.auth.now();
        let record = PasskeyRecord {
            id: Uuid::new_v4().to_string(),
            user_id: user_id.to_owned(),
            credential_id: tessera::b64::encode(passkey.cred_id().as_ref()),
            credential: to_json_text(&passkey)?,
            name,
            sign_count: 0,
            created_at: now,
            last_used_at: None,
        };
        match self.auth.store().insert_passkey(&record).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(PasskeyError::AlreadyRegistered),
            Err(err) => return Err(err.into()),
        }
        Ok(record)
    }

    /// Starts a passwordless sign-in: options with no credential list (the
    /// authenticator offers the passkeys it holds for this RP) and user
    /// verification required.
    pub async fn start_sign_in(&self) -> Result<CeremonyStart, PasskeyError> {
        let (mut options, state) = self
            .rp
            .webauthn()
            .start_discoverable_authentication()
            .map_err(|err| {
                tracing::warn!(error = %err, "passkey sign-in could not start");
                PasskeyError::SignInRejected
            })?;
        // The library marks these options for conditional mediation (the
        // autofill prompt); a "Sign in with a passkey" button wants the
        // ordinary modal prompt, which is what no mediation means.
        options.mediation = None;
        let ceremony_id = self
            .store_ceremony(CeremonyPurpose::SignIn, None, &state)
            .await?;
        Ok(CeremonyStart {
            ceremony_id,
            options: to_json(&options)?,
        })
    }

    /// Finishes a passwordless sign-in: the passkey named by the assertion
    /// must be registered to the user its user handle names, the assertion
    /// must verify against the ceremony, and its counter must move forward.
    /// Then a session begins, as after a password login.
    pub async fn finish_sign_in(
        &self,
        ceremony_id: &str,
        credential: &Value,
        client: ClientInfo,
    ) -> Result<PasskeySignIn, PasskeyError> {
        let mut owner = None;
        let outcome = self
            .verify_sign_in(ceremony_id, credential, &mut owner)
            .await;
        let (user, passkey_id) = match outcome {
            Ok(found) => found,
            Err(err) => {
                let kind = if matches!(err, PasskeyError::PossibleClone) {
                    AuditKind::PasskeyCloneDetected
                } else {
                    AuditKind::PasskeyLoginFailed
                };
                self.auth
                    .audit(
                        kind,
                        owner.as_ref().map(|(user, _)| user.as_str()),
                        None,
                        json!({
                            "reason": err.code(),
                            "passkey": owner.as_ref().map(|(_, passkey)| passkey),
                            "ip": client.ip,
                            "user_agent": client.user_agent,
                        }),
                    )
                    .await;
                return Err(err);
            }
        };
        let grant = match self
            .auth
            .create_session(&user, client.clone(), passkey_amr())
            .await
        {
            Ok(grant) => grant,
            // Disabled or deleted meanwhile.
            Err(AccountError::InvalidCredentials) => return Err(PasskeyError::Disabled),
            Err(err) => return Err(err.into()),
        };
        self.auth
            .audit(
                AuditKind::PasskeyLogin,
                Some(&user.id),
                Some(&grant.session.id),
                json!({ "passkey": passkey_id, "ip": client.ip, "user_agent": client.user_agent }),
            )
            .await;
        Ok(PasskeySignIn { grant, passkey_id })
    }

    /// The checks of [`Self::finish_sign_in`]; `owner` is set to (user id,
    /// passkey id) as soon as the passkey is known, for the audit trail.
    async fn verify_sign_in(
        &self,
        ceremony_id: &str,
        credential: &Value,
        owner: &mut Option<(String, String)>,
    ) -> Result<(User, String), PasskeyError> {
        let ceremony = self
            .take_ceremony(ceremony_id, CeremonyPurpose::SignIn)
            .await?;
        let state: DiscoverableAuthentication = from_stored(&ceremony.state)?;
        let assertion: PublicKeyCredential = serde_json::from_value(credential.clone())
            .map_err(|_| PasskeyError::CredentialMalformed)?;
        let (handle, credential_id) = self
            .rp
            .webauthn()
            .identify_discoverable_authentication(&assertion)
            .map_err(|_| PasskeyError::SignInRejected)?;
        let Some(record) = self
            .auth
            .store()
            .passkey_by_credential(&tessera::b64::encode(credential_id))
            .await?
        else {
            return Err(PasskeyError::SignInRejected);
        };
        *owner = Some((record.user_id.clone(), record.id.clone()));
        // The user handle the authenticator returned must be the owner's:
        // a credential registered to one account never signs in another.
        if handle.to_string() != record.user_id {
            return Err(PasskeyError::SignInRejected);
        }
        let user = self
            .auth
            .store()
            .user_by_id(&record.user_id)
            .await?
            .ok_or(PasskeyError::SignInRejected)?;
        if user.disabled_at.is_some() {
            return Err(PasskeyError::Disabled);
        }
        let mut passkey = stored_passkey(&record)?;
        let result = self
            .rp
            .webauthn()
            .finish_discoverable_authentication(
                &assertion,
                state,
                &[DiscoverableKey::from(&passkey)],
            )
            .map_err(|err| match err {
                WebauthnError::CredentialPossibleCompromise => PasskeyError::PossibleClone,
                other => {
                    tracing::info!(reason = %other, "passkey sign-in refused");
                    PasskeyError::SignInRejected
                }
            })?;
        if !result.user_verified() {
            return Err(PasskeyError::SignInRejected);
        }
        passkey.update_credential(&result);
        let counter = i64::from(result.counter());
        let update = self
            .auth
            .store()
            .advance_passkey(
                &record.id,
                record.sign_count,
                counter,
                &to_json_text(&passkey)?,
                self.auth.now(),
            )
            .await?;
        if update == CounterUpdate::Stale {
            return Err(PasskeyError::PossibleClone);
        }
        Ok((User::from(&user), record.id))
    }

    /// A user's passkeys, oldest first.
    pub async fn list(&self, user_id: &str) -> Result<Vec<PasskeyRecord>, PasskeyError> {
        Ok(self.auth.store().passkeys_of(user_id).await?)
    }

    /// Renames passkey `id` of `user_id`.
    pub async fn rename(&self, user_id: &str, id: &str, name: &str) -> Result<(), PasskeyError> {
        let name = passkey_name(Some(name))?;
        if !self.auth.store().rename_passkey(user_id, id, &name).await? {
            return Err(PasskeyError::NotFound);
        }
        self.auth
            .audit(
                AuditKind::PasskeyRenamed,
                Some(user_id),
                None,
                json!({ "passkey": id, "name": name }),
            )
            .await;
        Ok(())
    }

    /// Deletes passkey `id` of `user_id`; refused when it is their last
    /// way to sign in.
    pub async fn delete(&self, user_id: &str, id: &str) -> Result<(), PasskeyError> {
        let outcome = self.auth.store().delete_passkey(user_id, id).await;
        match outcome? {
            Unlinked::Deleted => {
                self.auth
                    .audit(
                        AuditKind::PasskeyDeleted,
                        Some(user_id),
                        None,
                        json!({ "passkey": id }),
                    )
                    .await;
                Ok(())
            }
            Unlinked::NotFound => Err(PasskeyError::NotFound),
            Unlinked::LastWay => Err(PasskeyError::LastWay),
        }
    }

    async fn store_ceremony<S: serde::Serialize>(
        &self,
        purpose: CeremonyPurpose,
        user_id: Option<&str>,
        state: &S,
    ) -> Result<String, PasskeyError> {
        let id = random_value().map_err(|err| AccountError::Hashing(err.to_string()))?;
        let now = self.auth.now();
        self.auth
            .store()
            .insert_ceremony(&CeremonyRecord {
                id: id.clone(),
                purpose,
                user_id: user_id.map(str::to_owned),
                state: to_json_text(state)?,
                created_at: now,
                expires_at: now.saturating_add(whole_seconds(CEREMONY_LIFETIME)),
            })
            .await?;
        Ok(id)
    }

    /// Takes ceremony `id` of `purpose`: gone afterwards, whatever follows.
    async fn take_ceremony(
        &self,
        id: &str,
        purpose: CeremonyPurpose,
    ) -> Result<CeremonyRecord, PasskeyError> {
        let ceremony = self
            .auth
            .store()
            .take_ceremony(id, purpose)
            .await?
            .ok_or(PasskeyError::CeremonyInvalid)?;
        if ceremony.expires_at < self.auth.now() {
            return Err(PasskeyError::CeremonyInvalid);
        }
        Ok(ceremony)
    }
}

/// How a passkey sign-in is recorded in the `amr` claim (RFC 8176):
/// `["swk", "user", "mfa"]`.
///
/// `swk` (a software-secured key), not `hwk`: `hwk` promises a key held in
/// hardware, and nothing here proves that. Registration asks for no
/// attestation (`attestation: none`, as passkeys are meant to be used), so
/// the authenticator's make is unknown, and most passkeys are synced
/// between devices through a cloud keychain: the private key then exists
/// outside any one hardware element. An app that demands `hwk` must not be
/// satisfied by a claim the server cannot back. `user`: the authenticator
/// tested the user's presence. `mfa`: the sign-in required user
/// verification (a PIN or biometrics on the device holding the key), so
/// two factors were checked: the key (possession) and what unlocked it.
fn passkey_amr() -> Amr {
    Amr::from_methods([Amr::SOFTWARE_KEY, "user", Amr::MFA])
}

/// webauthn-rs's passkey registration asks for `residentKey: discouraged`
/// (a credential the server must name in every sign-in). Sign-in without a
/// username needs a discoverable one, so the options sent ask for it:
/// `residentKey: required` and, for browsers that only know WebAuthn level
/// 1, `requireResidentKey: true`. The library's verification does not
/// depend on this request (it cannot check it: whether a credential is
/// discoverable is the authenticator's secret), so changing it here keeps
/// every check the library makes.
fn require_discoverable(options: &mut CreationChallengeResponse) {
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
}

/// A passkey name: trimmed, 1 to [`PASSKEY_NAME_MAX_CHARS`] characters,
/// no control characters; [`DEFAULT_NAME`] when none is given.
fn passkey_name(name: Option<&str>) -> Result<String, PasskeyError> {
    let Some(name) = name else {
        return Ok(DEFAULT_NAME.to_owned());
    };
    let name = name.trim();
    let problem = if name.is_empty() {
        Some(Problem::Empty)
    } else if name.chars().count() > PASSKEY_NAME_MAX_CHARS {
        Some(Problem::TooLong {
            max: PASSKEY_NAME_MAX_CHARS,
        })
    } else if name.chars().any(char::is_control) {
        Some(Problem::InvalidCharacters)
    } else {
        None
    };
    match problem {
        Some(problem) => Err(AccountError::from(ValidationError::new("name", problem)).into()),
        None => Ok(name.to_owned()),
    }
}

fn stored_passkey(record: &PasskeyRecord) -> Result<Passkey, PasskeyError> {
    from_stored(&record.credential)
}

fn from_stored<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(text).map_err(|_| corrupt("a stored passkey value is not readable"))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, PasskeyError> {
    serde_json::to_value(value).map_err(|_| corrupt("a passkey value could not be serialised"))
}

fn to_json_text<T: serde::Serialize>(value: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(value).map_err(|_| corrupt("a passkey value could not be serialised"))
}

fn corrupt(what: &str) -> PasskeyError {
    PasskeyError::Auth(AccountError::Store(StoreError::Corrupt(what.to_owned())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(passkey_name(None).unwrap(), "Passkey");
        assert_eq!(passkey_name(Some("  Laptop ")).unwrap(), "Laptop");
        assert!(passkey_name(Some("   ")).is_err());
        assert!(passkey_name(Some(&"x".repeat(65))).is_err());
        assert!(passkey_name(Some("a\u{0}b")).is_err());
    }

    #[test]
    fn registration_options_ask_for_a_discoverable_credential() {
        let rp = RelyingParty::from_public_url("https://auth.example.com").unwrap();
        let (mut options, _) = rp
            .webauthn()
            .start_passkey_registration(Uuid::new_v4(), "ada", "ada", None)
            .unwrap();
        require_discoverable(&mut options);
        let json = serde_json::to_value(&options).unwrap();
        let selection = &json["publicKey"]["authenticatorSelection"];
        assert_eq!(selection["residentKey"], "required");
        assert_eq!(selection["requireResidentKey"], true);
        assert_eq!(selection["userVerification"], "required");
    }
}
