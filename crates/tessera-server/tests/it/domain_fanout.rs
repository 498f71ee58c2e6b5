//! Revocations reach other instances on the same database: at once through
//! the revocation feed (PostgreSQL LISTEN/NOTIFY), and on every backend at
//! the next resync (`sync_revocations`), whatever the instances' clocks say.
//! Every revocation the domain commits is announced on the feed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tessera::ManualClock;
use tessera_server::app;
use tessera_server::boxed::BoxFuture;
use tessera_server::domain::{AuthService, ClientInfo, Grant, LogoutScope, Password, Registration};
use tessera_server::fanout::{FeedError, RevocationFeed, Subscription};

use sqlx::{Connection, Executor};

use crate::store_support::{
    GOOD_PASSWORD, Harness, Kind, START, TestDb, backend_tests, run, service, test_settings,
};

/// Long enough for any healthy machine; the wait ends as soon as it holds.
const PATIENCE: Duration = Duration::from_secs(10);

/// One day, in seconds.
const DAY: i64 = 86_400;

/// Sessions logged out in parallel while another instance keeps syncing.
const PARALLEL_LOGOUTS: usize = 24;
/// Rounds of those: without commit-ordered positions, most rounds lost one.
const PARALLEL_LOGOUT_ROUNDS: usize = 4;

/// Another instance on `db` whose clock reads `now`.
async fn instance_at(db: &TestDb, now: i64) -> AuthService {
    service(db.store().await, test_settings(), &ManualClock::new(now)).await
}

async fn log_out(auth: &AuthService, grant: &Grant) {
    auth.logout(&grant.user.id, Some(&grant.session.id), LogoutScope::Local)
        .await
        .unwrap();
}

