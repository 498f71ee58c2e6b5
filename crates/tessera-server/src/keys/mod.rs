//! Signing keys: where the key material the [`tessera::JwtManager`] signs
//! and verifies with comes from.
//!
//! [`SigningKeys`] is the seam; the start-up code
//! ([`crate::app::signing_keys`]) picks the source, and the manager is
//! built from the [`KeySet`] it yields:
//! - [`ConfiguredKeys`]: the keys named by the token settings
//!   (`JWT_SECRET_KEY`, or `JWT_PRIVATE_KEY` / `JWT_PUBLIC_KEY`);
//! - [`StoredKeys`]: keys kept in the store (asymmetric `JWT_ALGORITHM`
//!   without `JWT_PRIVATE_KEY`), encrypted at rest, each with a `kid`,
//!   moving through next → current → previous → retired, so the current
//!   key signs and the others still verify (and appear in the JWKS) while
//!   tokens signed with them live. [`KeyFollower`] keeps every instance's
//!   manager on the stored keys.

mod configured;
mod follow;
mod sealed;
mod stored;

pub use configured::ConfiguredKeys;
pub use follow::{KeyCountObserver, KeyFollower};
pub use sealed::{
    ENCRYPTION_KEY_BYTES, ENCRYPTION_KEY_VAR, EncryptionKey, EncryptionKeyText, SealError,
};

/// Default of `TESSERA_KEY_ROTATION_DAYS`: 30 days. A leaked signing key is
/// then useful for at most a month, and with the default 30-day refresh
/// lifetime the JWKS holds at most three keys (next, current, one previous).
pub const DEFAULT_ROTATION_DAYS: u32 = 30;
pub use stored::{KeyInfo, KeyPolicy, Rotation, StoredKeys};

use tessera::{ConfigError, KeyError, KeySet};

use crate::boxed::BoxFuture;
use crate::store::StoreError;

/// Why the key material could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeysError {
    /// A configured key is missing, weak or malformed (names the variable).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The keys are kept in the store, but `TESSERA_ENCRYPTION_KEY` is not set.
    #[error(
        "{ENCRYPTION_KEY_VAR} is not set: the signing keys kept in the store are encrypted with it (`tessera init` writes one into .env; restore the one this store was set up with)"
    )]
    NoEncryptionKey,
    /// Sealing or opening a stored key failed (a wrong encryption key, say).
    #[error(transparent)]
    Sealed(#[from] SealError),
    /// The store could not be read or written.
    #[error("signing keys in the store: {0}")]
    Store(#[from] StoreError),
    /// A stored or generated key could not be used.
    #[error("signing key: {0}")]
    Key(#[from] KeyError),
    /// A key could not be generated or encoded.
    #[error("cannot generate a signing key")]
    Generate,
    /// The store holds no current key.
    #[error("the store holds no current signing key")]
    NoCurrentKey,
    /// No key has this id.
    #[error("no signing key has the id {0:?}")]
    UnknownKid(String),
    /// The current key cannot be retired.
    #[error(
        "{0} is the current signing key and cannot be retired; rotate first (`tessera keys rotate`)"
    )]
    RetireCurrent(String),
}

/// A source of the keys tokens are signed and verified with.
pub trait SigningKeys: Send + Sync + std::fmt::Debug {
    /// The keys in force: the set's primary key signs new tokens, and every
    /// key in it verifies presented ones (and is published in the JWKS when
    /// it is asymmetric).
    fn key_set(&self) -> BoxFuture<'_, Result<KeySet, KeysError>>;
}
