//! Brute force at scale: a thousand guesses, from one address, from a
//! whole IPv6 /64, and over two instances sharing Redis. Only the
//! configured number of passwords is ever checked; the rest are 429 with
//! `Retry-After` before any hashing. A locked account is a soft lock: it
//! opens when its window ends, or at once by the admin unlock
//! (`POST /admin/users/{id}/unlock`); SECURITY.md says why it is not keyed
//! by address as well.

use serde_json::json;
use tessera_server::serve::spawn_maintenance;

use crate::http_support::{PASSWORD, Reply, Server, setup};
use crate::redis_support::{machine_redis_url, unique_prefix};
use crate::store_support::{TestDb, backend_tests};

const GUESSES: usize = 1000;

async fn login_from(server: &Server, ip: &str, username: &str, password: &str) -> Reply {
    server
        .post("/auth/login")
        .header("x-forwarded-for", ip)
        .json(json!({ "username": username, "password": password }))
        .send()
        .await
}

/// Counts how many of the replies were checked (401) and asserts that all
/// others were throttled: 429 `too_many_requests` with a `Retry-After`.
fn checked(replies: &[Reply]) -> usize {
    let mut checked = 0;
    for reply in replies {
        if reply.status.as_u16() == 401 {
            reply.expect_error(401, "invalid_credentials");
            checked += 1;
        } else {
            reply.expect_error(429, "too_many_requests");
            let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
            assert!(wait >= 1, "{reply}");
        }
    }
    checked
}

/// The `n`th address of the documentation network 2001:db8:1:2::/64.
fn in_one_64(n: usize) -> String {
    format!("2001:db8:1:2:{:x}:{:x}::1", n / 0xffff, n % 0xffff)
}

/// A distinct IPv4 address for each `n` (all of 10.0.0.0/8).
fn ipv4(n: usize) -> String {
    format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256)
}

async fn guess_from_one_ip(server: &Server, username: &str) -> Vec<Reply> {
    let mut replies = Vec::with_capacity(GUESSES);
    for n in 0..GUESSES {
        replies.push(
            login_from(
                server,
                "203.0.113.66",
                username,
                &format!("guess-{n}-password"),
            )
            .await,
        );
    }
    replies
}

/// An instance sharing Redis at `url` under `prefix` (limits and feed).
async fn redis_instance(db: &TestDb, url: &str, prefix: &str) -> Server {
    let server = setup()
        .var("REDIS_URL", url)
        .var("TESSERA_REDIS_PREFIX", prefix)
        .var("TESSERA_TRUST_FORWARDED", "true")
        .var("TESSERA_IP_MAX_ATTEMPTS", "120")
        .start(db)
        .await;
    spawn_maintenance(&server.state, std::time::Duration::from_secs(3600));
    server
}

