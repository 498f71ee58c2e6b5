//! The harness for store and domain tests: every behaviour runs against a
//! real SQLite file, and against PostgreSQL when `TESSERA_TEST_POSTGRES_URL`
//! is set (each test in a fresh schema, dropped afterwards).
//! `TESSERA_REQUIRE_POSTGRES=1` turns a missing or unreachable PostgreSQL
//! into failures instead of skips.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use sqlx::{Connection, Executor};
use tessera::ManualClock;
use tessera_server::app;
use tessera_server::domain::{
    Argon2Params, AuthService, ClientInfo, Grant, Password, Registration, ServerSettings, User,
};
use tessera_server::store::{Store, StoreOptions};

/// The time every test starts at.
pub const START: i64 = 1_700_000_000;

/// A password that passes the policy.
pub const GOOD_PASSWORD: &str = "plaid-otter-umbrella";

/// Argon2 costs small enough for a quick suite (the OWASP costs have their
/// own tests).
pub const FAST_ARGON2: Argon2Params = Argon2Params {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A database for one test: where it is, so it can be opened (and reopened).
#[derive(Debug, Clone)]
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl TestDb {
    pub fn options(&self) -> StoreOptions {
        match self {
            TestDb::Sqlite(path) => StoreOptions::sqlite(path),
            TestDb::Postgres { url, schema } => {
                StoreOptions::postgres(url).postgres_schema(schema).unwrap()
            }
        }
    }

    pub async fn store(&self) -> Store {
        Store::open(&self.options()).await.expect("store opens")
    }
}

/// Settings for tests: fast argon2, defaults otherwise.
pub fn test_settings() -> ServerSettings {
    ServerSettings {
        argon2: FAST_ARGON2,
        hash_concurrency: 4,
        ..ServerSettings::default()
    }
}

/// A service on a test database with a manual clock.
pub struct Harness {
    pub auth: AuthService,
    pub clock: ManualClock,
    pub db: TestDb,
}

impl Harness {
    pub async fn open(db: &TestDb) -> Harness {
        Harness::with_settings(db, test_settings()).await
    }

    pub async fn with_settings(db: &TestDb, settings: ServerSettings) -> Harness {
        let clock = ManualClock::new(START);
        let auth = service(db.store().await, settings, &clock).await;
        Harness {
            auth,
            clock,
            db: db.clone(),
        }
    }

    /// A second service on the same database (a restart, or another instance).
    pub async fn reopen(&self, settings: ServerSettings) -> AuthService {
        service(self.db.store().await, settings, &self.clock).await
    }

    /// Registers `name` with [`GOOD_PASSWORD`].
    pub async fn user(&self, name: &str) -> User {
        self.auth
            .register(Registration::new(name, Password::new(GOOD_PASSWORD), None))
            .await
            .expect("registration succeeds")
    }

    /// Logs `name` in with [`GOOD_PASSWORD`].
    pub async fn login(&self, name: &str) -> Grant {
        self.auth
            .login(
                name,
                &Password::new(GOOD_PASSWORD),
                client("test-agent/1.0", "127.0.0.1"),
            )
            .await
            .expect("login succeeds")
    }
}

/// A service on `store`, with the revocation feed `tessera serve` would
/// pick for it (so instances on one PostgreSQL database hear each other).
pub async fn service(store: Store, settings: ServerSettings, clock: &ManualClock) -> AuthService {
    let feed = app::revocation_feed(&store);
    AuthService::new(store, feed, settings, Arc::new(clock.clone()))
        .await
        .expect("service starts")
}

pub fn client(user_agent: &str, ip: &str) -> ClientInfo {
    ClientInfo {
        user_agent: Some(user_agent.to_owned()),
        ip: Some(ip.to_owned()),
    }
}

/// Runs `test` on a fresh database of `kind`, then removes it — also when
/// the test fails.
pub async fn run<F, Fut>(kind: Kind, test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let (db, dir) = match kind {
        Kind::Sqlite => {
            let dir = std::env::temp_dir().join(format!("tessera-it-{unique}"));
            std::fs::create_dir_all(&dir).unwrap();
            (TestDb::Sqlite(dir.join("tessera.db")), Some(dir))
        }
        Kind::Postgres => {
            let Some(url) = postgres_url() else { return };
            (
                TestDb::Postgres {
                    url,
                    schema: format!("tessera_it_{unique}"),
                },
                None,
            )
        }
    };
    let outcome = tokio::spawn(test(db.clone())).await;
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    if let TestDb::Postgres { url, schema } = &db {
        drop_schema(url, schema).await;
    }
    if let Err(err) = outcome {
        if err.is_panic() {
            std::panic::resume_unwind(err.into_panic());
        }
        panic!("test task failed: {err}");
    }
}

/// The PostgreSQL URL to test against; `None` means skip. Panics (fails the
/// test) when PostgreSQL is required but not configured.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("TESSERA_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty());
    let required = std::env::var("TESSERA_REQUIRE_POSTGRES").is_ok_and(|value| value.trim() == "1");
    match (url, required) {
        (Some(url), _) => Some(url),
        (None, true) => {
            panic!("TESSERA_REQUIRE_POSTGRES=1 but TESSERA_TEST_POSTGRES_URL is not set")
        }
        (None, false) => {
            eprintln!("skipped: set TESSERA_TEST_POSTGRES_URL to run the PostgreSQL variant");
            None
        }
    }
}

async fn drop_schema(url: &str, schema: &str) {
    sqlx::any::install_default_drivers();
    if let Ok(mut conn) = sqlx::AnyConnection::connect(url).await {
        let _ = conn
            .execute(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE").as_str())
            .await;
        let _ = conn.close().await;
    }
}

/// Declares each test twice, `NAME::sqlite` and `NAME::postgres`, with the
/// database bound to the given identifier:
///
/// ```ignore
/// backend_tests! {
///     async fn registering_works(db) { let h = Harness::open(&db).await; … }
/// }
/// ```
macro_rules! backend_tests {
    ($(async fn $name:ident($db:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::store_support::run($crate::store_support::Kind::Sqlite, |$db| async move $body).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::store_support::run($crate::store_support::Kind::Postgres, |$db| async move $body).await;
                }
            }
        )*
    };
}

pub(crate) use backend_tests;
