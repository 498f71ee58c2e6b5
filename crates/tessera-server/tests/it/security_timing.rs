//! Login timing says nothing about accounts: an unknown username, a wrong
//! password and a disabled account each cost one argon2 verification at
//! the production cost, so their median times agree within noise.
//!
//! Robust on a shared, noisy machine (the rest of the suite runs beside
//! it): the three kinds are interleaved in a shuffled order every round, so
//! a busy spell hits all three alike; what is compared is the median of the
//! differences within each round (paired samples, taken moments apart, so
//! the machine's load drifting over the run cancels out), and the tolerance
//! is a fraction of one hash. A path that skipped the hash (the classic enumeration leak) would
//! differ by the whole hash: several times the tolerance.

use std::time::{Duration, Instant};

use serde_json::json;
use tessera_server::domain::Argon2Params;

use crate::http_support::{PASSWORD, Server, setup};
use crate::store_support::{Kind, run};

/// Samples of each kind.
const ROUNDS: usize = 61;

/// The largest median difference allowed, as a fraction of the wrong
/// password median (one hash and a little bookkeeping).
const TOLERANCE: f64 = 0.25;

async fn timed_login(server: &Server, username: &str, password: &str) -> Duration {
    let started = Instant::now();
    server
        .post("/auth/login")
        .json(json!({ "username": username, "password": password }))
        .send()
        .await
        .expect_error(401, "invalid_credentials");
    started.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median of the round-by-round differences between two kinds (each
/// pair measured moments apart), as a distance from zero.
fn median_gap(kind: &[Duration], reference: &[Duration]) -> Duration {
    let mut gaps: Vec<f64> = kind
        .iter()
        .zip(reference)
        .map(|(a, b)| a.as_secs_f64() - b.as_secs_f64())
        .collect();
    gaps.sort_by(f64::total_cmp);
    Duration::from_secs_f64(gaps[gaps.len() / 2].abs())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_user_wrong_password_and_disabled_account_take_the_same_time() {
    run(Kind::Sqlite, |db| async move {
        let server = setup()
            .settings(|settings| settings.argon2 = Argon2Params::OWASP)
            .var("TESSERA_LOGIN_MAX_FAILURES", "100000")
            .var("TESSERA_IP_MAX_ATTEMPTS", "100000")
            .start(&db)
            .await;
        let admin = server.admin("root").await;
        server.register("ada").await;
        let bob = server.register("bob").await;
        server
            .post(&format!(
                "/admin/users/{}/disable",
                bob["id"].as_str().unwrap()
            ))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        // Warm up every path once (caches, the blocking pool).
        timed_login(&server, "nobody", PASSWORD).await;
        timed_login(&server, "ada", "not-the-password").await;
        timed_login(&server, "bob", PASSWORD).await;

        let kinds = [
            ("nobody", PASSWORD),
            ("ada", "not-the-password"),
            ("bob", PASSWORD),
        ];
        let mut samples: [Vec<Duration>; 3] = Default::default();
        for round in 0..ROUNDS {
            // A different order each round (all six, in turn).
            let order = [
                [0, 1, 2],
                [1, 2, 0],
                [2, 0, 1],
                [0, 2, 1],
                [2, 1, 0],
                [1, 0, 2],
            ][round % 6];
            for kind in order {
                let (username, password) = kinds[kind];
                samples[kind].push(timed_login(&server, username, password).await);
            }
        }
        let [unknown, wrong, disabled] = samples;
        let unknown_gap = median_gap(&unknown, &wrong);
        let disabled_gap = median_gap(&disabled, &wrong);
        let wrong = median(wrong);
        let limit = wrong.mul_f64(TOLERANCE);
        let report = format!(
            "median differences from a wrong password ({wrong:?}): unknown user {unknown_gap:?}, \
             disabled account {disabled_gap:?}; allowed {limit:?}"
        );
        eprintln!("{report}");
        assert!(unknown_gap <= limit, "{report}");
        assert!(disabled_gap <= limit, "{report}");
        // The samples measured a hash at all (a fast path would be ~0).
        assert!(wrong >= Duration::from_millis(5), "{report}");
    })
    .await;
}
