//! Accounts from provider identities: the first sign-in creates a user
//! (with no password), later ones find it by (issuer, subject); a signed-in
//! user links and unlinks identities. Never linked by e-mail: an address
//! can change hands, and a local account registered with someone else's
//! address must not be taken over (pre-account-takeover).

use serde_json::json;

use super::account_fields::{USERNAME_MAX_CHARS, Username};
use super::amr::Amr;
use super::error::AccountError;
use super::model::{ClientInfo, Grant, User};
use super::{AuditKind, AuthService};
use crate::oauth::VerifiedIdentity;
use crate::oauth::flow::random_value;
use crate::store::{FlowRecord, IdentityRecord, StoreError, Unlinked, UserRecord};

/// How many numbered variants of a derived username are tried before a
/// random suffix.
const NUMBERED_TRIES: usize = 5;

/// A sign-in through a provider.
#[derive(Debug, Clone)]
pub struct SocialSignIn {
    /// The session to mint tokens from.
    pub grant: Grant,
    /// Whether this sign-in created the account.
    pub created: bool,
}

/// Why a provider identity could not sign in, link or unlink.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The identity is linked to another user (409).
    #[error("this account at the provider is linked to another user")]
    LinkedElsewhere,
    /// Unlinking would leave the user no way to sign in (409).
    #[error(
        "this is the account's last way to sign in; set a password or link another provider first"
    )]
    LastWay,
    /// No such identity of this user (404).
    #[error("identity not found")]
    NotFound,
    /// The account the identity signs in is disabled (403).
    #[error("the account is disabled")]
    Disabled,
    /// Anything else the account layer refuses (store down, …).
    #[error(transparent)]
    Auth(#[from] AccountError),
}

impl IdentityError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            IdentityError::LinkedElsewhere => "identity_taken",
            IdentityError::LastWay => "last_sign_in_method",
            IdentityError::NotFound => "identity_not_found",
            IdentityError::Disabled => "account_disabled",
            IdentityError::Auth(err) => err.code(),
        }
    }
}

impl From<StoreError> for IdentityError {
    fn from(err: StoreError) -> Self {
        IdentityError::Auth(err.into())
    }
}

impl AuthService {
    /// Stores a sign-in in progress.
    pub async fn begin_flow(&self, flow: &FlowRecord) -> Result<(), AccountError> {
        Ok(self.store().insert_flow(flow).await?)
    }

    /// Takes (and so ends) the sign-in in progress with this state
    /// fingerprint; `None` when there is none (never made, used, or swept).
    pub async fn take_flow(&self, state_hash: &str) -> Result<Option<FlowRecord>, AccountError> {
        Ok(self.store().take_flow(state_hash).await?)
    }

    /// Signs in with a verified identity of `provider`: the linked user,
    /// or a new one (no password; a username derived from the profile),
    /// created with its identity in one transaction.
    pub async fn sign_in_with_identity(
        &self,
        provider: &str,
        identity: &VerifiedIdentity,
        client: ClientInfo,
    ) -> Result<SocialSignIn, IdentityError> {
        let now = self.now();
        let (user, created) = match self
            .store()
            .identity_by_subject(&identity.issuer, &identity.subject)
            .await?
        {
            Some(linked) => {
                self.store()
                    .touch_identity(&linked.id, identity.email.as_deref(), now)
                    .await?;
                let user = self
                    .store()
                    .user_by_id(&linked.user_id)
                    .await?
                    .ok_or(IdentityError::Auth(AccountError::InvalidCredentials))?;
                (user, false)
            }
            None => self.create_from_identity(provider, identity).await?,
        };
        if user.disabled_at.is_some() {
            self.social_failure(provider, "disabled", Some(&user.id))
                .await;
            return Err(IdentityError::Disabled);
        }
        let grant = match self
            .create_session(&User::from(&user), client.clone(), Amr::federated())
            .await
        {
            Ok(grant) => grant,
            Err(AccountError::InvalidCredentials) => return Err(IdentityError::Disabled),
            Err(err) => return Err(err.into()),
        };
        self.audit(
            AuditKind::SocialLogin,
            Some(&user.id),
            Some(&grant.session.id),
            json!({ "provider": provider, "created": created, "ip": client.ip, "user_agent": client.user_agent }),
        )
        .await;
        Ok(SocialSignIn { grant, created })
    }

