//! Registering, logging in, changing passwords, creating users.

use std::sync::Arc;

use serde_json::json;

use super::account_fields::{
    USERNAME_MAX_CHARS, Username, parse_email, parse_roles, username_skeleton_of,
};
use super::amr::Amr;
use super::error::{AccountError, Problem, Resource, ValidationError};
use super::model::{ClientInfo, Grant, User};
use super::password::Password;
use super::settings::MAX_PASSWORD_CHARS;
use super::user_cache::Lookup;
use super::{AuditKind, AuthService};
use crate::store::{SessionSelector, Store, StoreError, UserRecord};

/// Longest password input, in bytes, that is worth hashing at login: 128
/// characters of at most 4 UTF-8 bytes each, plus room for decomposed forms.
const MAX_PASSWORD_INPUT_BYTES: usize = MAX_PASSWORD_CHARS * 4 * 4;

/// A self-registration (`POST /auth/register`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The username as typed.
    pub username: String,
    /// The password as typed.
    pub password: Password,
    /// An optional e-mail address.
    pub email: Option<String>,
}

impl Registration {
    /// A registration.
    pub fn new(username: impl Into<String>, password: Password, email: Option<String>) -> Self {
        Registration {
            username: username.into(),
            password,
            email,
        }
    }
}

/// A user created by an operator or admin, with roles (`tessera user add`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The username as typed.
    pub username: String,
    /// The password as typed.
    pub password: Password,
    /// An optional e-mail address.
    pub email: Option<String>,
    /// Role names, e.g. `["admin"]`.
    pub roles: Vec<String>,
}