backend_tests! {
    async fn a_thousand_guesses_from_one_ip_check_only_the_configured_number_of_passwords(db) {
        // The IP limit is set out of the way: this is the account limit.
        let server = setup()
            .var("TESSERA_TRUST_FORWARDED", "true")
            .var("TESSERA_IP_MAX_ATTEMPTS", "100000")
            .var("TESSERA_LOGIN_MAX_FAILURES", "20")
            .start(&db)
            .await;
        server.register("ada").await;
        let replies = guess_from_one_ip(&server, "ada").await;
        assert_eq!(checked(&replies), 20);
        // The first twenty were checked, then nothing was.
        assert!(replies[..20].iter().all(|reply| reply.status == 401));
    }

    async fn after_a_thousand_guesses_the_owner_signs_in_once_the_window_ends(db) {
        let server = setup()
            .var("TESSERA_TRUST_FORWARDED", "true")
            .var("TESSERA_IP_MAX_ATTEMPTS", "100000")
            .var("TESSERA_LOGIN_MAX_FAILURES", "20")
            .var("TESSERA_LOGIN_FAILURE_WINDOW", "15m")
            .start(&db)
            .await;
        server.register("ada").await;
        guess_from_one_ip(&server, "ada").await;
        // The lock is on the account, so the owner is held too, told how long.
        let held = login_from(&server, "198.51.100.20", "ada", PASSWORD).await;
        held.expect_error(429, "too_many_requests");
        let wait: i64 = held.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=900).contains(&wait), "{held}");
        server.clock.advance(wait);
        login_from(&server, "198.51.100.20", "ada", PASSWORD).await.expect(200);
    }

    async fn after_a_thousand_guesses_an_admin_unlock_lets_the_owner_in_at_once(db) {
        let server = setup()
            .var("TESSERA_TRUST_FORWARDED", "true")
            .var("TESSERA_IP_MAX_ATTEMPTS", "100000")
            .start(&db)
            .await;
        let admin = server.admin("root").await;
        let id = server.register("ada").await["id"].as_str().unwrap().to_owned();
        let replies = guess_from_one_ip(&server, "ada").await;
        // The default threshold: 20 failures per 15 minutes.
        assert_eq!(checked(&replies), 20);
        login_from(&server, "198.51.100.20", "ada", PASSWORD)
            .await
            .expect_error(429, "too_many_requests");
        server
            .post(&format!("/admin/users/{id}/unlock"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        login_from(&server, "198.51.100.20", "ada", PASSWORD).await.expect(200);
        // The guesser's address is still over nothing: only the account was locked.
        login_from(&server, "203.0.113.66", "ada", PASSWORD).await.expect(200);
    }

    async fn a_thousand_guesses_from_addresses_of_one_ipv6_64_meet_one_ip_limit(db) {
        let server = setup()
            .var("TESSERA_TRUST_FORWARDED", "true")
            .var("TESSERA_IP_MAX_ATTEMPTS", "120")
            .start(&db)
            .await;
        server.register("ada").await;
        let mut replies = Vec::with_capacity(GUESSES);
        for n in 0..GUESSES {
            // A different account each time, so only the IP limit applies.
            let username = format!("user{n}");
            replies.push(login_from(&server, &in_one_64(n), &username, PASSWORD).await);
        }
        assert_eq!(checked(&replies), 120);
        // The owner, from another network, is not held by the spray.
        login_from(&server, "2001:db8:1:3::1", "ada", PASSWORD).await.expect(200);
    }

    async fn a_thousand_guesses_over_two_instances_with_redis_meet_one_account_limit(db) {
        let Some(url) = machine_redis_url().await else { return };
        let prefix = unique_prefix();
        let a = redis_instance(&db, &url, &prefix).await;
        let b = redis_instance(&db, &url, &prefix).await;
        let admin = a.admin("root").await;
        let id = a.register("ada").await["id"].as_str().unwrap().to_owned();
        let mut replies = Vec::with_capacity(GUESSES);
        for n in 0..GUESSES {
            // Every guess from its own IPv4 address, alternating instances.
            let server = if n % 2 == 0 { &a } else { &b };
            replies.push(login_from(server, &ipv4(n), "ada", "not-the-password").await);
        }
        assert_eq!(checked(&replies), 20);
        for server in [&a, &b] {
            login_from(server, "198.51.100.20", "ada", PASSWORD)
                .await
                .expect_error(429, "too_many_requests");
        }
        a.post(&format!("/admin/users/{id}/unlock"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        login_from(&b, "198.51.100.20", "ada", PASSWORD).await.expect(200);
    }

    async fn a_thousand_guesses_from_one_ipv6_64_over_two_instances_with_redis_meet_one_ip_limit(db) {
        let Some(url) = machine_redis_url().await else { return };
        let prefix = unique_prefix();
        let a = redis_instance(&db, &url, &prefix).await;
        let b = redis_instance(&db, &url, &prefix).await;
        a.register("ada").await;
        let mut replies = Vec::with_capacity(GUESSES);
        for n in 0..GUESSES {
            let server = if n % 2 == 0 { &a } else { &b };
            replies.push(login_from(server, &in_one_64(n), &format!("user{n}"), PASSWORD).await);
        }
        assert_eq!(checked(&replies), 120);
        for server in [&a, &b] {
            login_from(server, "2001:db8:1:2:ffff::9", "ada", PASSWORD)
                .await
                .expect_error(429, "too_many_requests");
            login_from(server, "2001:db8:1:3::1", "ada", PASSWORD).await.expect(200);
        }
    }
}