    /// The user for a first sign-in, or the one a concurrent first sign-in
    /// with the same identity just created. With sign-up closed
    /// (`TESSERA_REGISTRATION=closed`) a first sign-in creates no account.
    async fn create_from_identity(
        &self,
        provider: &str,
        identity: &VerifiedIdentity,
    ) -> Result<(UserRecord, bool), IdentityError> {
        if !self.settings().registration_open {
            return Err(AccountError::RegistrationClosed.into());
        }
        let base = username_base(identity);
        for attempt in 0..=NUMBERED_TRIES + 1 {
            let candidate = match attempt {
                0 => base.clone(),
                n if n <= NUMBERED_TRIES => suffixed(&base, &(n + 1).to_string()),
                _ => {
                    let random = random_value().map_err(|err| {
                        IdentityError::Auth(AccountError::Hashing(err.to_string()))
                    })?;
                    suffixed(
                        &base,
                        &random[..8].to_ascii_lowercase().replace(['-', '_'], "x"),
                    )
                }
            };
            let Ok(username) = Username::parse(&candidate) else {
                continue;
            };
            if self.store().user_by_key(username.key()).await?.is_some()
                || self
                    .store()
                    .user_by_skeleton(username.skeleton())
                    .await?
                    .is_some()
            {
                continue;
            }
            let now = self.now();
            let user = UserRecord {
                id: uuid::Uuid::new_v4().to_string(),
                username: username.as_str().to_owned(),
                username_key: username.key().to_owned(),
                username_skeleton: Some(username.skeleton().to_owned()),
                email: None,
                // No password: a password login with this account fails as
                // a wrong password does, after the same work.
                password_hash: None,
                roles: Vec::new(),
                disabled_at: None,
                created_at: now,
                updated_at: now,
            };
            let record = identity_record(&user.id, provider, identity, now);
            match self.store().insert_user_with_identity(&user, &record).await {
                Ok(()) => {
                    self.audit(
                        AuditKind::UserRegistered,
                        Some(&user.id),
                        None,
                        json!({ "username": user.username, "provider": provider }),
                    )
                    .await;
                    return Ok((user, true));
                }
                Err(StoreError::Conflict) => {
                    // Either the name was taken meanwhile (try the next) or
                    // the same identity signed in twice at once (use it).
                    if let Some(linked) = self
                        .store()
                        .identity_by_subject(&identity.issuer, &identity.subject)
                        .await?
                        && let Some(user) = self.store().user_by_id(&linked.user_id).await?
                    {
                        return Ok((user, false));
                    }
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(IdentityError::Auth(AccountError::UsernameTaken))
    }

    /// Links a verified identity of `provider` to `user_id`. Linking one
    /// already linked to this user is a no-op; to another user, a
    /// [`IdentityError::LinkedElsewhere`].
    pub async fn link_identity(
        &self,
        user_id: &str,
        provider: &str,
        identity: &VerifiedIdentity,
    ) -> Result<IdentityRecord, IdentityError> {
        let now = self.now();
        if let Some(linked) = self
            .store()
            .identity_by_subject(&identity.issuer, &identity.subject)
            .await?
        {
            return if linked.user_id == user_id {
                Ok(linked)
            } else {
                self.social_failure(provider, "identity_taken", Some(user_id))
                    .await;
                Err(IdentityError::LinkedElsewhere)
            };
        }
        let record = identity_record(user_id, provider, identity, now);
        let inserted = self.store().insert_identity(&record).await;
        self.users_changed().await;
        match inserted {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(IdentityError::LinkedElsewhere),
            Err(err) => return Err(err.into()),
        }
        self.audit(
            AuditKind::IdentityLinked,
            Some(user_id),
            None,
            json!({ "provider": provider, "identity": record.id }),
        )
        .await;
        Ok(record)
    }

    /// A user's linked identities.
    pub async fn identities(&self, user_id: &str) -> Result<Vec<IdentityRecord>, AccountError> {
        Ok(self.store().identities_of(user_id).await?)
    }

    /// Unlinks identity `id` of `user_id`; refused when it is their last
    /// way to sign in.
    pub async fn unlink_identity(&self, user_id: &str, id: &str) -> Result<(), IdentityError> {
        let unlinked = self.store().delete_identity(user_id, id).await;
        self.users_changed().await;
        match unlinked? {
            Unlinked::Deleted => {
                self.audit(
                    AuditKind::IdentityUnlinked,
                    Some(user_id),
                    None,
                    json!({ "identity": id }),
                )
                .await;
                Ok(())
            }
            Unlinked::NotFound => Err(IdentityError::NotFound),
            Unlinked::LastWay => Err(IdentityError::LastWay),
        }
    }

    /// Audits a failed sign-in or link through `provider`.
    pub async fn social_failure(&self, provider: &str, reason: &str, user_id: Option<&str>) {
        self.audit(
            AuditKind::SocialLoginFailed,
            user_id,
            None,
            json!({ "provider": provider, "reason": reason }),
        )
        .await;
    }
}

fn identity_record(
    user_id: &str,
    provider: &str,
    identity: &VerifiedIdentity,
    now: i64,
) -> IdentityRecord {
    IdentityRecord {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.to_owned(),
        provider: provider.to_owned(),
        issuer: identity.issuer.clone(),
        subject: identity.subject.clone(),
        email: identity.email.clone(),
        created_at: now,
        last_used_at: now,
    }
}

/// A username from the profile: the preferred username, else the name,
/// else the e-mail's local part, kept to the characters usernames allow
/// (spaces become dots); `user` when nothing usable is left.
fn username_base(identity: &VerifiedIdentity) -> String {
    let local_part = identity
        .email
        .as_deref()
        .and_then(|email| email.split('@').next());
    for source in [
        identity.preferred_username.as_deref(),
        identity.name.as_deref(),
        local_part,
    ]
    .into_iter()
    .flatten()
    {
        let cleaned: String = source
            .trim()
            .chars()
            .map(|c| if c.is_whitespace() { '.' } else { c })
            .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .take(USERNAME_MAX_CHARS - 10)
            .collect();
        if Username::parse(&cleaned).is_ok() {
            return cleaned;
        }
    }
    "user".to_owned()
}

fn suffixed(base: &str, suffix: &str) -> String {
    format!("{base}-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(
        preferred: Option<&str>,
        name: Option<&str>,
        email: Option<&str>,
    ) -> VerifiedIdentity {
        VerifiedIdentity {
            issuer: "https://id.example".to_owned(),
            subject: "1".to_owned(),
            email: email.map(str::to_owned),
            email_verified: true,
            name: name.map(str::to_owned),
            preferred_username: preferred.map(str::to_owned),
        }
    }

    #[test]
    fn usernames_come_from_the_profile_and_always_pass_the_rules() {
        assert_eq!(
            username_base(&identity(Some("ada_l"), Some("Ada"), None)),
            "ada_l"
        );
        assert_eq!(
            username_base(&identity(None, Some("Ada Lovelace"), None)),
            "Ada.Lovelace"
        );
        assert_eq!(
            username_base(&identity(None, Some("A"), Some("ada@example.com"))),
            "ada"
        );
        assert_eq!(username_base(&identity(None, Some("!!"), None)), "user");
        let long = "x".repeat(200);
        assert!(
            Username::parse(&suffixed(
                &username_base(&identity(Some(&long), None, None)),
                "abcdefgh"
            ))
            .is_ok()
        );
    }
}
