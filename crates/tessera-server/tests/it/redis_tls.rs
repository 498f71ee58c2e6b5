//! `rediss://` for real: a private `redis-server` that speaks only TLS,
//! under a certificate from a CA made for the test. The server trusts a
//! private CA the way `docs/deploy.md` says, through `SSL_CERT_FILE` (the
//! redis crate reads its roots from the system trust store, which that
//! variable replaces). Trusted, two instances share their limits and
//! their revocation feed over TLS; untrusted, the connection is refused,
//! logged, Redis counted down, and the instance keeps serving on its
//! fallbacks.

use std::time::Duration;

use axum::http::Method;
use serde_json::{Value, json};

use crate::cluster_support::{ClusterDb, Instance, eventually};
use crate::http_support::{PASSWORD, Tokens};
use crate::redis_support::{PrivateTlsRedis, unique_prefix};

/// Well inside the 15 s resync: only the Redis feed can deliver this soon.
const FEED_PATIENCE: Duration = Duration::from_secs(5);
/// For the outage to be noticed and logged.
const PATIENCE: Duration = Duration::from_secs(15);

fn vars(redis: &PrivateTlsRedis, prefix: &str, ca_file: &str) -> Vec<(String, String)> {
    [
        ("REDIS_URL", redis.url()),
        ("TESSERA_REDIS_PREFIX", prefix.to_owned()),
        ("SSL_CERT_FILE", ca_file.to_owned()),
        ("TESSERA_LOGIN_MAX_FAILURES", "2".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

fn credentials(name: &str, password: &str) -> Value {
    json!({ "username": name, "password": password })
}

/// `tessera_redis_up` in the instance's `/metrics`.
async fn redis_up(instance: &Instance) -> String {
    let metrics = instance
        .call(Method::GET, "/metrics", &[], None)
        .await
        .unwrap();
    metrics
        .body
        .lines()
        .find_map(|line| line.strip_prefix("tessera_redis_up "))
        .unwrap_or_else(|| panic!("no tessera_redis_up in {}", metrics.body))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_ca_trusted_two_instances_share_limits_and_feed_over_tls() {
    let redis = PrivateTlsRedis::start().await;
    let prefix = unique_prefix();
    let db = ClusterDb::sqlite();
    let vars = vars(&redis, &prefix, &redis.ca_file());
    let a = Instance::start(&db, &vars);
    let b = Instance::start(&db, &vars);
    for instance in [&a, &b] {
        assert!(
            eventually(PATIENCE, || async { redis_up(instance).await == "1" }).await,
            "Redis over TLS is not up: {}",
            instance.log()
        );
    }

    // The feed: a logout on A reaches B long before any resync.
    a.post("/auth/register", None, Some(&credentials("ada", PASSWORD)))
        .await
        .expect(201);
    let tokens = Tokens::from_body(
        b.post("/auth/login", None, Some(&credentials("ada", PASSWORD)))
            .await
            .expect(200),
    );
    b.get("/auth/verify", &tokens.access).await.expect(200);
    a.post("/auth/logout", Some(&tokens.access), None)
        .await
        .expect(200);
    assert!(
        eventually(FEED_PATIENCE, || async {
            b.get("/auth/verify", &tokens.access).await.status == 401
        })
        .await,
        "B still accepts a token logged out on A"
    );

    // The limits: one wrong guess on each instance locks the account on both.
    a.post("/auth/register", None, Some(&credentials("bob", PASSWORD)))
        .await
        .expect(201);
    a.post(
        "/auth/login",
        None,
        Some(&credentials("bob", "not-the-password")),
    )
    .await
    .expect(401);
    b.post(
        "/auth/login",
        None,
        Some(&credentials("bob", "not-the-password")),
    )
    .await
    .expect(401);
    for instance in [&a, &b] {
        let refused = instance
            .post("/auth/login", None, Some(&credentials("bob", PASSWORD)))
            .await;
        assert_eq!(refused.status, 429, "{refused:?}");
    }
    // And they were kept in the TLS server, under the deployment's prefix.
    assert!(
        !redis.keys(&prefix).await.is_empty(),
        "nothing under {prefix} in the TLS Redis"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_refused_and_the_instance_serves_on_its_fallbacks() {
    let redis = PrivateTlsRedis::start().await;
    let prefix = unique_prefix();
    let db = ClusterDb::sqlite();
    // Trusts another CA only: the server's certificate does not verify.
    let a = Instance::start(&db, &vars(&redis, &prefix, &redis.other_ca_file()));
    assert!(
        eventually(PATIENCE, || async { a.log().contains("Redis unavailable") }).await,
        "no line about Redis being unavailable: {}",
        a.log()
    );
    let log = a.log();
    assert!(
        log.to_lowercase().contains("certificate"),
        "the refusal does not name the certificate: {log}"
    );
    assert_eq!(redis_up(&a).await, "0");
    a.call(Method::GET, "/readyz", &[], None)
        .await
        .unwrap()
        .expect(200);

    // Everything works on the fallbacks, with no 500.
    a.post("/auth/register", None, Some(&credentials("ada", PASSWORD)))
        .await
        .expect(201);
    let tokens = Tokens::from_body(
        a.post("/auth/login", None, Some(&credentials("ada", PASSWORD)))
            .await
            .expect(200),
    );
    a.get("/auth/verify", &tokens.access).await.expect(200);
    a.post("/auth/logout", Some(&tokens.access), None)
        .await
        .expect(200);
    assert_eq!(a.get("/auth/verify", &tokens.access).await.status, 401);
    // The limits held in memory: two failures lock the account.
    for _ in 0..2 {
        a.post(
            "/auth/login",
            None,
            Some(&credentials("ada", "not-the-password")),
        )
        .await
        .expect(401);
    }
    let refused = a
        .post("/auth/login", None, Some(&credentials("ada", PASSWORD)))
        .await;
    assert_eq!(refused.status, 429, "{refused:?}");
    // And nothing reached the TLS server.
    assert!(redis.keys(&prefix).await.is_empty());
    assert_eq!(redis_up(&a).await, "0");
}
