//! Two feeds as one: announce on both, wake on either. With `REDIS_URL` on
//! PostgreSQL, Redis pub/sub and `NOTIFY` run side by side, so a Redis
//! outage leaves `NOTIFY` carrying the announcements (and the periodic
//! resync behind both). A revocation then wakes an instance twice; the
//! second resync finds nothing new.

use std::sync::Arc;

use super::{FeedError, RevocationFeed, Subscription};
use crate::boxed::BoxFuture;

/// Announces on `first` and `second`; hears both.
#[derive(Debug, Clone)]
pub struct BothFeeds {
    first: Arc<dyn RevocationFeed>,
    second: Arc<dyn RevocationFeed>,
}

impl BothFeeds {
    /// The pair.
    pub fn new(first: Arc<dyn RevocationFeed>, second: Arc<dyn RevocationFeed>) -> Self {
        BothFeeds { first, second }
    }
}

impl RevocationFeed for BothFeeds {
    /// Succeeds when either feed carried the announcement; else the first
    /// feed's error.
    fn announce(&self) -> BoxFuture<'_, Result<(), FeedError>> {
        Box::pin(async move {
            match tokio::join!(self.first.announce(), self.second.announce()) {
                (Err(err), Err(_)) => Err(err),
                _ => Ok(()),
            }
        })
    }

    /// Subscribes to both; fails when either does (the caller retries).
    fn subscribe(&self) -> BoxFuture<'_, Result<Option<Box<dyn Subscription>>, FeedError>> {
        Box::pin(async move {
            let first = self.first.subscribe().await?;
            let second = self.second.subscribe().await?;
            Ok(match (first, second) {
                (Some(first), Some(second)) => {
                    Some(Box::new(EitherSubscription { first, second }) as Box<dyn Subscription>)
                }
                (one, other) => one.or(other),
            })
        })
    }
}

/// Wakes when either subscription does.
#[derive(Debug)]
struct EitherSubscription {
    first: Box<dyn Subscription>,
    second: Box<dyn Subscription>,
}

impl Subscription for EitherSubscription {
    fn changed(&mut self) -> BoxFuture<'_, Result<(), FeedError>> {
        Box::pin(async move {
            // Both subscriptions are cancel-safe: the one that loses the
            // race keeps its connection for the next call.
            tokio::select! {
                changed = self.first.changed() => changed,
                changed = self.second.changed() => changed,
            }
        })
    }
}
