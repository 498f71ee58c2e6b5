//! Choosing and opening the database: SQLite file or PostgreSQL URL.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

use super::error::StoreError;

/// The SQLite file used when `DATABASE_URL` is not set.
pub const DEFAULT_SQLITE_FILE: &str = "tessera.db";

/// How long an SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a query waits for a pooled connection (including opening one)
/// before failing with `StoreError::Unavailable`. Short, so that while the
/// database is down a request answers 503 in seconds instead of hanging
/// (a connection normally takes milliseconds to hand out or open).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The database engine behind a [`Store`](super::Store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file (WAL mode, foreign keys on).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

#[derive(Clone, PartialEq, Eq)]
enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

/// Where and how to connect. `Debug` hides PostgreSQL credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreOptions {
    target: Target,
    max_connections: u32,
    schema: Option<String>,
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("StoreOptions");
        match &self.target {
            Target::Sqlite(path) => out.field("sqlite", path),
            Target::Postgres(url) => out.field("postgres", &redact_url(url)),
        };
        out.field("max_connections", &self.max_connections)
            .field("schema", &self.schema)
            .finish()
    }
}

impl StoreOptions {
    /// An SQLite database in the file at `path`, created when missing
    /// (owner-only, mode 0600, like `.env`).
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        StoreOptions {
            target: Target::Sqlite(path.into()),
            max_connections: 8,
            schema: None,
        }
    }

    /// A PostgreSQL database at `url` (`postgres://user:pass@host:port/db`).
    pub fn postgres(url: impl Into<String>) -> Self {
        StoreOptions {
            target: Target::Postgres(url.into()),
            max_connections: 16,
            schema: None,
        }
    }

    /// Reads a `DATABASE_URL` value: unset or empty selects the SQLite file
    /// [`DEFAULT_SQLITE_FILE`]; `sqlite://PATH` (or `sqlite:PATH`) another
    /// SQLite file; `postgres://…` (or `postgresql://…`) PostgreSQL.
    pub fn from_database_url(url: Option<&str>) -> Result<Self, StoreError> {
        let url = url.map(str::trim).unwrap_or_default();
        if url.is_empty() {
            return Ok(Self::sqlite(DEFAULT_SQLITE_FILE));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::postgres(url));
        }
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if rest.is_empty() || rest.contains('?') || rest.contains(":memory:") {
                return Err(StoreError::Config(
                    "DATABASE_URL: an SQLite URL must name a file, as sqlite://PATH (no query parameters, no :memory:)"
                        .to_owned(),
                ));
            }
            return Ok(Self::sqlite(rest));
        }
        let scheme = url.split_once(':').map_or("(none)", |(scheme, _)| scheme);
        Err(StoreError::Config(format!(
            "DATABASE_URL: scheme {scheme:?} is not supported; use sqlite://PATH or postgres://USER:PASSWORD@HOST/DB"
        )))
    }

    /// The most connections the pool opens (at least 1).
    #[must_use]
    pub fn max_connections(mut self, count: u32) -> Self {
        self.max_connections = count.max(1);
        self
    }

    /// PostgreSQL only: keep every table in this schema (created when
    /// missing) instead of the connection's default `search_path`. The name
    /// must be a plain identifier (ASCII letters, digits, `_`; at most 63).
    pub fn postgres_schema(mut self, schema: impl Into<String>) -> Result<Self, StoreError> {
        let schema = schema.into();
        let plain = !schema.is_empty()
            && schema.len() <= 63
            && schema
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !schema.as_bytes()[0].is_ascii_digit();
        if !plain {
            return Err(StoreError::Config(format!(
                "schema {schema:?} must be 1 to 63 ASCII letters, digits or _ and not start with a digit"
            )));
        }
        self.schema = Some(schema);
        Ok(self)
    }

    /// Which database these options select.
    pub fn backend(&self) -> Backend {
        match self.target {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }

    /// The PostgreSQL URL, when this is PostgreSQL.
    pub(super) fn postgres_url(&self) -> Option<&str> {
        match &self.target {
            Target::Postgres(url) => Some(url),
            Target::Sqlite(_) => None,
        }
    }

    /// The PostgreSQL schema, when one was chosen.
    pub(super) fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The SQLite file, when this is SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.target {
            Target::Sqlite(path) => Some(path),
            Target::Postgres(_) => None,
        }
    }
}

