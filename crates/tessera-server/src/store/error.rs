//! What can go wrong talking to the database.

use sqlx::error::DatabaseError;
use sqlx::postgres::{PgDatabaseError, PgSeverity};
use sqlx::sqlite::SqliteError;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A uniqueness rule refused the write (e.g. a username already taken).
    #[error("a record with the same key already exists")]
    Conflict,
    /// The database settings cannot be used; names the setting.
    #[error("{0}")]
    Config(String),
    /// The database cannot be reached, opened or written right now (server
    /// down or refusing connections, connection cut, pool exhausted, disk
    /// full or read-only): an outage to wait out, not a bug in the request.
    /// The HTTP API answers it with `503 store_unavailable`.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Applying the embedded migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// A stored value could not be read back (e.g. roles that are not JSON).
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database itself is unavailable (a 503 rather than a 500).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl StoreError {
    /// The same failure for another waiter on one group commit (see
    /// `store/group_commit.rs`): the kind is kept (an outage stays a 503, a
    /// query error a 500), a database error keeps its text.
    pub(super) fn copy_for_waiter(&self) -> StoreError {
        match self {
            StoreError::Conflict => StoreError::Conflict,
            StoreError::Config(text) => StoreError::Config(text.clone()),
            StoreError::Unavailable(text) => StoreError::Unavailable(text.clone()),
            StoreError::Corrupt(text) => StoreError::Corrupt(text.clone()),
            StoreError::Database(err) => {
                StoreError::Database(sqlx::Error::Protocol(format!("group commit failed: {err}")))
            }
            StoreError::Migration(err) => {
                StoreError::Database(sqlx::Error::Protocol(format!("migration failed: {err}")))
            }
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ if is_outage(&err) => StoreError::Unavailable(err.to_string()),
            _ => StoreError::Database(err),
        }
    }
}

/// Whether `err` says the database is out of reach or cannot take writes,
/// rather than that this query was wrong.
fn is_outage(err: &sqlx::Error) -> bool {
    match err {
        // No connection within the acquire timeout (the server is down or
        // every connection is busy), the pool shut, the socket or TLS broke
        // (refused, reset, terminated), SQLite's worker thread died.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
                postgres_outage(pg.severity(), pg.code())
            } else if let Some(sqlite) = db.try_downcast_ref::<SqliteError>() {
                sqlite.code().is_some_and(|code| sqlite_outage(&code))
            } else {
                false
            }
        }
        _ => false,
    }
}

/// PostgreSQL: a FATAL (or PANIC) error ends the session, so it is never
/// about the query — it is the server refusing or dropping the connection
/// (e.g. 55000 "database is not currently accepting connections", 57P01
/// "terminating connection due to administrator command", 53300 too many
/// connections). Class 08 (connection exception) and 57P01–57P03 (admin or
/// crash shutdown, cannot connect now) are outages at any severity.
fn postgres_outage(severity: PgSeverity, sqlstate: &str) -> bool {
    matches!(severity, PgSeverity::Fatal | PgSeverity::Panic)
        || sqlstate.starts_with("08")
        || matches!(sqlstate, "57P01" | "57P02" | "57P03" | "53300")
}

