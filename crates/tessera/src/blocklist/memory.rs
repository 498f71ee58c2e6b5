//! An in-memory blocklist whose entries expire with the tokens they revoke.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, PoisonError, RwLock};

use super::{Blocklist, BlocklistQuery};
use crate::claims::Claims;
use crate::clock::{Clock, SystemClock};
use crate::config::MAX_LEEWAY_SECONDS;

/// Revoked `jti`s and session ids, in memory, each kept until the token it
/// revokes has expired (plus the largest allowed leeway, so a verifier with
/// leeway cannot accept it again). Clones share the same set.
///
/// Checking is one read lock and at most two hash lookups.
///
/// ```
/// use tessera::{ManualClock, MemoryBlocklist};
/// let clock = ManualClock::new(1_000);
/// let blocklist = MemoryBlocklist::with_clock(clock.clone());
/// blocklist.revoke_jti("0b7e…", Some(1_900));
/// assert!(blocklist.is_jti_revoked("0b7e…"));
/// clock.set(1_900 + 300);
/// assert!(!blocklist.is_jti_revoked("0b7e…")); // the token itself is long dead
/// ```
#[derive(Clone)]
pub struct MemoryBlocklist {
    entries: Arc<RwLock<Entries>>,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct Entries {
    /// `jti` → Unix time after which the entry can go (`None`: never).
    jtis: HashMap<String, Option<i64>>,
    /// `sid` → the same.
    sessions: HashMap<String, Option<i64>>,
    inserts_since_purge: usize,
}

/// Purge expired entries after this many insertions.
const PURGE_EVERY: usize = 1024;

impl std::fmt::Debug for MemoryBlocklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("MemoryBlocklist")
            .field("jtis", &entries.jtis.len())
            .field("sessions", &entries.sessions.len())
            .finish()
    }
}

impl Default for MemoryBlocklist {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryBlocklist {
    /// An empty blocklist on the system clock.
    pub fn new() -> Self {
        Self::with_clock(SystemClock)
    }

    /// An empty blocklist on `clock`; pass the manager's clock
    /// ([`JwtManager::clock`](crate::JwtManager::clock)) so entries expire
    /// on the same time line as tokens.
    pub fn with_clock(clock: impl Clock + 'static) -> Self {
        Self::with_shared_clock(Arc::new(clock))
    }

    /// As [`with_clock`](Self::with_clock), for an already shared clock.
    pub fn with_shared_clock(clock: Arc<dyn Clock>) -> Self {
        MemoryBlocklist {
            entries: Arc::new(RwLock::new(Entries::default())),
            clock,
        }
    }

    /// Revokes a token by its claims (its `jti`, until its `exp`). Returns
    /// `false` when the token has no `jti` and cannot be revoked alone.
    pub fn revoke<X>(&self, claims: &Claims<X>) -> bool {
        match &claims.jti {
            Some(jti) => {
                self.revoke_jti(jti, claims.exp);
                true
            }
            None => false,
        }
    }

    /// Revokes `jti` until `expires_at` (the token's `exp`; `None`: forever).
    pub fn revoke_jti(&self, jti: &str, expires_at: Option<i64>) {
        self.insert(|entries| &mut entries.jtis, jti, expires_at);
    }

    /// Revokes every token whose `sid` claim is `sid`, until `expires_at`
    /// (the session's last possible token expiry; `None`: forever).
    pub fn revoke_session(&self, sid: &str, expires_at: Option<i64>) {
        self.insert(|entries| &mut entries.sessions, sid, expires_at);
    }

    /// Whether `jti` is revoked now.
    pub fn is_jti_revoked(&self, jti: &str) -> bool {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        self.live(entries.jtis.get(jti))
    }

    /// Whether session `sid` is revoked now.
    pub fn is_session_revoked(&self, sid: &str) -> bool {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        self.live(entries.sessions.get(sid))
    }

    /// Number of entries (expired ones not yet purged included).
    pub fn len(&self) -> usize {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.jtis.len() + entries.sessions.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops entries whose tokens can no longer be accepted.
    pub fn purge_expired(&self) {
        let now = self.clock.now();
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let keep = |until: &mut Option<i64>| until.is_none_or(|until| !expired(until, now));
        entries.jtis.retain(|_, until| keep(until));
        entries.sessions.retain(|_, until| keep(until));
        entries.inserts_since_purge = 0;
    }

    fn insert(
        &self,
        map: fn(&mut Entries) -> &mut HashMap<String, Option<i64>>,
        key: &str,
        until: Option<i64>,
    ) {
        let purge = {
            let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
            let slot = map(&mut entries).entry(key.to_owned()).or_insert(until);
            // Two revocations of one id: keep the longer.
            *slot = match (*slot, until) {
                (Some(old), Some(new)) => Some(old.max(new)),
                _ => None,
            };
            entries.inserts_since_purge += 1;
            entries.inserts_since_purge >= PURGE_EVERY
        };
        if purge {
            self.purge_expired();
        }
    }

    fn live(&self, entry: Option<&Option<i64>>) -> bool {
        match entry {
            None => false,
            Some(None) => true,
            Some(Some(until)) => !expired(*until, self.clock.now()),
        }
    }
}

/// An entry outlives its token by the largest leeway a verifier may use.
fn expired(until: i64, now: i64) -> bool {
    until.saturating_add(MAX_LEEWAY_SECONDS) <= now
}

impl MemoryBlocklist {
    fn holds(&self, query: BlocklistQuery<'_>) -> bool {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        query
            .jti
            .is_some_and(|jti| self.live(entries.jtis.get(jti)))
            || query
                .sid
                .is_some_and(|sid| self.live(entries.sessions.get(sid)))
    }
}

impl Blocklist for MemoryBlocklist {
    /// It never fails.
    type Error = Infallible;

    fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, Infallible>> {
        Some(Ok(self.holds(query)))
    }

    async fn is_revoked(&self, query: BlocklistQuery<'_>) -> Result<bool, Infallible> {
        Ok(self.holds(query))
    }
}
