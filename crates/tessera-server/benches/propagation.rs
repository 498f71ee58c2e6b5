//! Revocation propagation between two instances on one PostgreSQL
//! database: the time from the start of a logout on instance A until
//! instance B's revoked set holds the session, over many logouts, with
//! the feed carried by Redis pub/sub, by PostgreSQL `NOTIFY`, and by both
//! (what `tessera serve` runs with `REDIS_URL` on PostgreSQL). No periodic
//! resync runs, so only the feed can deliver.
//!
//! Not a test: it prints p50/p99/max for BENCHMARKS.md.
//!
//! Run: `TESSERA_TEST_POSTGRES_URL=postgres://… TESSERA_TEST_REDIS_URL=redis://…
//! cargo bench -p tessera-server --bench propagation` (`TESSERA_BENCH_ROUNDS`,
//! default 1000, sets the logouts per feed).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};
use tessera::ManualClock;
use tessera_server::domain::{
    Argon2Params, AuthService, ClientInfo, LogoutScope, Password, Registration, ServerSettings,
};
use tessera_server::fanout::{BothFeeds, PgNotifyFeed, RedisFeed, RevocationFeed};
use tessera_server::redis::RedisLink;
use tessera_server::store::{Store, StoreOptions};

const PASSWORD: &str = "plaid-otter-umbrella";
/// How long one propagation may take before the run is called broken.
const GIVE_UP: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug)]
enum Feed {
    Redis,
    Notify,
    Both,
}

fn settings() -> ServerSettings {
    ServerSettings {
        argon2: Argon2Params {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        },
        ..ServerSettings::default()
    }
}

async fn instance(pg: &str, schema: &str, redis: &str, prefix: &str, feed: Feed) -> AuthService {
    let options = StoreOptions::postgres(pg).postgres_schema(schema).unwrap();
    let store = Store::open(&options).await.unwrap();
    let redis_feed = || async {
        Arc::new(RedisFeed::new(
            RedisLink::connect(redis, prefix).await.unwrap(),
        )) as Arc<dyn RevocationFeed>
    };
    let notify = || Arc::new(PgNotifyFeed::for_store(&store).unwrap()) as Arc<dyn RevocationFeed>;
    let feed: Arc<dyn RevocationFeed> = match feed {
        Feed::Redis => redis_feed().await,
        Feed::Notify => notify(),
        Feed::Both => Arc::new(BothFeeds::new(redis_feed().await, notify())),
    };
    let clock = Arc::new(ManualClock::new(1_700_000_000));
    AuthService::new(store, feed, settings(), clock)
        .await
        .unwrap()
}

/// The `per_mille`‰ percentile of `sorted` (nearest rank).
fn percentile(sorted: &[Duration], per_mille: usize) -> Duration {
    let rank = (sorted.len() * per_mille).div_ceil(1000);
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn measure(pg: &str, redis: &str, feed: Feed, rounds: usize) {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let schema = format!("tessera_bench_{unique}");
    let prefix = format!("tessera-bench:{unique}:");
    let a = instance(pg, &schema, redis, &prefix, feed).await;
    let b = instance(pg, &schema, redis, &prefix, feed).await;
    let follower = b.clone();
    tokio::spawn(async move { follower.follow_revocations().await });
    a.register(Registration::new("ada", Password::new(PASSWORD), None))
        .await
        .unwrap();
    let client = ClientInfo {
        user_agent: Some("bench".to_owned()),
        ip: Some("127.0.0.1".to_owned()),
    };
    // Let B's subscriptions come up before the first logout.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let grant = a
            .login("ada", &Password::new(PASSWORD), client.clone())
            .await
            .unwrap();
        let sid = grant.session.id.clone();
        let started = Instant::now();
        a.logout(&grant.user.id, Some(&sid), LogoutScope::Local)
            .await
            .unwrap();
        while !b.revoked().is_session_revoked(&sid) {
            assert!(
                started.elapsed() < GIVE_UP,
                "{feed:?}: B never heard of {sid}"
            );
            tokio::task::yield_now().await;
        }
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "{feed:?}: {rounds} revocations, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&times, 500).as_secs_f64() * 1e3,
        percentile(&times, 990).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
    );
    a.store().close().await;
    b.store().close().await;
    let mut conn = sqlx::AnyConnection::connect(pg).await.unwrap();
    conn.execute(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE").as_str())
        .await
        .unwrap();
}

fn main() {
    let pg = std::env::var("TESSERA_TEST_POSTGRES_URL")
        .expect("set TESSERA_TEST_POSTGRES_URL (and TESSERA_TEST_REDIS_URL)");
    let redis = std::env::var("TESSERA_TEST_REDIS_URL").expect("set TESSERA_TEST_REDIS_URL");
    let rounds = std::env::var("TESSERA_BENCH_ROUNDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1000);
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for feed in [Feed::Redis, Feed::Notify, Feed::Both] {
            measure(&pg, &redis, feed, rounds).await;
        }
    });
}
