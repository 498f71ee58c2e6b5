//! `tessera keys list | rotate | retire KID` on a project whose signing keys
//! are kept in the store (ES256, no PEM keys), and `tessera init` writing
//! the encryption key.

use std::fs;

use crate::keys_stored::TEST_ENCRYPTION_KEY;
use crate::support::{Outcome, Project};

/// A project with ES256 and the test encryption key in `.env`, no PEM keys.
fn stored_project() -> Project {
    let project = Project::new();
    fs::write(
        project.env_file(),
        format!("JWT_ALGORITHM=ES256\nTESSERA_ENCRYPTION_KEY={TEST_ENCRYPTION_KEY}\n"),
    )
    .unwrap();
    project
}

/// `(kid, state)` of each row `keys list` printed.
fn listed(outcome: &Outcome) -> Vec<(String, String)> {
    let mut lines = outcome.stdout.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("KID") && header.contains("STATE") && header.contains("VERIFIES UNTIL"),
        "{header}"
    );
    lines
        .map(|line| {
            let mut words = line.split_whitespace();
            let kid = words.next().unwrap().to_owned();
            let state = words.next().unwrap().to_owned();
            assert_eq!(words.next(), Some("ES256"), "{line}");
            (kid, state)
        })
        .collect()
}

fn kid_in(rows: &[(String, String)], state: &str) -> String {
    rows.iter().find(|(_, s)| s == state).unwrap().0.clone()
}

#[test]
fn list_makes_the_first_keys_and_shows_them_without_key_material() {
    let project = stored_project();
    let outcome = project.tessera(["keys", "list"]).run().success();
    let rows = listed(&outcome);
    let mut states: Vec<&str> = rows.iter().map(|(_, state)| state.as_str()).collect();
    states.sort_unstable();
    assert_eq!(states, ["current", "next"], "{outcome:#?}");
    assert!(!outcome.stdout.contains("PRIVATE"));
    // The same keys the second time.
    let again = project.tessera(["keys", "list"]).run().success();
    assert_eq!(listed(&again), rows);
}

#[test]
fn rotate_waits_for_the_next_key_to_be_published_for_one_jwks_cache_period() {
    let project = stored_project();
    project.tessera(["keys", "list"]).run().success();
    let outcome = project.tessera(["keys", "rotate"]).run();
    let line = outcome.one_line_error();
    assert!(
        line.contains("not rotated") && line.contains("300 s"),
        "{line}"
    );
    assert!(line.contains("UTC"), "says when it can: {line}");
}

#[test]
fn retire_refuses_the_current_key_and_retires_the_next_one() {
    let project = stored_project();
    let rows = listed(&project.tessera(["keys", "list"]).run().success());
    let (current, next) = (kid_in(&rows, "current"), kid_in(&rows, "next"));

    let refused = project.tessera(["keys", "retire", &current]).run();
    let line = refused.one_line_error();
    assert!(
        line.contains("is the current signing key") && line.contains("rotate"),
        "{line}"
    );

    let unknown = project.tessera(["keys", "retire", "no-such-kid"]).run();
    assert!(
        unknown
            .one_line_error()
            .contains("no signing key has the id")
    );

    let retired = project.tessera(["keys", "retire", &next]).run().success();
    assert!(
        retired.stdout.contains(&format!("Retired {next}")),
        "{retired:#?}"
    );
    let rows = listed(&project.tessera(["keys", "list"]).run().success());
    assert!(rows.contains(&(next, "retired".to_owned())), "{rows:?}");
    assert!(rows.contains(&(current, "current".to_owned())), "{rows:?}");
}

#[test]
fn a_wrong_encryption_key_is_one_line_and_changes_nothing() {
    let project = stored_project();
    let rows = listed(&project.tessera(["keys", "list"]).run().success());
    let outcome = project
        .tessera(["keys", "rotate"])
        .env(
            "TESSERA_ENCRYPTION_KEY",
            "eteeZLb-gw82JyXW_FMprUfof2gdd-K-5pgcLpq8kH8",
        )
        .run();
    assert!(
        outcome.one_line_error().contains("TESSERA_ENCRYPTION_KEY"),
        "{outcome:#?}"
    );
    assert_eq!(
        listed(&project.tessera(["keys", "list"]).run().success()),
        rows
    );
}

#[test]
fn keys_says_so_when_the_keys_are_not_kept_in_the_store() {
    let project = Project::initialised();
    let line = project
        .tessera(["keys", "list"])
        .run()
        .one_line_error()
        .to_owned();
    assert!(
        line.contains("not kept in the store") && line.contains("HS256"),
        "{line}"
    );
}

#[test]
fn init_writes_an_encryption_key_once() {
    let project = Project::new();
    let outcome = project.tessera(["init"]).run().success();
    assert!(
        outcome.stdout.contains("TESSERA_ENCRYPTION_KEY"),
        "{outcome:#?}"
    );
    let text = fs::read_to_string(project.env_file()).unwrap();
    let keys: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("TESSERA_ENCRYPTION_KEY="))
        .collect();
    assert_eq!(keys.len(), 1, "{text}");
    assert_eq!(keys[0].len(), 43, "32 random bytes as unpadded base64url");
    assert!(!outcome.stdout.contains(keys[0]));
    project.tessera(["init", "--force"]).run().success();
    let again = fs::read_to_string(project.env_file()).unwrap();
    assert!(
        again.contains(&format!("TESSERA_ENCRYPTION_KEY={}", keys[0])),
        "kept: replacing it would lock the stored keys away"
    );
}

/// The kids an instance's JWKS publishes.
async fn published_kids(instance: &crate::cluster_support::Instance) -> Vec<String> {
    let reply = instance
        .call(axum::http::Method::GET, "/.well-known/jwks.json", &[], None)
        .await
        .unwrap();
    let jwks = reply.expect(200);
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// On SQLite there is no `NOTIFY`: with `REDIS_URL` a change made from the
/// shell reaches a running instance through Redis, the feed the instance
/// listens on, long before its 15 s resync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retire_from_the_shell_reaches_an_instance_on_sqlite_through_redis() {
    use crate::cluster_support::{ClusterDb, Instance, eventually};
    let Some(url) = crate::redis_support::machine_redis_url().await else {
        return;
    };
    let prefix = crate::redis_support::unique_prefix();
    let db = ClusterDb::sqlite();
    let vars: Vec<(String, String)> = [
        ("JWT_ALGORITHM", "ES256"),
        ("TESSERA_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY),
        ("REDIS_URL", url.as_str()),
        ("TESSERA_REDIS_PREFIX", prefix.as_str()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    let instance = Instance::start(&db, &vars);
    let kids = published_kids(&instance).await;
    assert_eq!(kids.len(), 2, "current and next: {kids:?}");

    let project = stored_project();
    let rows = listed(
        &project
            .tessera(["keys", "list"])
            .env("DATABASE_URL", db.url())
            .run()
            .success(),
    );
    let next = kid_in(&rows, "next");
    assert!(kids.contains(&next), "{kids:?} {rows:?}");
    project
        .tessera(["keys", "retire", &next])
        .env("DATABASE_URL", db.url())
        .env("REDIS_URL", &url)
        .env("TESSERA_REDIS_PREFIX", &prefix)
        .run()
        .success();
    // Well inside the resync period: only the feed can deliver this soon.
    assert!(
        eventually(std::time::Duration::from_secs(5), || async {
            !published_kids(&instance).await.contains(&next)
        })
        .await,
        "the instance still publishes the retired key: {}",
        instance.log()
    );
}
