//! Rate limits and the revocation feed on a real Redis, below HTTP: the
//! Lua window keeps `WindowLimiter`'s semantics and `Retry-After`, is
//! atomic across instances, and falls back to memory when Redis is gone;
//! an announcement on one link wakes a subscriber on another.

use std::sync::Arc;
use std::time::Duration;

use tessera_server::fanout::{RedisFeed, RevocationFeed};
use tessera_server::limits::{RateLimitStore, RedisLimiter, RetryAfterSeconds};
use tessera_server::redis::RedisLink;

use crate::redis_support::{PATIENCE, PrivateRedis, eventually, machine_redis_url, unique_prefix};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn the_redis_window_refuses_at_the_limit_with_the_same_wait_as_memory() {
    let Some(url) = machine_redis_url().await else {
        return;
    };
    let link = RedisLink::connect(&url, &unique_prefix()).await.unwrap();
    assert!(link.is_up());
    let limiter = RedisLimiter::new(link, "login", 2, MINUTE);
    assert_eq!(limiter.acquire("alice", 1_000).await, Ok(()));
    assert_eq!(limiter.acquire("alice", 1_001).await, Ok(()));
    assert_eq!(
        limiter.acquire("alice", 1_010).await,
        Err(RetryAfterSeconds(50))
    );
    assert_eq!(limiter.acquire("bob", 1_010).await, Ok(()));
    // The window has passed: a fresh allowance.
    assert_eq!(limiter.acquire("alice", 1_060).await, Ok(()));
    limiter.clear("bob").await;
    assert_eq!(limiter.acquire("bob", 1_011).await, Ok(()));
    assert_eq!(limiter.acquire("bob", 1_012).await, Ok(()));
    assert_eq!(
        limiter.acquire("bob", 1_013).await,
        Err(RetryAfterSeconds(58))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_share_one_allowance_exactly() {
    let Some(url) = machine_redis_url().await else {
        return;
    };
    let prefix = unique_prefix();
    let first = Arc::new(RedisLimiter::new(
        RedisLink::connect(&url, &prefix).await.unwrap(),
        "ip",
        7,
        MINUTE,
    ));
    let second = Arc::new(RedisLimiter::new(
        RedisLink::connect(&url, &prefix).await.unwrap(),
        "ip",
        7,
        MINUTE,
    ));
    let attempts = (0..40).map(|n| {
        let limiter = if n % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tokio::spawn(async move { limiter.acquire("198.51.100.7", 5_000).await })
    });
    let mut passed = 0;
    for attempt in attempts {
        if attempt.await.unwrap().is_ok() {
            passed += 1;
        }
    }
    assert_eq!(passed, 7);
}

#[tokio::test]
async fn limits_of_different_names_and_prefixes_never_meet() {
    let Some(url) = machine_redis_url().await else {
        return;
    };
    let link = RedisLink::connect(&url, &unique_prefix()).await.unwrap();
    let other_deployment = RedisLink::connect(&url, &unique_prefix()).await.unwrap();
    let login = RedisLimiter::new(link.clone(), "login", 1, MINUTE);
    let ip = RedisLimiter::new(link, "ip", 1, MINUTE);
    let elsewhere = RedisLimiter::new(other_deployment, "login", 1, MINUTE);
    assert_eq!(login.acquire("k", 1_000).await, Ok(()));
    assert_eq!(ip.acquire("k", 1_000).await, Ok(()));
    assert_eq!(elsewhere.acquire("k", 1_000).await, Ok(()));
    assert!(login.acquire("k", 1_000).await.is_err());
}

#[tokio::test]
async fn with_redis_gone_the_limit_holds_in_memory_and_comes_back_to_redis() {
    let mut redis = PrivateRedis::start().await;
    let link = RedisLink::connect(&redis.url(), &unique_prefix())
        .await
        .unwrap();
    let limiter = RedisLimiter::new(link.clone(), "login", 2, MINUTE);
    assert_eq!(limiter.acquire("alice", 1_000).await, Ok(()));
    redis.kill();
    // The first failing command (or the probe) marks Redis down; every
    // check still answers, from this instance's memory.
    for _ in 0..2 {
        assert_eq!(limiter.acquire("carol", 1_000).await, Ok(()));
    }
    assert_eq!(
        limiter.acquire("carol", 1_001).await,
        Err(RetryAfterSeconds(59))
    );
    assert!(!link.is_up());
    assert_eq!(link.health().gauge(), 0);
    redis.restart().await;
    eventually("the probe sees Redis again", || {
        let link = link.clone();
        async move { link.is_up() }
    })
    .await;
    // Back in Redis (which restarted empty).
    assert_eq!(limiter.acquire("dave", 1_002).await, Ok(()));
    assert_eq!(limiter.acquire("dave", 1_002).await, Ok(()));
    assert_eq!(
        limiter.acquire("dave", 1_003).await,
        Err(RetryAfterSeconds(59))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_wakes_a_subscriber_on_another_link_and_a_reconnect_wakes_it_too() {
    let mut redis = PrivateRedis::start().await;
    let prefix = unique_prefix();
    let listener = RedisFeed::new(RedisLink::connect(&redis.url(), &prefix).await.unwrap());
    let announcer = RedisFeed::new(RedisLink::connect(&redis.url(), &prefix).await.unwrap());
    let mut subscription = listener.subscribe().await.unwrap().unwrap();
    // The first call connects and reports a change (resync at once).
    tokio::time::timeout(PATIENCE, subscription.changed())
        .await
        .unwrap()
        .unwrap();
    let channel = format!("{prefix}revoked");
    assert_eq!(redis.subscribers(&channel).await, 1);
    let woken = tokio::spawn(async move {
        subscription.changed().await.unwrap();
        subscription
    });
    announcer.announce().await.unwrap();
    let mut subscription = tokio::time::timeout(PATIENCE, woken)
        .await
        .unwrap()
        .unwrap();

    // Killed and restarted: the subscription comes back by itself and says so.
    redis.kill();
    let reconnected = tokio::spawn(async move {
        subscription.changed().await.unwrap();
        subscription
    });
    redis.restart().await;
    // Kept (not dropped) while counting: dropping it would unsubscribe.
    let _subscription = tokio::time::timeout(PATIENCE, reconnected)
        .await
        .unwrap()
        .unwrap();
    eventually("subscribed again", || async {
        redis.subscribers(&channel).await == 1
    })
    .await;
}