/// Brings `db` to the first schema only, as a release before revocation
/// positions left it, and records `rows` revocations there (token ids
/// `old-0`, `old-1`, …; the first stamped a day ahead).
async fn first_schema_with_revocations(db: &TestDb, rows: usize) {
    sqlx::any::install_default_drivers();
    let (url, search_path, backend) = match db {
        TestDb::Sqlite(path) => (
            format!("sqlite://{}?mode=rwc", path.display()),
            None,
            "sqlite",
        ),
        TestDb::Postgres { url, schema } => {
            let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
            conn.execute(format!("CREATE SCHEMA \"{schema}\"").as_str())
                .await
                .unwrap();
            conn.close().await.unwrap();
            (
                url.clone(),
                Some(format!("SET search_path TO \"{schema}\"")),
                "postgres",
            )
        }
    };
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            let search_path = search_path.clone();
            Box::pin(async move {
                if let Some(statement) = search_path {
                    conn.execute(statement.as_str()).await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .unwrap();
    let first = tempfile::tempdir().unwrap();
    let source = format!(
        "{}/migrations/{backend}/0001_initial.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::copy(source, first.path().join("0001_initial.sql")).unwrap();
    sqlx::migrate::Migrator::new(first.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    for row in 0..rows {
        let stamped = if row == 0 { START + DAY } else { START };
        sqlx::query(
            "INSERT INTO revocations (kind, token_id, expires_at, revoked_at) VALUES ('access', $1, $2, $3)",
        )
        .bind(format!("old-{row}"))
        .bind(START + DAY)
        .bind(stamped)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
}

/// A feed that only counts announcements.
#[derive(Debug, Default)]
struct CountingFeed(AtomicUsize);

impl RevocationFeed for CountingFeed {
    fn announce(&self) -> BoxFuture<'_, Result<(), FeedError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::ready(Ok(())))
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Option<Box<dyn Subscription>>, FeedError>> {
        Box::pin(std::future::ready(Ok(None)))
    }
}

backend_tests! {
    async fn every_kind_of_revocation_is_announced_once_and_one_that_ends_nothing_is_not(db) {
        let feed = Arc::new(CountingFeed::default());
        let auth = AuthService::new(
            db.store().await,
            feed.clone(),
            test_settings(),
            Arc::new(ManualClock::new(START)),
        )
        .await
        .unwrap();
        let announced = || feed.0.load(Ordering::SeqCst);
        let user = auth
            .register(Registration::new("ada", Password::new(GOOD_PASSWORD), None))
            .await
            .unwrap();
        let password = Password::new(GOOD_PASSWORD);
        let login = || auth.login("ada", &password, ClientInfo::default());

        let grant = login().await.unwrap();
        log_out(&auth, &grant).await;
        assert_eq!(announced(), 1, "logout");
        log_out(&auth, &grant).await;
        assert_eq!(announced(), 1, "a second logout of the same session ends nothing");

        auth.revoke_access_token("some-jti", START + DAY).await.unwrap();
        assert_eq!(announced(), 2, "access token");

        login().await.unwrap();
        login().await.unwrap();
        auth.set_disabled(None, &user.id, true).await.unwrap();
        // The disable is announced as a user change (other instances empty
        // their user caches), then its two sessions end in one announcement.
        assert_eq!(announced(), 4, "disabling: the user change, then two sessions in one");
    }

    async fn revocations_recorded_before_the_upgrade_stay_in_force_and_later_ones_still_arrive(db) {
        first_schema_with_revocations(&db, 3).await;
        let first = Harness::open(&db).await;
        let second = first.reopen(test_settings()).await;
        for row in 0..3 {
            assert!(second.revoked().is_revoked(None, &format!("old-{row}")));
        }
        first.auth.revoke_access_token("new", START + DAY).await.unwrap();
        second.sync_revocations().await.unwrap();
        assert!(second.revoked().is_revoked(None, "new"));
    }

    async fn a_revocation_stamped_in_the_future_does_not_hide_later_ones(db) {
        let first = Harness::open(&db).await;
        first.user("ada").await;
        let early = first.login("ada").await;
        let later = first.login("ada").await;
        let second = first.reopen(test_settings()).await;
        // An instance whose clock runs a day ahead records a revocation.
        let ahead = instance_at(&db, START + DAY).await;
        log_out(&ahead, &early).await;
        second.sync_revocations().await.unwrap();
        assert!(second.revoked().is_session_revoked(&early.session.id));

        log_out(&first.auth, &later).await;
        second.sync_revocations().await.unwrap();
        assert!(
            second.revoked().is_session_revoked(&later.session.id),
            "a revocation after a future-stamped one was skipped"
        );
    }

    async fn a_revocation_from_a_lagging_clock_reaches_other_instances(db) {
        let first = Harness::open(&db).await;
        first.user("ada").await;
        let early = first.login("ada").await;
        let later = first.login("ada").await;
        let second = first.reopen(test_settings()).await;
        log_out(&first.auth, &early).await;
        second.sync_revocations().await.unwrap();
        assert!(second.revoked().is_session_revoked(&early.session.id));

        // An instance whose clock runs ten minutes behind.
        let lagging = instance_at(&db, START - 600).await;
        log_out(&lagging, &later).await;
        second.sync_revocations().await.unwrap();
        assert!(
            second.revoked().is_session_revoked(&later.session.id),
            "a revocation stamped before the newest one seen was skipped"
        );
    }
}

/// PostgreSQL hands out positions before commit; a resync must still never
/// pass over a revocation that commits after a later-numbered one was read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_committed_in_parallel_all_reach_an_instance_syncing_meanwhile() {
    run(Kind::Postgres, |db| async move {
        let first = Harness::open(&db).await;
        first.user("ada").await;
        let second = first.reopen(test_settings()).await;
        for _ in 0..PARALLEL_LOGOUT_ROUNDS {
            let mut grants = Vec::with_capacity(PARALLEL_LOGOUTS);
            for _ in 0..PARALLEL_LOGOUTS {
                grants.push(first.login("ada").await);
            }
            let done = Arc::new(AtomicBool::new(false));
            let syncing = tokio::spawn({
                let (second, done) = (second.clone(), done.clone());
                async move {
                    while !done.load(Ordering::SeqCst) {
                        second.sync_revocations().await.unwrap();
                    }
                }
            });
            let logouts: Vec<_> = grants
                .iter()
                .map(|grant| {
                    let (auth, grant) = (first.auth.clone(), grant.clone());
                    tokio::spawn(async move { log_out(&auth, &grant).await })
                })
                .collect();
            for logout in logouts {
                logout.await.unwrap();
            }
            done.store(true, Ordering::SeqCst);
            syncing.await.unwrap();

            second.sync_revocations().await.unwrap();
            for grant in &grants {
                assert!(
                    second.revoked().is_session_revoked(&grant.session.id),
                    "a revocation committed during a resync was never read"
                );
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_subscription_wakes_when_another_instance_records_a_revocation() {
    run(Kind::Postgres, |db| async move {
        let first = Harness::open(&db).await;
        let feed = app::revocation_feed(&db.store().await);
        let mut subscription = feed
            .subscribe()
            .await
            .unwrap()
            .expect("PostgreSQL has a subscription");
        first.user("ada").await;
        let grant = first.login("ada").await;
        first
            .auth
            .logout(&grant.user.id, Some(&grant.session.id), LogoutScope::Local)
            .await
            .unwrap();
        tokio::time::timeout(PATIENCE, subscription.changed())
            .await
            .expect("woken by the revocation")
            .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_on_one_instance_is_enforced_by_another_within_moments() {
    run(Kind::Postgres, |db| async move {
        let first = Harness::open(&db).await;
        first.user("ada").await;
        let warm_up = first.login("ada").await;
        let grant = first.login("ada").await;
        let second = first.reopen(test_settings()).await;
        assert!(!second.revoked().is_session_revoked(&grant.session.id));

        let follower = tokio::spawn({
            let second = second.clone();
            async move { second.follow_revocations().await }
        });
        // Once this one has arrived (by the follower's first sync or by the
        // feed), the follower is subscribed and has synced: from then on
        // only an announcement can bring the next logout.
        log_out(&first.auth, &warm_up).await;
        learns_of(&second, &warm_up).await;
        log_out(&first.auth, &grant).await;
        learns_of(&second, &grant).await;
        follower.abort();
    })
    .await;
}

/// Waits (up to [`PATIENCE`]) until `instance` holds `grant`'s session as revoked.
async fn learns_of(instance: &AuthService, grant: &Grant) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !instance.revoked().is_session_revoked(&grant.session.id) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other instance never learned of the logout"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn sqlite_has_no_subscription_and_following_returns_at_once() {
    run(Kind::Sqlite, |db| async move {
        let h = Harness::open(&db).await;
        assert!(h.auth.feed().subscribe().await.unwrap().is_none());
        tokio::time::timeout(PATIENCE, h.auth.follow_revocations())
            .await
            .expect("returns at once")
            .unwrap();
    })
    .await;
}
