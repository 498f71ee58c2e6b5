//! The revocation feed between instances sharing one PostgreSQL database:
//! `NOTIFY` on a channel after every revocation, `LISTEN` on it to resync.
//!
//! The notification carries no payload (see [`crate::fanout`]); it runs on
//! the store's own pool, and each subscription holds one dedicated
//! connection (sqlx's `PgListener`, which reconnects by itself and then
//! reports the reconnect as a change).

use sqlx::AnyPool;
use sqlx::postgres::PgListener;

use super::{FeedError, RevocationFeed, Subscription};
use crate::boxed::BoxFuture;
use crate::store::{Backend, Store};

/// The feed's name in errors.
const FEED: &str = "postgres";

/// The channel name: one per schema, so deployments (and test runs) sharing
/// a database do not wake each other. Cut to PostgreSQL's 63-byte limit
/// for identifiers (schema names are plain ASCII).
fn channel(schema: Option<&str>) -> String {
    let mut name = match schema {
        Some(schema) => format!("tessera_revoked_{schema}"),
        None => "tessera_revoked".to_owned(),
    };
    name.truncate(63);
    name
}

/// `LISTEN`/`NOTIFY` on the store's PostgreSQL database.
#[derive(Clone)]
pub struct PgNotifyFeed {
    pool: AnyPool,
    /// For the listener's own connection (never printed: `Debug` leaves
    /// it out, it may hold a password).
    url: String,
    channel: String,
}

impl std::fmt::Debug for PgNotifyFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgNotifyFeed")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl PgNotifyFeed {
    /// The feed of `store`'s database; `None` unless it is PostgreSQL.
    pub fn for_store(store: &Store) -> Option<Self> {
        if store.backend() != Backend::Postgres {
            return None;
        }
        Some(PgNotifyFeed {
            pool: store.pool().clone(),
            url: store.postgres_url()?.to_owned(),
            channel: channel(store.postgres_schema()),
        })
    }
}

impl RevocationFeed for PgNotifyFeed {
    fn announce(&self) -> BoxFuture<'_, Result<(), FeedError>> {
        Box::pin(async move {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(&self.channel)
                .execute(&self.pool)
                .await
                .map_err(|err| FeedError::new(FEED, "announcing", err))?;
            Ok(())
        })
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Option<Box<dyn Subscription>>, FeedError>> {
        Box::pin(async move {
            let listening = |err| FeedError::new(FEED, "listening", err);
            let mut listener = PgListener::connect(&self.url).await.map_err(listening)?;
            listener.listen(&self.channel).await.map_err(listening)?;
            Ok(Some(
                Box::new(PgSubscription { listener }) as Box<dyn Subscription>
            ))
        })
    }
}

/// One `LISTEN` connection.
struct PgSubscription {
    listener: PgListener,
}

impl std::fmt::Debug for PgSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSubscription").finish_non_exhaustive()
    }
}

impl Subscription for PgSubscription {
    fn changed(&mut self) -> BoxFuture<'_, Result<(), FeedError>> {
        Box::pin(async move {
            // `try_recv` answers `None` after a reconnect: a change too,
            // since notifications sent meanwhile are lost.
            self.listener
                .try_recv()
                .await
                .map(|_| ())
                .map_err(|err| FeedError::new(FEED, "listening", err))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::channel;

    #[test]
    fn each_schema_has_its_own_channel_within_the_identifier_limit() {
        assert_eq!(channel(None), "tessera_revoked");
        assert_eq!(channel(Some("t1")), "tessera_revoked_t1");
        assert_eq!(channel(Some(&"s".repeat(100))).len(), 63);
    }
}
