//! Several instances on one store and one Redis (`REDIS_URL`), through
//! the real router: a logout on one is refused by the other at once (Redis
//! pub/sub), guesses spread over instances meet one limit, an admin unlock
//! on one frees the account on all, and a Redis that dies mid-run costs
//! no request (limits in memory, revocations by the resync, `/readyz`
//! 200) and is used again when it returns.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;
use tessera_server::serve::spawn_maintenance;

use crate::http_support::{PASSWORD, Reply, Server, Tokens, setup};
use crate::redis_support::{PrivateRedis, eventually, machine_redis_url, unique_prefix};
use crate::store_support::{TestDb, backend_tests};

/// A resync period long enough that only the feed can be what delivered.
const NO_RESYNC: Duration = Duration::from_secs(3600);
/// A short resync period, for the outage (the default is 15 s).
const QUICK_RESYNC: Duration = Duration::from_millis(300);

/// An instance on `db` using Redis at `url` under `prefix`, with `vars`,
/// and its background tasks running (resync every `resync`).
async fn instance(
    db: &TestDb,
    url: &str,
    prefix: &str,
    vars: &[(&str, &str)],
    resync: Duration,
) -> Server {
    let mut setup = setup()
        .var("REDIS_URL", url)
        .var("TESSERA_REDIS_PREFIX", prefix)
        .var("TESSERA_TRUST_FORWARDED", "true");
    for (name, value) in vars {
        setup = setup.var(name, *value);
    }
    let server = setup.start(db).await;
    spawn_maintenance(&server.state, resync);
    server
}

async fn login_from(server: &Server, ip: &str, username: &str, password: &str) -> Reply {
    server
        .post("/auth/login")
        .header("x-forwarded-for", ip)
        .json(json!({ "username": username, "password": password }))
        .send()
        .await
}

/// Whether `server` refuses `tokens`' access token (401).
async fn refuses(server: &Server, tokens: &Tokens) -> bool {
    let reply = server.get("/auth/me").bearer(&tokens.access).send().await;
    assert_ne!(
        reply.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        reply.text()
    );
    reply.status == StatusCode::UNAUTHORIZED
}

/// `tessera_redis_up` as `server`'s `/metrics` shows it.
async fn redis_up(server: &Server) -> String {
    let text = server.get("/metrics").send().await.text();
    text.lines()
        .find_map(|line| line.strip_prefix("tessera_redis_up "))
        .unwrap_or_else(|| panic!("no tessera_redis_up in {text}"))
        .to_owned()
}

async fn log_out(server: &Server, tokens: &Tokens) {
    let reply = server
        .post("/auth/logout")
        .bearer(&tokens.access)
        .send()
        .await;
    assert!(
        reply.status.is_success(),
        "{} {}",
        reply.status,
        reply.text()
    );
}

