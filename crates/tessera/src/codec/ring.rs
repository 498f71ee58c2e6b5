//! The key material a codec and all its clones share, replaceable at run
//! time (key rotation) without a lock on the verification path.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use arc_swap::ArcSwap;

use super::{cache, encode};
use crate::header::Header;
use crate::keys::KeySet;

/// One version of the keys, with what is derived from them.
#[derive(Debug)]
pub(super) struct Material {
    pub(super) keys: Arc<KeySet>,
    /// The exact header segment Tessera writes for each key, so a token
    /// carrying that very segment skips re-parsing it.
    pub(super) known_headers: Vec<(String, Header)>,
    /// Counts replacements; the verified-token caches only take tokens
    /// verified under the generation they were last cleared for.
    pub(super) generation: u64,
}

impl Material {
    fn new(keys: KeySet, generation: u64) -> Material {
        let known_headers = keys
            .keys()
            .iter()
            .map(|key| encode::header_segment(key, None))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_default();
        Material {
            keys: Arc::new(keys),
            known_headers,
            generation,
        }
    }
}

/// The current [`Material`] and the caches that must forget what it
/// verified when it is replaced.
#[derive(Debug)]
pub(super) struct KeyRing {
    material: ArcSwap<Material>,
    /// Every live cache of a codec sharing this ring (codecs built with
    /// another validation policy have their own). Also serialises replacements.
    caches: Mutex<Vec<Weak<cache::VerifiedTokens>>>,
}

impl KeyRing {
    pub(super) fn new(keys: KeySet) -> KeyRing {
        KeyRing {
            material: ArcSwap::from_pointee(Material::new(keys, 0)),
            caches: Mutex::new(Vec::new()),
        }
    }

    /// The material in force (a few nanoseconds; no lock).
    pub(super) fn load(&self) -> arc_swap::Guard<Arc<Material>> {
        self.material.load()
    }

    /// A new cache that forgets its tokens whenever the keys are replaced.
    pub(super) fn new_cache(&self, capacity: usize) -> Arc<cache::VerifiedTokens> {
        let mut caches = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        let cache = Arc::new(cache::VerifiedTokens::new(capacity));
        // Join the current generation, so tokens verified from now on stay.
        cache.clear(self.material.load().generation);
        caches.retain(|weak| weak.strong_count() > 0);
        caches.push(Arc::downgrade(&cache));
        cache
    }

    /// Puts `keys` in force for every codec sharing this ring. The caches
    /// are cleared (and refuse tokens checked with the old keys) before the
    /// new keys are published, so no token verified by a replaced key
    /// answers from memory afterwards.
    pub(super) fn replace(&self, keys: KeySet) {
        let mut caches = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        let generation = self.material.load().generation.wrapping_add(1);
        let material = Arc::new(Material::new(keys, generation));
        caches.retain(|weak| match weak.upgrade() {
            Some(cache) => {
                cache.clear(generation);
                true
            }
            None => false,
        });
        self.material.store(material);
    }
}
