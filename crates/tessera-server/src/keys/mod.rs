//! Signing keys: where the key material the [`tessera::JwtManager`] signs
//! and verifies with comes from.
//!
//! [`SigningKeys`] is the seam; the start-up code
//! ([`crate::app::signing_keys`]) picks the source, and the manager is
//! built from the [`KeySet`] it yields:
//! - [`ConfiguredKeys`]: the keys named by the token settings
//!   (`JWT_SECRET_KEY`, or `JWT_PRIVATE_KEY` / `JWT_PUBLIC_KEY`).
//!
//! Keys kept in the store are the next source: encrypted at rest, each
//! with a `kid`, moving through next → current → previous, so the current
//! key signs and the others still verify (and appear in the JWKS) while
//! tokens signed with them live.

mod configured;

pub use configured::ConfiguredKeys;

use tessera::{ConfigError, KeySet};

use crate::boxed::BoxFuture;

/// Why the key material could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeysError {
    /// A configured key is missing, weak or malformed (names the variable).
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A source of the keys tokens are signed and verified with.
pub trait SigningKeys: Send + Sync + std::fmt::Debug {
    /// The keys in force: the set's primary key signs new tokens, and every
    /// key in it verifies presented ones (and is published in the JWKS when
    /// it is asymmetric).
    fn key_set(&self) -> BoxFuture<'_, Result<KeySet, KeysError>>;
}