/// Opens the pool. Migrations are the caller's next step.
pub(super) async fn connect(options: &StoreOptions) -> Result<(AnyPool, Backend), StoreError> {
    sqlx::any::install_default_drivers();
    match &options.target {
        Target::Sqlite(path) => Ok((
            connect_sqlite(path, options.max_connections).await?,
            Backend::Sqlite,
        )),
        Target::Postgres(url) => Ok((
            connect_postgres(url, options.schema.clone(), options.max_connections).await?,
            Backend::Postgres,
        )),
    }
}

async fn connect_sqlite(path: &Path, max_connections: u32) -> Result<AnyPool, StoreError> {
    create_owner_only(path)?;
    let native = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    // Switching to WAL needs an exclusive lock that the busy timeout does not
    // wait for, so do it once on a single connection before the pool opens.
    // The mode is stored in the file; every later connection inherits it.
    let first = native
        .clone()
        .journal_mode(SqliteJournalMode::Wal)
        .connect()
        .await
        .map_err(|err| {
            StoreError::Unavailable(format!("opening SQLite file {}: {err}", path.display()))
        })?;
    first.close().await?;

    let any = AnyConnectOptions::from_url(&native.to_url_lossy())?;
    let pool = pool_options(max_connections)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // The `Any` driver opens SQLite with sqlx's defaults (foreign
                // keys on, a 5 s busy timeout); make sure of both. A 2xx means
                // the change is on disk: FULL syncs the WAL at every commit,
                // where WAL's usual NORMAL can lose the last commits (a
                // session, a revocation) to a power cut or an OS crash.
                conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;")
                    .await?;
                Ok(())
            })
        })
        .connect_with(any)
        .await?;
    Ok(pool)
}

async fn connect_postgres(
    url: &str,
    schema: Option<String>,
    max_connections: u32,
) -> Result<AnyPool, StoreError> {
    let any = AnyConnectOptions::from_str(url)
        .map_err(|_| StoreError::Config("DATABASE_URL: not a valid postgres:// URL".to_owned()))?;
    if let Some(schema) = &schema {
        // Create the schema once before any pooled connection points its
        // search_path at it.
        let mut conn = sqlx::AnyConnection::connect_with(&any)
            .await
            .map_err(|err| StoreError::Unavailable(format!("connecting to PostgreSQL: {err}")))?;
        conn.execute(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"").as_str())
            .await?;
        conn.close().await?;
    }
    let pool = pool_options(max_connections)
        .after_connect(move |conn, _meta| {
            let schema = schema.clone();
            Box::pin(async move {
                if let Some(schema) = schema {
                    // Validated as a plain identifier by `postgres_schema`.
                    conn.execute(format!("SET search_path TO \"{schema}\"").as_str())
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(any)
        .await
        .map_err(|err| StoreError::Unavailable(format!("connecting to PostgreSQL: {err}")))?;
    Ok(pool)
}

/// Creates a missing SQLite file empty (a valid empty database) with mode
/// 0600, as `.env` is made: it holds password hashes, e-mail and IP
/// addresses and the audit trail. SQLite gives the `-wal` and `-shm` files
/// the main file's mode. An existing file is left as it is (its mode is
/// the operator's choice).
fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    match crate::private_file::create_private(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(StoreError::Unavailable(format!(
            "creating SQLite file {}: {err}",
            path.display()
        ))),
    }
}

/// Pool settings shared by both backends.
///
/// Idle reaping and connection lifetimes are off, as a precaution: sqlx
/// 0.8's reaper task is reported upstream (sqlx#3645, fix proposed in
/// sqlx#4289) to race with `release()` on its idle counter and spin. A pool
/// of a handful of connections gains nothing from reaping, and broken
/// PostgreSQL connections are still caught by the health check on acquire.
fn pool_options(max_connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(true)
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{}://{user}:***@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_waits_seconds_not_half_a_minute_for_a_connection() {
        let timeout = pool_options(1).get_acquire_timeout();
        assert!(timeout <= Duration::from_secs(5), "{timeout:?}");
    }
}
