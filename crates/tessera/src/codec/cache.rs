//! Tokens that already passed verification, so a client presenting the same
//! token on every request pays for one signature check, not one per request.
//!
//! Sound because a compact JWS is immutable: its signature, header and claim
//! types verify the same way every time under the same keys and policy. What
//! can change — the time rules and the type a route expects — is checked again
//! on every hit (see `claims_check::recheck`); revocation is the caller's, on
//! every request, as before. Only verified tokens enter, keyed by their exact
//! text, so an attacker cannot place anything here without a valid signature,
//! and the size is bounded. For the same reason the map uses a fast seeded
//! hash rather than SipHash: flooding it with colliding keys would take
//! valid signatures, and lookups of unknown keys insert nothing.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use foldhash::fast::RandomState;

use super::Token;

/// Default number of tokens remembered.
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;

/// A bounded map from token text to its verified form.
///
/// Entries are found by the signature segment (short, and as good as random,
/// so hashing it is cheap) and then confirmed by comparing the whole token.
#[derive(Debug)]
pub(super) struct VerifiedTokens {
    capacity: usize,
    map: RwLock<Entries>,
}

/// The map, and the key generation its entries were verified under: an
/// insert from another generation (a verification that raced a key swap)
/// is dropped, so nothing verified by a replaced key set outlives the swap.
#[derive(Debug, Default)]
struct Entries {
    generation: u64,
    tokens: HashMap<Box<str>, Entry, RandomState>,
}

#[derive(Debug)]
struct Entry {
    token: Box<str>,
    verified: Arc<Token>,
}

/// The part of a token the map is keyed by: its signature segment.
fn signature(token: &str) -> &str {
    token
        .rsplit_once('.')
        .map_or(token, |(_, signature)| signature)
}

impl VerifiedTokens {
    pub(super) fn new(capacity: usize) -> Self {
        VerifiedTokens {
            capacity,
            map: RwLock::new(Entries::default()),
        }
    }

    pub(super) fn get(&self, token: &str) -> Option<Arc<Token>> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        map.tokens
            .get(signature(token))
            .filter(|entry| &*entry.token == token)
            .map(|entry| Arc::clone(&entry.verified))
    }

    /// Forgets every token and from now on only takes tokens verified under
    /// key `generation` (called when the keys are replaced).
    pub(super) fn clear(&self, generation: u64) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        map.generation = generation;
        map.tokens.clear();
    }

    /// Remembers `verified`, checked with the keys of `generation` (dropped
    /// when the keys have been replaced since); when full, first forgets
    /// expired tokens, then everything (a crude but constant-memory policy:
    /// a miss only costs one ordinary verification).
    pub(super) fn insert(&self, token: &str, verified: Arc<Token>, now: i64, generation: u64) {
        let mut guard = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if guard.generation != generation {
            return;
        }
        let map = &mut guard.tokens;
        if map.len() >= self.capacity {
            map.retain(|_, entry| entry.verified.claims.exp.is_none_or(|exp| exp > now));
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(
            signature(token).into(),
            Entry {
                token: token.into(),
                verified,
            },
        );
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .tokens
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{Claims, TokenType};
    use crate::header::Header;

    fn token(exp: i64) -> Arc<Token> {
        Arc::new(Token {
            header: Header {
                alg: crate::Algorithm::HS256,
                typ: None,
                kid: None,
                other: serde_json::Map::new(),
            },
            claims: Claims::new(
                "42",
                TokenType::Access,
                0,
                Some(exp),
                crate::ExtraClaims::new(),
            ),
        })
    }

    #[test]
    fn a_full_cache_forgets_expired_tokens_first() {
        let cache = VerifiedTokens::new(2);
        cache.insert("old", token(10), 0, 0);
        cache.insert("live", token(1_000), 0, 0);
        cache.insert("new", token(1_000), 500, 0);
        assert!(cache.get("old").is_none());
        assert!(cache.get("live").is_some());
        assert!(cache.get("new").is_some());
    }

    #[test]
    fn a_cache_full_of_live_tokens_starts_over_rather_than_grow() {
        let cache = VerifiedTokens::new(2);
        cache.insert("a", token(1_000), 0, 0);
        cache.insert("b", token(1_000), 0, 0);
        cache.insert("c", token(1_000), 0, 0);
        assert_eq!(cache.len(), 1);
        assert!(cache.get("c").is_some());
    }

    #[test]
    fn clearing_forgets_everything_and_refuses_older_generations() {
        let cache = VerifiedTokens::new(8);
        cache.insert("a", token(1_000), 0, 0);
        cache.clear(1);
        assert!(cache.get("a").is_none());
        // A verification that started under the old keys finishes late:
        cache.insert("b", token(1_000), 0, 0);
        assert!(cache.get("b").is_none());
        cache.insert("c", token(1_000), 0, 1);
        assert!(cache.get("c").is_some());
    }
}
