//! The revocation feed: how one instance tells the others "revocations
//! changed, look again", so a logout on one is enforced by all within
//! moments instead of at the next periodic resync.
//!
//! The feed carries no data. An announcement only says "resync now" (a
//! revocation was recorded, or a user changed, so user caches are emptied);
//! the revocations themselves are always read from the store
//! ([`AuthService::sync_revocations`](crate::domain::AuthService::sync_revocations)).
//! So a lost, duplicated or forged announcement costs at most an extra or a
//! later resync, and the periodic resync stays the backstop for anything a
//! feed misses.
//!
//! [`RevocationFeed`] is the seam; the start-up code picks one
//! implementation ([`crate::app::revocation_feed`]) and the domain only ever
//! sees the trait:
//! - [`PgNotifyFeed`]: PostgreSQL `LISTEN`/`NOTIFY` on the store's own
//!   database, for instances sharing it;
//! - [`RedisFeed`]: Redis pub/sub (`REDIS_URL`), whose subscription wakes
//!   on a message or a reconnect;
//! - [`BothFeeds`]: two of them at once (Redis and `NOTIFY` on PostgreSQL,
//!   so either carries the announcements while the other is down);
//! - [`NoFeed`]: one process (SQLite), nobody else to tell.

mod both;
mod postgres;
mod redis;

pub use both::BothFeeds;
pub use postgres::PgNotifyFeed;
pub use redis::RedisFeed;

use crate::boxed::BoxFuture;

/// Why a feed could not announce or listen. The feed's own error (a
/// database or Redis error, say) is kept as the source.
#[derive(Debug, thiserror::Error)]
#[error("revocation feed ({feed}): {action}: {source}")]
pub struct FeedError {
    feed: &'static str,
    action: &'static str,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl FeedError {
    /// `feed` (e.g. `"postgres"`) failed while doing `action` (e.g.
    /// `"listening"`) because of `source`.
    pub fn new(
        feed: &'static str,
        action: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        FeedError {
            feed,
            action,
            source: source.into(),
        }
    }

    /// Which feed failed.
    pub fn feed(&self) -> &'static str {
        self.feed
    }
}

/// Tells other instances that revocations changed, and hears when they did.
pub trait RevocationFeed: Send + Sync + std::fmt::Debug {
    /// Tells every subscriber (this instance's too) to resync. Called once
    /// a revocation is committed, so a woken instance can read it. A failure
    /// is the caller's to log: the revocation itself is stored, and the
    /// others' periodic resync will find it.
    fn announce(&self) -> BoxFuture<'_, Result<(), FeedError>>;

    /// Starts hearing announcements; `None` when there is nobody else to
    /// hear from (one process).
    fn subscribe(&self) -> BoxFuture<'_, Result<Option<Box<dyn Subscription>>, FeedError>>;
}

/// One instance's ear on the feed.
pub trait Subscription: Send + std::fmt::Debug {
    /// Waits until revocations may have changed: an announcement arrived, or
    /// the connection dropped and was re-established. Announcements sent
    /// while it was away are lost, so the caller must resync either way.
    /// An error means the subscription is gone; subscribe again.
    fn changed(&mut self) -> BoxFuture<'_, Result<(), FeedError>>;
}

/// The feed of a single process: nothing to announce to, nothing to hear.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFeed;

impl RevocationFeed for NoFeed {
    fn announce(&self) -> BoxFuture<'_, Result<(), FeedError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Option<Box<dyn Subscription>>, FeedError>> {
        Box::pin(std::future::ready(Ok(None)))
    }
}