backend_tests! {
    async fn a_logout_on_one_instance_is_refused_by_the_other_at_once(db) {
        let Some(url) = machine_redis_url().await else { return };
        let prefix = unique_prefix();
        let a = instance(&db, &url, &prefix, &[], NO_RESYNC).await;
        let b = instance(&db, &url, &prefix, &[], NO_RESYNC).await;
        let tokens = a.signed_up("ada").await;
        b.get("/auth/me").bearer(&tokens.access).send().await.expect(200);
        log_out(&a, &tokens).await;
        // No resync runs for an hour: the feed is what tells B.
        eventually("B refuses the logged-out token", || refuses(&b, &tokens)).await;
        assert_eq!(redis_up(&a).await, "1");
        // A's rate-limit scripts and its announcement were timed.
        let text = a.get("/metrics").send().await.text();
        let commands: u64 = text
            .lines()
            .find_map(|line| line.strip_prefix("tessera_redis_command_duration_seconds_count "))
            .unwrap_or_else(|| panic!("no Redis command histogram in {text}"))
            .parse()
            .unwrap();
        assert!(commands >= 3, "registration, login and logout talk to Redis: {commands}");
    }

    async fn guesses_spread_over_two_instances_meet_one_account_limit(db) {
        let Some(url) = machine_redis_url().await else { return };
        let prefix = unique_prefix();
        let vars = [("TESSERA_LOGIN_MAX_FAILURES", "4")];
        let a = instance(&db, &url, &prefix, &vars, NO_RESYNC).await;
        let b = instance(&db, &url, &prefix, &vars, NO_RESYNC).await;
        a.register("ada").await;
        for n in 0..4 {
            let server = if n % 2 == 0 { &a } else { &b };
            let ip = format!("198.51.100.{n}");
            login_from(server, &ip, "ada", "not-the-password").await.expect(401);
        }
        // Four guesses in all, two on each: the account is locked on both.
        for server in [&a, &b] {
            let refused = login_from(server, "198.51.100.9", "ada", PASSWORD).await;
            refused.expect_error(429, "too_many_requests");
            assert!(refused.header("retry-after").is_some());
        }
    }

    async fn attempts_from_one_ip_over_two_instances_meet_one_ip_limit(db) {
        let Some(url) = machine_redis_url().await else { return };
        let prefix = unique_prefix();
        let vars = [("TESSERA_IP_MAX_ATTEMPTS", "3")];
        let a = instance(&db, &url, &prefix, &vars, NO_RESYNC).await;
        let b = instance(&db, &url, &prefix, &vars, NO_RESYNC).await;
        login_from(&a, "203.0.113.5", "nobody", "not-the-password").await.expect(401);
        login_from(&b, "203.0.113.5", "nobody", "not-the-password").await.expect(401);
        login_from(&a, "203.0.113.5", "other", "not-the-password").await.expect(401);
        login_from(&b, "203.0.113.5", "third", "not-the-password")
            .await
            .expect_error(429, "too_many_requests");
        // Another address still has its own allowance.
        login_from(&b, "203.0.113.6", "nobody", "not-the-password").await.expect(401);
    }

    async fn an_admin_unlock_on_one_instance_frees_the_account_on_the_other(db) {
        let Some(url) = machine_redis_url().await else { return };
        let prefix = unique_prefix();
        let vars = [("TESSERA_LOGIN_MAX_FAILURES", "2")];
        let a = instance(&db, &url, &prefix, &vars, NO_RESYNC).await;
        let b = instance(&db, &url, &prefix, &vars, NO_RESYNC).await;
        let admin = a.admin("root").await;
        let id = a.register("ada").await["id"].as_str().unwrap().to_owned();
        login_from(&b, "198.51.100.1", "ada", "not-the-password").await.expect(401);
        login_from(&b, "198.51.100.2", "ada", "not-the-password").await.expect(401);
        login_from(&b, "198.51.100.3", "ada", PASSWORD)
            .await
            .expect_error(429, "too_many_requests");
        a.post(&format!("/admin/users/{id}/unlock"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        login_from(&b, "198.51.100.3", "ada", PASSWORD).await.expect(200);
    }

    async fn with_redis_killed_nothing_fails_and_the_resync_carries_revocations(db) {
        let mut redis = PrivateRedis::start().await;
        let prefix = unique_prefix();
        let vars = [("TESSERA_LOGIN_MAX_FAILURES", "2")];
        let a = instance(&db, &redis.url(), &prefix, &vars, QUICK_RESYNC).await;
        let b = instance(&db, &redis.url(), &prefix, &vars, QUICK_RESYNC).await;
        assert_eq!(redis_up(&a).await, "1");
        let early = a.signed_up("ada").await;
        b.signed_up("bob").await;

        redis.kill();
        for server in [&a, &b] {
            eventually("tessera_redis_up falls to 0", || async {
                redis_up(server).await == "0"
            })
            .await;
            server.get("/readyz").send().await.expect(200);
        }
        // Logins and registrations go on; the account limit holds in memory.
        let during = a.signed_up("carol").await;
        b.refresh(&during.refresh).await.expect(200);
        login_from(&a, "198.51.100.1", "bob", "not-the-password").await.expect(401);
        login_from(&a, "198.51.100.1", "bob", "not-the-password").await.expect(401);
        login_from(&a, "198.51.100.1", "bob", PASSWORD)
            .await
            .expect_error(429, "too_many_requests");
        // A logout on A reaches B by the resync (and NOTIFY on PostgreSQL).
        log_out(&a, &early).await;
        eventually("B refuses ada's token during the outage", || refuses(&b, &early)).await;
        a.get("/readyz").send().await.expect(200);

        redis.restart().await;
        for server in [&a, &b] {
            eventually("tessera_redis_up is 1 again", || async {
                redis_up(server).await == "1"
            })
            .await;
            server.get("/readyz").send().await.expect(200);
        }
        let after = a.login("carol").await;
        log_out(&a, &after).await;
        eventually("B refuses carol's token after the outage", || refuses(&b, &after)).await;
        // The limits are shared again (Redis restarted empty).
        login_from(&b, "198.51.100.2", "carol", "not-the-password").await.expect(401);
        login_from(&a, "198.51.100.2", "carol", "not-the-password").await.expect(401);
        login_from(&b, "198.51.100.2", "carol", PASSWORD)
            .await
            .expect_error(429, "too_many_requests");
    }
}

/// On SQLite there is no `NOTIFY`, and with no resync for an hour only
/// Redis pub/sub can carry a logout: once Redis has come back, both
/// instances are subscribed again and a logout on A reaches B at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_redis_returns_its_feed_carries_revocations_again() {
    crate::store_support::run(crate::store_support::Kind::Sqlite, |db| async move {
        let mut redis = PrivateRedis::start().await;
        let prefix = unique_prefix();
        let channel = format!("{prefix}revoked");
        let a = instance(&db, &redis.url(), &prefix, &[], NO_RESYNC).await;
        let b = instance(&db, &redis.url(), &prefix, &[], NO_RESYNC).await;
        let tokens = a.signed_up("ada").await;
        eventually("both instances subscribed", || async {
            redis.subscribers(&channel).await == 2
        })
        .await;

        redis.kill();
        eventually("A sees Redis gone", || async { redis_up(&a).await == "0" }).await;
        redis.restart().await;
        eventually("both instances subscribed again", || async {
            redis.subscribers(&channel).await == 2
        })
        .await;
        eventually("A sees Redis back", || async { redis_up(&a).await == "1" }).await;

        log_out(&a, &tokens).await;
        eventually("B refuses the logged-out token", || refuses(&b, &tokens)).await;
    })
    .await;
}
