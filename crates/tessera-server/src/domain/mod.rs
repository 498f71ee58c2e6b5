//! The rules of the auth service: accounts and passwords, sessions with
//! refresh-token rotation and reuse detection, logout and revocation, the
//! admin operations and the audit trail — everything but HTTP.
//!
//! [`AuthService`] is the one entry point. It decides; the HTTP layer
//! parses requests, calls it, and mints tokens from the [`Grant`] it returns
//! (`sub` = user id, `sid` = session id, `roles`, and the refresh token's
//! `jti`). Protected requests check [`RevokedSet::is_revoked`] in memory.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use tessera::SystemClock;
//! use tessera_server::app::revocation_feed;
//! use tessera_server::domain::{AuthService, ClientInfo, Password, Registration, ServerSettings};
//! use tessera_server::store::{Store, StoreOptions};
//!
//! let store = Store::open(&StoreOptions::sqlite("tessera.db")).await?;
//! let feed = revocation_feed(&store);
//! let auth = AuthService::new(store, feed, ServerSettings::from_env()?, Arc::new(SystemClock)).await?;
//! auth.register(Registration::new("ada", Password::new("analytical engine"), None)).await?;
//! let grant = auth.login("ada", &Password::new("analytical engine"), ClientInfo::default()).await?;
//! let rotation = auth.rotate(&grant.session.id, &grant.refresh_jti).await?;
//! assert_ne!(rotation.grant.refresh_jti, grant.refresh_jti);
//! # Ok(()) }
//! ```

mod account_fields;
mod accounts;
mod admin;
mod amr;
mod audit;
mod error;
mod fingerprint;
mod hasher;
mod identities;
mod mfa_enrol;
mod mfa_error;
mod mfa_policy;
mod mfa_sign_in;
mod model;
#[cfg(feature = "passkeys")]
mod passkeys;
mod password;
mod revocations;
mod revoked;
mod sessions;
mod settings;
mod user_cache;

pub use account_fields::{
    EMAIL_MAX_CHARS, MAX_ROLES, ROLE_MAX_CHARS, USERNAME_MAX_CHARS, USERNAME_MIN_CHARS, Username,
    parse_email, parse_roles,
};
pub use accounts::{NewAccount, Registration};
pub use amr::Amr;
pub use audit::AuditKind;
pub use error::{AccountError, Problem, RefreshError, Resource, ValidationError};
pub use hasher::{PasswordHasher, Verified};
pub use identities::{IdentityError, SocialSignIn};
pub use mfa_enrol::{MfaStatus, TotpEnrolment};
pub use mfa_error::{MfaError, SealFailure, SecretSealer};
pub use mfa_sign_in::{
    MFA_MAX_FAILURES, MFA_TOKEN_LIFETIME, MfaChallenge, SecondFactor, SignInOutcome,
};
pub use model::{
    AuditQuery, ClientInfo, Grant, LogoutScope, MAX_PAGE_SIZE, Page, Rotation, RotationOutcome,
    Session, SessionInfo, User, UserQuery,
};
#[cfg(feature = "passkeys")]
pub use passkeys::{
    CEREMONY_LIFETIME, CeremonyStart, PASSKEY_NAME_MAX_CHARS, PasskeyError, PasskeyService,
    PasskeySignIn, RelyingParty, RelyingPartyError,
};
pub use password::{Password, PasswordPolicy, is_common_password};
pub use revocations::FollowError;
pub use revoked::RevokedSet;
pub use sessions::Housekeeping;
pub use settings::{
    Argon2Params, DEFAULT_IDLE_TIMEOUT, MAX_PASSWORD_CHARS, MAX_REUSE_GRACE, ServerSettings,
    whole_seconds,
};

use std::sync::Arc;

use serde_json::Value;
use tessera::Clock;

use crate::fanout::RevocationFeed;
use crate::store::{NewAuditEvent, Store};

/// Accounts, sessions and revocation over a [`Store`], telling other
/// instances of revocations through a [`RevocationFeed`]. Cheap to clone
/// (clones share everything), so it can be an axum state.
#[derive(Clone)]
pub struct AuthService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    feed: Arc<dyn RevocationFeed>,
    settings: ServerSettings,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    revoked: Arc<RevokedSet>,
    /// Users as `GET /auth/me` shows them (see [`user_cache`]).
    users: user_cache::UserCache,
    /// Run after every revocation resync (set once, at start-up).
    after_sync: std::sync::OnceLock<Arc<dyn AfterSync>>,
    /// Seals second-factor secrets (set once, at start-up, when there is a
    /// `TESSERA_ENCRYPTION_KEY`).
    sealer: std::sync::OnceLock<Arc<dyn SecretSealer>>,
}