/// SQLite, by primary result code (the low byte of the extended code sqlx
/// reports): the file cannot be written or opened, or another writer held
/// it past the busy timeout.
fn sqlite_outage(extended_code: &str) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_READONLY: i32 = 8;
    const SQLITE_IOERR: i32 = 10;
    const SQLITE_FULL: i32 = 13;
    const SQLITE_CANTOPEN: i32 = 14;
    extended_code.parse::<i32>().is_ok_and(|code| {
        matches!(
            code & 0xff,
            SQLITE_BUSY | SQLITE_READONLY | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection, Executor, SqliteConnection};

    use super::*;

    /// The error a statement gets from a real SQLite connection.
    async fn sqlite_error(conn: &mut SqliteConnection, sql: &str) -> StoreError {
        match conn.execute(sql).await {
            Ok(_) => panic!("{sql} succeeded"),
            Err(err) => StoreError::from(err),
        }
    }

    async fn memory() -> SqliteConnection {
        SqliteConnection::connect("sqlite::memory:").await.unwrap()
    }

    fn temp_file(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("tessera-{name}-{}", uuid::Uuid::new_v4().simple()))
    }

    #[tokio::test]
    async fn sqlite_refusing_writes_is_unavailable() {
        let mut conn = memory().await;
        conn.execute("PRAGMA query_only = ON").await.unwrap();
        let err = sqlite_error(&mut conn, "CREATE TABLE t (x)").await;
        assert!(err.is_unavailable(), "{err:?}");
        assert!(
            err.to_string().contains("(code: 8)"),
            "SQLITE_READONLY: {err}"
        );
    }

    #[tokio::test]
    async fn sqlite_full_is_unavailable() {
        let mut conn = memory().await;
        conn.execute("CREATE TABLE t (x); PRAGMA max_page_count = 2")
            .await
            .unwrap();
        let err = sqlite_error(&mut conn, "INSERT INTO t VALUES (randomblob(100000))").await;
        assert!(err.is_unavailable(), "{err:?}");
        assert!(err.to_string().contains("(code: 13)"), "SQLITE_FULL: {err}");
    }

    #[tokio::test]
    async fn sqlite_file_that_cannot_be_opened_is_unavailable() {
        let missing_dir = temp_file("missing").join("tessera.db");
        let err = SqliteConnectOptions::new()
            .filename(&missing_dir)
            .create_if_missing(true)
            .connect()
            .await
            .map(|_| ())
            .map_err(StoreError::from)
            .unwrap_err();
        assert!(err.is_unavailable(), "{err:?}");
        assert!(
            err.to_string().contains("(code: 14)"),
            "SQLITE_CANTOPEN: {err}"
        );
    }

    #[tokio::test]
    async fn sqlite_writer_held_past_the_busy_timeout_is_unavailable() {
        let path = temp_file("busy.db");
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .busy_timeout(std::time::Duration::ZERO);
        let mut holder = options.connect().await.unwrap();
        holder
            .execute("CREATE TABLE t (x); BEGIN IMMEDIATE")
            .await
            .unwrap();
        let mut waiter = options.connect().await.unwrap();
        let err = sqlite_error(&mut waiter, "INSERT INTO t VALUES (1)").await;
        drop((holder, waiter));
        let _ = std::fs::remove_file(&path);
        assert!(err.is_unavailable(), "{err:?}");
        assert!(err.to_string().contains("(code: 5)"), "SQLITE_BUSY: {err}");
    }

    #[tokio::test]
    async fn a_wrong_query_or_a_taken_key_is_not_an_outage() {
        let mut conn = memory().await;
        let err = sqlite_error(&mut conn, "SELECT * FROM no_such_table").await;
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
        conn.execute("CREATE TABLE t (x UNIQUE); INSERT INTO t VALUES (1)")
            .await
            .unwrap();
        let err = sqlite_error(&mut conn, "INSERT INTO t VALUES (1)").await;
        assert!(matches!(err, StoreError::Conflict), "{err:?}");
    }

    #[test]
    fn sqlite_extended_codes_count_by_their_primary_code() {
        // SQLITE_IOERR_READ, SQLITE_IOERR_FSYNC, SQLITE_READONLY_DBMOVED,
        // SQLITE_BUSY_SNAPSHOT, SQLITE_CANTOPEN_ISDIR.
        for code in ["266", "1034", "1032", "517", "526"] {
            assert!(sqlite_outage(code), "{code}");
        }
        // SQLITE_ERROR, SQLITE_CONSTRAINT_UNIQUE, SQLITE_CORRUPT, not a number.
        for code in ["1", "2067", "11", "08006"] {
            assert!(!sqlite_outage(code), "{code}");
        }
    }

    #[test]
    fn postgres_connection_failures_are_outages_and_query_errors_are_not() {
        // "database is not currently accepting connections" at connect.
        assert!(postgres_outage(PgSeverity::Fatal, "55000"));
        // Terminated by an administrator, shutting down, starting up.
        for sqlstate in ["57P01", "57P02", "57P03", "08006", "08001", "53300"] {
            assert!(postgres_outage(PgSeverity::Error, sqlstate), "{sqlstate}");
        }
        // The same 55000 raised by a statement, a missing table, a bad value.
        for sqlstate in ["55000", "42P01", "22P02", "23503"] {
            assert!(!postgres_outage(PgSeverity::Error, sqlstate), "{sqlstate}");
        }
    }
}
