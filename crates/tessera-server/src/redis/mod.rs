//! The connection to Redis (`REDIS_URL`), shared by the revocation feed
//! ([`crate::fanout::RedisFeed`]) and the rate-limit stores
//! ([`crate::limits::RedisLimiter`]).
//!
//! Commands go through one [`ConnectionManager`] (multiplexed, reconnecting
//! with back-off); each feed subscription opens its own pub/sub
//! connection. A probe pings every second, so [`RedisLink::is_up`] follows
//! an outage and its end even when no request is made, with one log line
//! each way ([`RedisHealth`]). Redis being down never fails a request: the
//! users of the link fall back (to each instance's memory, to the resync).
//!
//! `rediss://` URLs connect over TLS with rustls on the aws-lc-rs provider,
//! checking the server against the system's trust store (which
//! `SSL_CERT_FILE` replaces, for a private CA).

mod health;

pub use health::{RedisHealth, RedisObserver};

use std::sync::{Arc, Weak};
use std::time::Duration;

use ::redis::aio::ConnectionManager;
use ::redis::aio::ConnectionManagerConfig;
use ::redis::{Client, RedisError};

/// How often the probe pings.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long one command (or a connection attempt) may take before Redis
/// counts as down for it: a request waits at most about this long before
/// its fallback.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);
/// Key and channel prefix when `TESSERA_REDIS_PREFIX` is unset.
pub const DEFAULT_PREFIX: &str = "tessera:";

/// `REDIS_URL` could not be used (the URL itself is wrong; an unreachable
/// server is not an error, see the module docs).
#[derive(Debug, thiserror::Error)]
#[error("REDIS_URL: {0}")]
pub struct RedisUrlError(String);

/// One deployment's Redis: the command connection, its health and the
/// prefix every key and channel of this deployment starts with. Cheap to
/// clone.
#[derive(Clone)]
pub struct RedisLink {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    commands: ConnectionManager,
    health: RedisHealth,
    prefix: String,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never printed.
        f.debug_struct("RedisLink")
            .field("prefix", &self.inner.prefix)
            .field("up", &self.inner.health.is_up())
            .finish_non_exhaustive()
    }
}

impl RedisLink {
    /// Opens the link to `url` (`redis://` or `rediss://`) for keys under
    /// `prefix`, pings once (so the first log line and [`Self::is_up`] say
    /// where things stand) and starts the probe. Only a malformed URL is an
    /// error: a Redis that does not answer yet is retried in the background.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, RedisUrlError> {
        Self::connect_with(url, prefix, RedisHealth::new()).await
    }

    /// As [`Self::connect`], reporting whether Redis answers and how long
    /// commands take to `observer` (the server's `/metrics`).
    pub async fn connect_observed(
        url: &str,
        prefix: &str,
        observer: Arc<dyn RedisObserver>,
    ) -> Result<Self, RedisUrlError> {
        Self::connect_with(url, prefix, RedisHealth::observed_by(observer)).await
    }

    async fn connect_with(
        url: &str,
        prefix: &str,
        health: RedisHealth,
    ) -> Result<Self, RedisUrlError> {
        let client = Client::open(url).map_err(|err| RedisUrlError(describe(&err)))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let commands = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|err| RedisUrlError(describe(&err)))?;
        let link = RedisLink {
            inner: Arc::new(Inner {
                client,
                commands,
                health,
                prefix: prefix.to_owned(),
            }),
        };
        link.probe().await;
        spawn_probe(Arc::downgrade(&link.inner));
        Ok(link)
    }

    /// Whether Redis answered the last command or probe.
    pub fn is_up(&self) -> bool {
        self.inner.health.is_up()
    }

    /// The shared up/down state (for `/metrics`).
    pub fn health(&self) -> &RedisHealth {
        &self.inner.health
    }

    /// `name` under this deployment's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.inner.prefix)
    }

    /// A handle on the command connection (clones share it).
    pub fn commands(&self) -> ConnectionManager {
        self.inner.commands.clone()
    }

    /// The client, for dedicated (pub/sub) connections.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Records a command's outcome in the health: a success marks Redis up,
    /// a failure down (logged once per outage). Hands the result back.
    pub fn observe<T>(&self, result: Result<T, RedisError>) -> Result<T, RedisError> {
        match &result {
            Ok(_) => self.inner.health.mark_up(),
            Err(err) => self.inner.health.mark_down(err),
        }
        result
    }

    /// Runs one command, timing it for the observer, and records its
    /// outcome as [`Self::observe`] does.
    pub async fn run<T>(
        &self,
        command: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, RedisError> {
        let started = std::time::Instant::now();
        let result = command.await;
        self.inner.health.command_took(started.elapsed());
        self.observe(result)
    }

    /// Pings once, with the command timeout, and records the outcome.
    pub async fn probe(&self) -> bool {
        probe(&self.inner).await
    }
}

async fn probe(inner: &Inner) -> bool {
    let mut commands = inner.commands.clone();
    let command = ::redis::cmd("PING");
    let ping = command.query_async::<String>(&mut commands);
    match tokio::time::timeout(COMMAND_TIMEOUT * 2, ping).await {
        Ok(Ok(_)) => {
            inner.health.mark_up();
            true
        }
        Ok(Err(err)) => {
            inner.health.mark_down(&err);
            false
        }
        Err(_) => {
            inner.health.mark_down(&"no answer to PING in time");
            false
        }
    }
}

/// Pings every [`PROBE_EVERY`] until the link is dropped.
fn spawn_probe(inner: Weak<Inner>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PROBE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            let Some(inner) = inner.upgrade() else { return };
            probe(&inner).await;
        }
    });
}

/// A Redis error as one line (its kind and detail; never the URL).
fn describe(err: &RedisError) -> String {
    err.to_string().replace('\n', " ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_malformed_url_is_one_line_naming_the_variable() {
        let err = RedisLink::connect("http://example.com", DEFAULT_PREFIX)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("REDIS_URL: "), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[tokio::test]
    async fn tls_urls_are_understood_and_an_absent_server_is_only_down() {
        // Port 1 on loopback: nothing listens, the connection is refused.
        for url in ["rediss://127.0.0.1:1/", "redis://127.0.0.1:1/"] {
            let link = RedisLink::connect(url, "t:").await.unwrap();
            assert!(!link.is_up(), "{url}");
            assert_eq!(link.health().gauge(), 0);
            assert_eq!(link.key("limit:ip:x"), "t:limit:ip:x");
        }
    }
}