/// Work that follows every revocation resync (a feed wake or the periodic
/// one), such as reloading signing keys another instance changed.
pub trait AfterSync: Send + Sync + std::fmt::Debug {
    /// Runs once the revocations are synced; logs its own failures.
    fn after_sync(&self) -> crate::boxed::BoxFuture<'_, ()>;
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("store", &self.inner.store)
            .field("feed", &self.inner.feed)
            .field("settings", &self.inner.settings)
            .field("revoked", &self.inner.revoked.len())
            .field("cached_users", &self.inner.users.len())
            .finish_non_exhaustive()
    }
}

impl AuthService {
    /// Builds the service: stores the username skeletons that older users
    /// lack, prepares the password hasher (one hash of work for the dummy
    /// hash) and loads the revoked set from the store. `feed` carries
    /// revocations to and from other instances (the server's start-up picks
    /// the one that fits the store).
    pub async fn new(
        store: Store,
        feed: Arc<dyn RevocationFeed>,
        settings: ServerSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AccountError> {
        accounts::backfill_username_skeletons(&store).await?;
        let hasher = PasswordHasher::new(settings.argon2, settings.hash_concurrency).await?;
        let revoked = Arc::new(RevokedSet::load(&store, clock.now()).await?);
        Ok(AuthService {
            inner: Arc::new(Inner {
                store,
                feed,
                settings,
                clock,
                hasher,
                revoked,
                users: user_cache::UserCache::new(user_cache::USER_CACHE_CAPACITY),
                after_sync: std::sync::OnceLock::new(),
                sealer: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Runs `hook` after every revocation resync from now on; `false` when
    /// one was set already (it is kept).
    pub fn set_after_sync(&self, hook: Arc<dyn AfterSync>) -> bool {
        self.inner.after_sync.set(hook).is_ok()
    }

    /// Seals second-factor secrets with `sealer` from now on; `false` when
    /// one was set already (it is kept). Without one, enrolling and using a
    /// TOTP authenticator answer [`MfaError::Unavailable`].
    pub fn set_secret_sealer(&self, sealer: Arc<dyn SecretSealer>) -> bool {
        self.inner.sealer.set(sealer).is_ok()
    }

    fn sealer(&self) -> Result<&Arc<dyn SecretSealer>, MfaError> {
        self.inner
            .sealer
            .get()
            .ok_or(MfaError::Unavailable("TESSERA_ENCRYPTION_KEY is not set"))
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The feed that carries revocations between instances.
    pub fn feed(&self) -> &Arc<dyn RevocationFeed> {
        &self.inner.feed
    }

    /// The rules in force.
    pub fn settings(&self) -> &ServerSettings {
        &self.inner.settings
    }

    /// The in-memory revoked set that protected requests consult.
    pub fn revoked(&self) -> &Arc<RevokedSet> {
        &self.inner.revoked
    }

    /// The password hasher (for callers that hash outside accounts, e.g. benchmarks).
    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    /// Now, by the service's clock.
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    fn policy(&self) -> PasswordPolicy {
        PasswordPolicy {
            min_chars: self.inner.settings.password_min_chars,
        }
    }

    /// An audit event about `user_id` / `session_id`.
    fn event(
        &self,
        kind: AuditKind,
        user_id: Option<&str>,
        session_id: Option<&str>,
        detail: Value,
    ) -> NewAuditEvent {
        NewAuditEvent {
            at: self.now(),
            user_id: user_id.map(str::to_owned),
            session_id: session_id.map(str::to_owned),
            kind: kind.as_str().to_owned(),
            detail,
        }
    }

    /// Records an audit event; a failure is logged, not returned, so the
    /// trail never blocks the operation it describes.
    async fn audit(
        &self,
        kind: AuditKind,
        user_id: Option<&str>,
        session_id: Option<&str>,
        detail: Value,
    ) {
        let event = self.event(kind, user_id, session_id, detail);
        if let Err(err) = self.inner.store.insert_audit(&event).await {
            tracing::warn!(kind = kind.as_str(), error = %err, "could not record audit event");
        }
    }
}
