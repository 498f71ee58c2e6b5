//! The in-memory set of revoked session ids and access-token `jti`s that
//! every protected request consults — no database query on the hot path.
//!
//! It is loaded from the store's `revocations` table at start (only entries
//! still in force), updated by every revocation this process makes, and can
//! be re-synchronised from the store (other instances' revocations).
//! Each entry remembers until when a token could still name it; past that it
//! is dropped by [`RevokedSet::prune`].

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use foldhash::fast::RandomState;

use crate::store::{RevocationBatch, RevocationKind, Store, StoreError};

/// Revoked session ids and access-token ids, each with the time after which
/// no token can carry it any more.
#[derive(Debug, Default)]
pub struct RevokedSet {
    inner: RwLock<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    // Keys are ids this service generated, so a fast seeded hash is safe.
    sessions: HashMap<String, i64, RandomState>,
    access: HashMap<String, i64, RandomState>,
    /// The store position of the last entry read, for incremental resyncs
    /// (a database-assigned number, never a clock: instances' clocks differ).
    read_through: Option<i64>,
}

impl RevokedSet {
    /// An empty set.
    pub fn new() -> Self {
        RevokedSet::default()
    }

    /// The entries of `store` still in force at `now`.
    pub async fn load(store: &Store, now: i64) -> Result<Self, StoreError> {
        let set = RevokedSet::new();
        set.sync(store, now).await?;
        Ok(set)
    }

    /// Whether a token with session id `sid` (if it has one) and id `jti` is
    /// revoked. Synchronous and allocation-free: one read lock, two look-ups.
    pub fn is_revoked(&self, sid: Option<&str>, jti: &str) -> bool {
        let entries = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        sid.is_some_and(|sid| entries.sessions.contains_key(sid))
            || entries.access.contains_key(jti)
    }

    /// Whether this session id is revoked.
    pub fn is_session_revoked(&self, sid: &str) -> bool {
        let entries = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        entries.sessions.contains_key(sid)
    }

    /// Adds an entry kept until `expires_at`.
    pub fn insert(&self, kind: RevocationKind, id: impl Into<String>, expires_at: i64) {
        let mut entries = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let map = match kind {
            RevocationKind::Session => &mut entries.sessions,
            RevocationKind::Access => &mut entries.access,
        };
        let slot = map.entry(id.into()).or_insert(expires_at);
        *slot = (*slot).max(expires_at);
    }

    /// Drops entries whose tokens have all expired by `now`; how many went.
    pub fn prune(&self, now: i64) -> usize {
        let mut entries = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let before = entries.sessions.len() + entries.access.len();
        entries.sessions.retain(|_, expires_at| *expires_at > now);
        entries.access.retain(|_, expires_at| *expires_at > now);
        before - entries.sessions.len() - entries.access.len()
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        let entries = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        entries.sessions.len() + entries.access.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds what the store recorded since the last sync (everything on the
    /// first), then prunes. Other instances' revocations arrive this way;
    /// call it periodically or on a change notification.
    pub async fn sync(&self, store: &Store, now: i64) -> Result<usize, StoreError> {
        let after = {
            let entries = self.inner.read().unwrap_or_else(PoisonError::into_inner);
            entries.read_through
        };
        let batch = store.revocations(now, after).await?;
        let count = batch.records.len();
        self.absorb(batch);
        self.prune(now);
        Ok(count)
    }

    fn absorb(&self, batch: RevocationBatch) {
        let mut entries = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        // Two syncs may overlap; keep the further one.
        entries.read_through = entries.read_through.max(batch.last_position);
        for record in batch.records {
            let map = match record.kind {
                RevocationKind::Session => &mut entries.sessions,
                RevocationKind::Access => &mut entries.access,
            };
            let slot = map.entry(record.token_id).or_insert(record.expires_at);
            *slot = (*slot).max(record.expires_at);
        }
    }
}
