//! The revocation feed through Redis pub/sub: `PUBLISH` on the
//! deployment's channel after every revocation, a dedicated `SUBSCRIBE`
//! connection per instance to hear it.
//!
//! Like `NOTIFY`, a message carries nothing (see [`crate::fanout`]). Pub/sub
//! keeps nothing for a subscriber that is away, so a subscription that has
//! just (re)connected reports a change at once and the caller resyncs.

use std::time::Duration;

use ::redis::aio::PubSub;
use futures_util::StreamExt as _;
use tokio::time::Instant;

use super::{FeedError, RevocationFeed, Subscription};
use crate::boxed::BoxFuture;
use crate::redis::RedisLink;

/// The feed's name in errors.
const FEED: &str = "redis";
/// The channel, under the deployment's prefix.
const CHANNEL: &str = "revoked";
/// How long connecting and subscribing may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The first wait after a failed connection; doubled on each failure.
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// The longest wait between connection attempts.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// Publishes and subscribes on `{prefix}revoked`.
#[derive(Debug, Clone)]
pub struct RedisFeed {
    link: RedisLink,
    channel: String,
}

impl RedisFeed {
    /// The feed on `link`'s Redis, on this deployment's channel.
    pub fn new(link: RedisLink) -> Self {
        let channel = link.key(CHANNEL);
        RedisFeed { link, channel }
    }
}

impl RevocationFeed for RedisFeed {
    fn announce(&self) -> BoxFuture<'_, Result<(), FeedError>> {
        Box::pin(async move {
            // While Redis is known to be down, do not wait for a timeout:
            // the probe says when it is back.
            if !self.link.is_up() {
                return Err(FeedError::new(FEED, "announcing", "Redis is down"));
            }
            let mut commands = self.link.commands();
            let mut publish = ::redis::cmd("PUBLISH");
            publish.arg(&self.channel).arg("");
            self.link
                .run(publish.query_async::<i64>(&mut commands))
                .await
                .map(|_| ())
                .map_err(|err| FeedError::new(FEED, "announcing", err))
        })
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Option<Box<dyn Subscription>>, FeedError>> {
        // Connecting waits for the first `changed`, so that a Redis that is
        // down at start (or later) never stops the other feeds.
        let subscription = RedisSubscription {
            link: self.link.clone(),
            channel: self.channel.clone(),
            pubsub: None,
            failures: 0,
            retry_at: None,
        };
        Box::pin(std::future::ready(Ok(Some(
            Box::new(subscription) as Box<dyn Subscription>
        ))))
    }
}

/// One instance's `SUBSCRIBE` connection, reconnecting with back-off.
/// Cancel-safe: its state lives in the struct, so a `changed` dropped
/// half-way (by a `select!`) resumes where it was.
struct RedisSubscription {
    link: RedisLink,
    channel: String,
    pubsub: Option<PubSub>,
    /// Failed connection attempts in a row.
    failures: u32,
    /// When the next attempt may start.
    retry_at: Option<Instant>,
}

impl std::fmt::Debug for RedisSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSubscription")
            .field("channel", &self.channel)
            .field("connected", &self.pubsub.is_some())
            .finish_non_exhaustive()
    }
}

impl RedisSubscription {
    /// Opens the connection and subscribes.
    async fn connect(&self) -> Result<PubSub, ::redis::RedisError> {
        let mut pubsub = self.link.client().get_async_pubsub().await?;
        pubsub.subscribe(&self.channel).await?;
        Ok(pubsub)
    }
}

impl Subscription for RedisSubscription {
    fn changed(&mut self) -> BoxFuture<'_, Result<(), FeedError>> {
        Box::pin(async move {
            loop {
                if let Some(pubsub) = &mut self.pubsub {
                    if pubsub.on_message().next().await.is_some() {
                        return Ok(());
                    }
                    // The connection ended: reconnect at once.
                    self.pubsub = None;
                    self.retry_at = None;
                    continue;
                }
                if let Some(at) = self.retry_at {
                    tokio::time::sleep_until(at).await;
                }
                let connected = match tokio::time::timeout(CONNECT_TIMEOUT, self.connect()).await {
                    Ok(connected) => connected,
                    Err(_) => Err(::redis::RedisError::from((
                        ::redis::ErrorKind::Io,
                        "no answer in time",
                    ))),
                };
                // The health follows the command connection only (the probe
                // and the limits): this one reconnects on its own schedule.
                match connected {
                    Ok(pubsub) => {
                        self.pubsub = Some(pubsub);
                        self.failures = 0;
                        self.retry_at = None;
                        // Anything published while away is lost: resync.
                        return Ok(());
                    }
                    Err(_) => {
                        self.failures = self.failures.saturating_add(1);
                        self.retry_at = Some(Instant::now() + retry_delay(self.failures));
                    }
                }
            }
        })
    }
}

/// The wait after `failures` failed attempts in a row: doubling from
/// [`FIRST_RETRY`] up to [`MAX_RETRY`].
fn retry_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_a_ceiling() {
        assert_eq!(retry_delay(1), Duration::from_millis(100));
        assert_eq!(retry_delay(2), Duration::from_millis(200));
        assert_eq!(retry_delay(5), Duration::from_millis(1600));
        assert_eq!(retry_delay(9), MAX_RETRY);
        assert_eq!(retry_delay(u32::MAX), MAX_RETRY);
    }
}
