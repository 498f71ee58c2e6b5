//! Persistence: users, sessions, revocations, signing keys, second factors and the audit trail, in SQLite
//! (the embedded default) or PostgreSQL (for many instances).
//!
//! One [`Store`] serves both backends. Queries are written once, in the SQL
//! both understand (`$1` placeholders, `RETURNING`, `ON CONFLICT`), and run
//! through sqlx's `Any` driver; each backend has its own embedded migrations
//! (`migrations/sqlite`, `migrations/postgres`) so column types stay native.
//! Columns are only `TEXT` and integers (Unix seconds for every timestamp),
//! which is what keeps one query layer honest across the two.
//!
//! The store knows nothing of policy: it does not hash, validate or decide.
//! The [`domain`](crate::domain) does, and is the only intended caller apart
//! from tooling.
//!
//! ```no_run
//! # async fn run() -> Result<(), tessera_server::store::StoreError> {
//! use tessera_server::store::{Store, StoreOptions};
//!
//! // `DATABASE_URL` unset: the SQLite file `tessera.db` in the working directory.
//! let options = StoreOptions::from_database_url(std::env::var("DATABASE_URL").ok().as_deref())?;
//! let store = Store::open(&options).await?;
//! store.ping().await?;
//! # Ok(()) }
//! ```

mod audit;
mod connect;
mod error;
mod group_commit;
mod identities;
mod mfa;
mod outage;
mod passkeys;
pub use outage::OutageCounts;
mod records;
mod revocations;
mod sessions;
mod sign_in_ways;
mod signing_keys;
mod timing;
mod users;

pub use connect::{Backend, DEFAULT_SQLITE_FILE, StoreOptions};
pub use error::StoreError;
pub use identities::{FlowRecord, IdentityRecord, Unlinked};
pub use mfa::{ChallengeRecord, TotpRecord};
pub use passkeys::{CeremonyPurpose, CeremonyRecord, CounterUpdate, PasskeyRecord};
pub use records::{
    AuditFilter, AuditRecord, NewAuditEvent, NewSession, NewUser, RevocationBatch, RevocationKind,
    RevocationRecord, RevokedSession, SessionRecord, UserRecord,
};
pub use sessions::{Revocation, SessionSelector};
pub use signing_keys::{KeyState, RotationOutcome, SigningKeyRecord};
pub use timing::StoreObserver;

use std::sync::Arc;

use sqlx::AnyPool;

/// A handle on the database; cheap to clone (clones share one pool).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// PostgreSQL: the URL again, for connections outside the pool such as
    /// the revocation feed's listener (never printed: `Debug` leaves it out).
    postgres_url: Option<String>,
    /// PostgreSQL: the schema the tables live in, when one was chosen.
    postgres_schema: Option<String>,
    /// Whether an outage is being waited out (shared by the clones).
    outage: Arc<outage::OutageWatch>,
    /// SQLite: the task that commits refresh-token swaps in groups.
    swaps: Option<Arc<group_commit::SwapWriter>>,
    /// Told how long timed calls take (`/metrics`), when set.
    observer: Option<Arc<dyn StoreObserver>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects (creating the SQLite file when missing) and applies any
    /// pending migrations.
    pub async fn open(options: &StoreOptions) -> Result<Self, StoreError> {
        let (pool, backend) = connect::connect(options).await?;
        let store = Store {
            pool,
            backend,
            postgres_url: options.postgres_url().map(str::to_owned),
            postgres_schema: options.schema().map(str::to_owned),
            outage: Arc::default(),
            swaps: None,
            observer: None,
        };
        store.migrate().await?;
        let swaps = (backend == Backend::Sqlite)
            .then(|| Arc::new(group_commit::SwapWriter::spawn(store.pool.clone())));
        Ok(Store { swaps, ..store })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(StoreError::Migration)
    }

    /// A round trip to the database (for readiness checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.timed("ping", sqlx::query("SELECT 1").execute(&self.pool))
            .await?;
        Ok(())
    }

    /// SQLite's `synchronous` level on a pooled connection (2 = `FULL`), for
    /// diagnostics; `None` on PostgreSQL, whose commits are always synced.
    pub async fn sqlite_synchronous(&self) -> Result<Option<i64>, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let row = sqlx::query("PRAGMA synchronous")
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(sqlx::Row::try_get::<i64, _>(&row, 0)?))
    }

    /// Whether a pooled PostgreSQL connection is encrypted (TLS, chosen with
    /// `sslmode` in `DATABASE_URL`); `None` on SQLite, which has no wire.
    pub async fn postgres_tls(&self) -> Result<Option<bool>, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let row = sqlx::query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(sqlx::Row::try_get::<bool, _>(&row, 0)?))
    }

    /// Waits for open connections to finish and closes them.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// SQLite: the group-commit writer for refresh-token swaps.
    fn swap_writer(&self) -> Option<&group_commit::SwapWriter> {
        self.swaps.as_deref()
    }

    /// PostgreSQL: the database URL, for a connection of one's own.
    pub(crate) fn postgres_url(&self) -> Option<&str> {
        self.postgres_url.as_deref()
    }

    /// PostgreSQL: the schema chosen in the options, if any.
    pub(crate) fn postgres_schema(&self) -> Option<&str> {
        self.postgres_schema.as_deref()
    }
}
