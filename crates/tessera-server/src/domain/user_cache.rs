//! The users `GET /auth/me` shows, kept in memory so that the common read
//! does not go to the store.
//!
//! Freshness comes from a *generation*: every change to any user made by
//! this instance, every announcement on the feed (another instance changed
//! something) and every periodic resync empties the cache and moves the
//! generation on. A reader notes the generation before it reads the store
//! and keeps what it read only if the generation is still the same, under
//! the same lock as the emptying. So a read that began before a change was
//! committed (and may have seen the old row) is never kept once the cache
//! has been emptied for that change, and everything read after the emptying
//! began after the commit. An entry therefore lives at most until the next
//! change, announcement or periodic resync, which is the same bound the
//! revoked set has: a lost announcement is covered by the resync, exactly
//! as for revocations.
//!
//! Why a plain map with a cap rather than a cache crate: the check "still
//! the same generation" and the insert must happen under the lock that the
//! emptying takes, which concurrent cache crates do not offer; and as the
//! whole cache is emptied at least every resync period, an eviction policy
//! (LRU and the like) would buy little. When the cap is reached the map is
//! emptied too; refilling costs one store read per active user.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::model::User;

/// Most users kept (a few hundred bytes each).
pub(crate) const USER_CACHE_CAPACITY: usize = 100_000;

/// What a look-up found: the user, or the generation to insert under.
pub(crate) enum Lookup {
    /// Cached.
    Hit(Arc<User>),
    /// Not cached; read the store, then [`UserCache::insert`] with this.
    Miss(Generation),
}

/// A snapshot of the cache's generation, taken before a store read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generation(u64);

/// Users by id, emptied on every change (see the module docs).
#[derive(Debug)]
pub(crate) struct UserCache {
    state: RwLock<State>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    generation: u64,
    users: HashMap<String, Arc<User>>,
}

impl UserCache {
    /// An empty cache holding at most `capacity` users.
    pub(crate) fn new(capacity: usize) -> Self {
        UserCache {
            state: RwLock::new(State::default()),
            capacity: capacity.max(1),
        }
    }

    /// The cached user, or the generation to read the store under.
    pub(crate) fn get(&self, id: &str) -> Lookup {
        let state = self
            .state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match state.users.get(id) {
            Some(user) => Lookup::Hit(Arc::clone(user)),
            None => Lookup::Miss(Generation(state.generation)),
        }
    }

    /// Keeps `user`, read from the store after `generation` was taken,
    /// unless the cache was emptied since (then the read may be stale).
    pub(crate) fn insert(&self, generation: Generation, user: Arc<User>) {
        let mut state = self
            .state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.generation != generation.0 {
            return;
        }
        if state.users.len() >= self.capacity && !state.users.contains_key(&user.id) {
            state.users.clear();
        }
        state.users.insert(user.id.clone(), user);
    }

    /// Forgets every user and moves the generation on, so that no read
    /// begun before now is kept.
    pub(crate) fn invalidate(&self) {
        let mut state = self
            .state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.generation = state.generation.wrapping_add(1);
        state.users.clear();
    }

    /// How many users are cached.
    pub(crate) fn len(&self) -> usize {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .users
            .len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn user(id: &str, name: &str) -> Arc<User> {
        Arc::new(User {
            id: id.to_owned(),
            username: name.to_owned(),
            email: None,
            roles: Vec::new(),
            disabled: false,
            created_at: 0,
            updated_at: 0,
        })
    }

    fn miss(cache: &UserCache, id: &str) -> Generation {
        match cache.get(id) {
            Lookup::Miss(generation) => generation,
            Lookup::Hit(user) => panic!("{id} cached as {user:?}"),
        }
    }

    #[test]
    fn a_read_begun_before_an_invalidation_is_not_kept() {
        let cache = UserCache::new(10);
        let before = miss(&cache, "u1");
        cache.invalidate();
        cache.insert(before, user("u1", "old"));
        let after = miss(&cache, "u1");
        cache.insert(after, user("u1", "new"));
        match cache.get("u1") {
            Lookup::Hit(user) => assert_eq!(user.username, "new"),
            Lookup::Miss(_) => panic!("a read after the invalidation is kept"),
        }
        cache.invalidate();
        miss(&cache, "u1");
    }

    #[test]
    fn the_cap_holds() {
        let cache = UserCache::new(3);
        for i in 0..10 {
            let id = format!("u{i}");
            let generation = miss(&cache, &id);
            cache.insert(generation, user(&id, "x"));
            assert!(cache.len() <= 3);
        }
        assert!(matches!(cache.get("u9"), Lookup::Hit(_)));
    }
}
