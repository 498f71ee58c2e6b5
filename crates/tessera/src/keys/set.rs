//! A set of keys looked up by `kid`, one of which signs.

use super::{Jwk, JwkSet, Key};
use crate::error::{KeyError, TokenError};

/// Longest `kid` looked up; anything longer cannot name a key of ours.
const MAX_KID_LEN: usize = 256;

/// The keys a service signs and verifies with.
///
/// One key is the *primary*: it signs new tokens and verifies tokens that
/// carry no `kid` (as Flask-JWT-Extended's do). Further keys only verify,
/// which is how rotation works: add the new key as primary, keep the old
/// one until its tokens have expired.
///
/// A `kid` is only ever a lookup key into this in-memory list: it is never
/// a path, a query or a URL (RFC 8725 §3.10).
///
/// ```
/// use tessera::{Algorithm, Key, KeySet};
/// let old = Key::hmac(Algorithm::HS256, b"old-9f8e7d6c5b4a39281706f5e4d3c2b1a0")?.with_kid("2025");
/// let new = Key::hmac(Algorithm::HS256, b"new-0a1b2c3d4e5f60718293a4b5c6d7e8f9")?.with_kid("2026");
/// let keys = KeySet::new(new).with_verification_key(old)?;
/// assert_eq!(keys.primary().kid(), Some("2026"));
/// assert!(keys.find(Some("2025")).is_ok());
/// # Ok::<(), tessera::KeyError>(())
/// ```
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    /// A key set whose primary (signing) key is `primary`.
    pub fn new(primary: Key) -> KeySet {
        KeySet {
            keys: vec![primary],
        }
    }

    /// Adds a key that verifies but does not sign. Its `kid` must be unique.
    pub fn with_verification_key(mut self, key: Key) -> Result<KeySet, KeyError> {
        if self.keys.iter().any(|known| known.kid() == key.kid()) {
            return Err(KeyError::DuplicateKeyId(
                key.kid().unwrap_or("(none)").to_owned(),
            ));
        }
        self.keys.push(key);
        Ok(self)
    }

    /// The key that signs new tokens.
    pub fn primary(&self) -> &Key {
        &self.keys[0]
    }

    /// Every key, primary first.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The key a token's header points at: by `kid` when it has one,
    /// otherwise the primary key.
    pub fn find(&self, kid: Option<&str>) -> Result<&Key, TokenError> {
        match kid {
            None => Ok(self.primary()),
            Some(kid) if kid.is_empty() || kid.len() > MAX_KID_LEN => Err(TokenError::UnknownKeyId),
            Some(kid) => self
                .keys
                .iter()
                .find(|key| key.kid() == Some(kid))
                .ok_or(TokenError::UnknownKeyId),
        }
    }

    /// The public keys as a JWK Set. HMAC keys are never included.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .keys
                .iter()
                .filter_map(Key::public_jwk)
                .collect::<Vec<Jwk>>(),
        }
    }
}