/// Gives each user created before skeletons were stored its skeleton (see
/// [`Username::skeleton`]), oldest first; run at start-up, and a no-op once
/// done. A user whose name looks like an older user's keeps none (that is
/// logged): both accounts go on working, and the older one's skeleton
/// already keeps a third look-alike out.
pub(crate) async fn backfill_username_skeletons(store: &Store) -> Result<(), StoreError> {
    for user in store.users_without_skeleton().await? {
        let skeleton = username_skeleton_of(&user.username_key);
        match store.set_username_skeleton(&user.id, &skeleton).await {
            Ok(_) => {}
            Err(StoreError::Conflict) => {
                tracing::warn!(
                    user = %user.id,
                    "username looks like an older user's (same UTS #39 skeleton); it keeps working, but no skeleton is stored for it"
                );
            }
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

impl AuthService {
    /// Creates an account with no roles. Checks, in order, the username,
    /// e-mail and password (first failure wins, naming its field); a taken
    /// username, or one that looks like a taken one (the same UTS #39
    /// skeleton, see [`Username::skeleton`]), is [`AccountError::UsernameTaken`].
    /// With sign-up closed ([`ServerSettings::registration_open`]) every
    /// registration is [`AccountError::RegistrationClosed`].
    ///
    /// [`ServerSettings::registration_open`]: super::ServerSettings::registration_open
    pub async fn register(&self, registration: Registration) -> Result<User, AccountError> {
        if !self.settings().registration_open {
            return Err(AccountError::RegistrationClosed);
        }
        let user = self
            .insert_account(
                &registration.username,
                &registration.password,
                registration.email.as_deref(),
                &[],
            )
            .await?;
        self.audit(
            AuditKind::UserRegistered,
            Some(&user.id),
            None,
            json!({ "username": user.username }),
        )
        .await;
        Ok(user)
    }

    /// Creates an account with roles — the bootstrap of the first admin
    /// (`tessera user add NAME --role admin`) and the admin API. Same rules
    /// as [`register`](Self::register).
    pub async fn create_user(
        &self,
        account: NewAccount,
        actor: Option<&str>,
    ) -> Result<User, AccountError> {
        let roles = parse_roles(&account.roles)?;
        let user = self
            .insert_account(
                &account.username,
                &account.password,
                account.email.as_deref(),
                &roles,
            )
            .await?;
        self.audit(
            AuditKind::UserCreated,
            Some(&user.id),
            None,
            json!({ "username": user.username, "roles": user.roles, "by": actor }),
        )
        .await;
        Ok(user)
    }

    async fn insert_account(
        &self,
        username: &str,
        password: &Password,
        email: Option<&str>,
        roles: &[String],
    ) -> Result<User, AccountError> {
        let username = Username::parse(username)?;
        let email = parse_email(email)?;
        self.policy()
            .check("password", password, &username, email.as_deref())?;
        // Spare the hash when the name is visibly taken, or looks like a
        // taken one; the unique indexes still decide races.
        if self.store().user_by_key(username.key()).await?.is_some()
            || self
                .store()
                .user_by_skeleton(username.skeleton())
                .await?
                .is_some()
        {
            return Err(AccountError::UsernameTaken);
        }
        let hash = self.hasher().hash(password).await?;
        let now = self.now();
        let record = UserRecord {
            id: uuid::Uuid::new_v4().to_string(),
            username: username.as_str().to_owned(),
            username_key: username.key().to_owned(),
            username_skeleton: Some(username.skeleton().to_owned()),
            email,
            password_hash: Some(hash),
            roles: roles.to_vec(),
            disabled_at: None,
            created_at: now,
            updated_at: now,
        };
        match self.store().insert_user(&record).await {
            Ok(()) => Ok(User::from(&record)),
            Err(StoreError::Conflict) => Err(AccountError::UsernameTaken),
            Err(err) => Err(err.into()),
        }
    }

    /// Checks a username and password and starts a session.
    ///
    /// Unknown user, wrong password and disabled account all end in
    /// [`AccountError::InvalidCredentials`] after the same work: one look-up and
    /// one argon2 verification (against a dummy hash when there is no user).
    /// A correct password stored with other argon2 parameters is re-hashed.
    pub async fn login(
        &self,
        username: &str,
        password: &Password,
        client: ClientInfo,
    ) -> Result<Grant, AccountError> {
        let (user, accepted_hash) = self.check_credentials(username, password, &client).await?;
        // The session must not outlive a password change that commits while
        // the hash above is checked: it is kept only if the stored hash is
        // still the one this password matched.
        let grant = self
            .create_session_for_password(&user, client.clone(), Amr::password(), &accepted_hash)
            .await?;
        self.audit(
            AuditKind::Login,
            Some(&user.id),
            Some(&grant.session.id),
            json!({ "ip": client.ip, "user_agent": client.user_agent }),
        )
        .await;
        Ok(grant)
    }

    /// The password check of [`login`](Self::login), without a session.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &Password,
        client: &ClientInfo,
    ) -> Result<User, AccountError> {
        let (user, _) = self.check_credentials(username, password, client).await?;
        Ok(user)
    }

    /// The password check, with the stored hash the password matched (or
    /// the one that replaced it when it was re-hashed).
    async fn check_credentials(
        &self,
        username: &str,
        password: &Password,
        client: &ClientInfo,
    ) -> Result<(User, String), AccountError> {
        // No account can have a longer password, so refusing at once says
        // nothing about any account, and spares hashing megabytes.
        if password.raw_len() > MAX_PASSWORD_INPUT_BYTES {
            return Err(AccountError::InvalidCredentials);
        }
        // An invalid name cannot exist; still look one up and hash, so the
        // rules are not revealed by timing.
        let key = Username::lookup_key(username);
        let record = self.store().user_by_key(&key).await?;
        let stored = record
            .as_ref()
            .and_then(|user| user.password_hash.as_deref());
        let verified = self.hasher().verify(password, stored).await?;
        let failure = match &record {
            None => Some("unknown_user"),
            Some(_) if !verified.matches => Some("wrong_password"),
            Some(user) if user.disabled_at.is_some() => Some("disabled"),
            Some(_) => None,
        };
        match (record, failure) {
            (Some(user), None) => {
                let mut accepted = user.password_hash.clone().unwrap_or_default();
                if verified.needs_rehash
                    && let Some(new) = self.rehash(&user, password).await
                {
                    accepted = new;
                }
                Ok((User::from(&user), accepted))
            }
            (record, Some(reason)) => {
                // What was typed can be the whole body; no name is longer
                // than this, and the audit table must not grow by kilobytes
                // per failed login.
                let typed: String = key.chars().take(USERNAME_MAX_CHARS).collect();
                self.audit(
                    AuditKind::LoginFailed,
                    record.as_ref().map(|user| user.id.as_str()),
                    None,
                    json!({ "reason": reason, "username": typed, "ip": client.ip }),
                )
                .await;
                Err(AccountError::InvalidCredentials)
            }
            (None, None) => Err(AccountError::InvalidCredentials),
        }
    }

    /// Stores a hash with the current parameters; best effort, and never
    /// over a hash that changed meanwhile. The new hash, when it was stored.
    async fn rehash(&self, user: &UserRecord, password: &Password) -> Option<String> {
        let old = user.password_hash.as_deref()?;
        let outcome = match self.hasher().hash(password).await {
            Ok(new) => self
                .store()
                .replace_password_hash(&user.id, old, &new, self.now())
                .await
                .map(|stored| stored.then_some(new))
                .map_err(AccountError::from),
            Err(err) => Err(err),
        };
        let stored = outcome.unwrap_or_else(|err| {
            tracing::warn!(user = %user.id, error = %err, "could not re-hash password");
            None
        });
        if stored.is_some() {
            // Nothing `/auth/me` shows, but the row changed (`updated_at`).
            self.users_changed().await;
        }
        stored
    }

    /// The user with this id.
    pub async fn user(&self, id: &str) -> Result<User, AccountError> {
        self.store()
            .user_by_id(id)
            .await?
            .map(|record| User::from(&record))
            .ok_or(AccountError::NotFound(Resource::User))
    }

    /// The user with this id as `GET /auth/me` shows it: from memory when
    /// it was read since the last change to any user, announcement on the
    /// feed or periodic resync (so never staler than the revoked set), else
    /// from the store.
    pub async fn current_user(&self, id: &str) -> Result<Arc<User>, AccountError> {
        let generation = match self.inner.users.get(id) {
            Lookup::Hit(user) => return Ok(user),
            Lookup::Miss(generation) => generation,
        };
        let user = Arc::new(self.user(id).await?);
        self.inner.users.insert(generation, Arc::clone(&user));
        Ok(user)
    }

    /// The step after every committed (or possibly committed) change to a
    /// user: this instance's user cache is emptied, and the feed tells the
    /// other instances to resync, which empties theirs. A feed failure is
    /// logged: the others' periodic resync empties their caches anyway.
    pub(crate) async fn users_changed(&self) {
        self.inner.users.invalidate();
        if let Err(err) = self.feed().announce().await {
            tracing::warn!(error = %err, "could not announce a user change to other instances");
        }
    }

    /// How many users this instance holds in memory for `GET /auth/me`
    /// (for diagnostics and tests).
    pub fn cached_users(&self) -> usize {
        self.inner.users.len()
    }

    /// Empties this instance's user cache (on a resync).
    pub(crate) fn forget_cached_users(&self) {
        self.inner.users.invalidate();
    }

    /// Changes a password: `current` must be right (else
    /// [`AccountError::InvalidCredentials`]), `new` must pass the policy
    /// (field `new_password`). Every other session of the user ends; the
    /// caller's `session_id`, if given, stays. Returns how many ended.
    pub async fn change_password(
        &self,
        user_id: &str,
        session_id: Option<&str>,
        current: &Password,
        new: &Password,
    ) -> Result<usize, AccountError> {
        let record = self
            .store()
            .user_by_id(user_id)
            .await?
            .ok_or(AccountError::NotFound(Resource::User))?;
        let username = Username::from_stored(&record.username, &record.username_key);
        if current.raw_len() > MAX_PASSWORD_INPUT_BYTES {
            return Err(AccountError::InvalidCredentials);
        }
        let verified = self
            .hasher()
            .verify(current, record.password_hash.as_deref())
            .await?;
        if !verified.matches || record.disabled_at.is_some() {
            return Err(AccountError::InvalidCredentials);
        }
        self.policy()
            .check("new_password", new, &username, record.email.as_deref())?;
        let hash = self.hasher().hash(new).await?;
        let now = self.now();
        let stored = self.store().set_password_hash(user_id, &hash, now).await;
        self.users_changed().await;
        if !stored? {
            return Err(AccountError::NotFound(Resource::User));
        }
        self.after_password_set(user_id, session_id, json!({}))
            .await
    }

    /// Sets the first password of an account that has none (one created by
    /// a provider sign-in), which has no current password to prove: the
    /// caller's fresh token is the proof. `new` must pass the policy (field
    /// `new_password`, with the account's username and e-mail as context).
    /// An account that has a password needs [`AuthService::change_password`]
    /// (a validation error on `current_password`), also when one was set
    /// meanwhile: the update applies only while there is none. Every other
    /// session ends, as for a change; returns how many.
    pub async fn set_first_password(
        &self,
        user_id: &str,
        session_id: Option<&str>,
        new: &Password,
    ) -> Result<usize, AccountError> {
        let record = self
            .store()
            .user_by_id(user_id)
            .await?
            .ok_or(AccountError::NotFound(Resource::User))?;
        if record.disabled_at.is_some() {
            return Err(AccountError::InvalidCredentials);
        }
        let needs_current = || ValidationError::new("current_password", Problem::Empty).into();
        if record.password_hash.is_some() {
            return Err(needs_current());
        }
        let username = Username::from_stored(&record.username, &record.username_key);
        self.policy()
            .check("new_password", new, &username, record.email.as_deref())?;
        let hash = self.hasher().hash(new).await?;
        let stored = self
            .store()
            .set_first_password_hash(user_id, &hash, self.now())
            .await;
        self.users_changed().await;
        if !stored? {
            return Err(needs_current());
        }
        self.after_password_set(user_id, session_id, json!({ "first_password": true }))
            .await
    }

    /// Ends every session of `user_id` but `session_id` after a password
    /// was set, audited with `detail`; how many ended.
    async fn after_password_set(
        &self,
        user_id: &str,
        session_id: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<usize, AccountError> {
        let ended = self
            .revoke_sessions(
                SessionSelector::User {
                    user_id,
                    except: session_id,
                },
                "password_changed",
                Some(self.event(
                    AuditKind::PasswordChanged,
                    Some(user_id),
                    session_id,
                    detail.clone(),
                )),
            )
            .await?;
        if ended == 0 {
            self.audit(
                AuditKind::PasswordChanged,
                Some(user_id),
                session_id,
                detail,
            )
            .await;
        }
        Ok(ended)
    }
}
