//! Many `tessera serve` processes on one database: a logout or a refresh
//! token's reuse on one instance reaches every other within a second;
//! parallel registrations and refreshes spread over the instances keep one
//! user per name and one branch per session; and `kill -9` mid-load loses
//! no acknowledged write.
//!
//! Each scenario takes the instances' extra environment, so one line of
//! [`cluster_tests!`] runs them all over another fan-out (e.g. Redis).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tessera_server::domain::Username;

use crate::cluster_support::{Answer, ClusterDb, Instance, eventually};
use crate::http_support::{PASSWORD, Tokens, claims};

/// How soon a revocation on one instance must be refused by the others.
const PROPAGATION: Duration = Duration::from_secs(1);

/// Extra variables for every instance of a cluster.
pub type Extra = Vec<(String, String)>;

/// Declares every cluster scenario on PostgreSQL for one flavour of
/// instances: `cluster_tests!(NAME, EXTRA)` where `EXTRA` is an
/// `Option<Extra>` (`None` skips, e.g. when the service it names is not
/// configured).
macro_rules! cluster_tests {
    ($flavour:ident, $extra:expr) => {
        mod $flavour {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_logout_on_one_instance_is_refused_by_the_others() {
                on_postgres($extra, logout_reaches_every_instance).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_spent_refresh_token_replayed_elsewhere_revokes_the_session_everywhere() {
                on_postgres($extra, replay_revokes_everywhere).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn parallel_registrations_over_the_instances_keep_one_user_per_name() {
                on_postgres($extra, registrations_race).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn parallel_refreshes_over_the_instances_make_one_branch() {
                on_postgres($extra, refreshes_race).await;
            }
        }
    };
}

// PostgreSQL's NOTIFY carries the revocations.
cluster_tests!(notify, Some(Extra::new()));
// With `REDIS_URL` (the machine's Redis, a key prefix per test): Redis pub/sub
// beside NOTIFY, and the login limits shared in Redis.
cluster_tests!(
    redis,
    crate::redis_support::machine_redis_url()
        .await
        .map(|url| vec![
            ("REDIS_URL".to_owned(), url),
            (
                "TESSERA_REDIS_PREFIX".to_owned(),
                crate::redis_support::unique_prefix()
            ),
        ])
);

/// Runs `scenario` on a fresh PostgreSQL database with `extra`; skips when
/// either is `None`; drops the database afterwards, also on failure.
async fn on_postgres<F, Fut>(extra: Option<Extra>, scenario: F)
where
    F: FnOnce(Arc<ClusterDb>, Extra) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(extra) = extra else { return };
    let Some(db) = ClusterDb::postgres().await else {
        return;
    };
    let db = Arc::new(db);
    let outcome = tokio::spawn(scenario(db.clone(), extra)).await;
    if let Ok(db) = Arc::try_unwrap(db) {
        db.drop().await;
    }
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// `n` instances on `db` with `extra` and then `more` variables.
fn instances(db: &ClusterDb, n: usize, extra: &Extra, more: &[(&str, &str)]) -> Vec<Instance> {
    let mut vars = extra.clone();
    vars.extend(
        more.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    );
    (0..n).map(|_| Instance::start(db, &vars)).collect()
}

fn credentials(name: &str) -> Value {
    json!({ "username": name, "password": PASSWORD })
}

fn jti(token: &str) -> String {
    claims(token)["jti"].as_str().unwrap().to_owned()
}

async fn verify(instance: &Instance, access: &str) -> u16 {
    instance.get("/auth/verify", access).await.status
}

/// Polls until every instance in `others` refuses `access` at
/// `/auth/verify`; fails after [`PROPAGATION`].
async fn refused_everywhere_soon(others: &[&Instance], access: &str) {
    let refused = eventually(PROPAGATION, || async {
        for instance in others {
            if verify(instance, access).await != 401 {
                return false;
            }
        }
        true
    })
    .await;
    if !refused {
        for instance in others {
            eprintln!("{} log:\n{}", instance.addr, instance.log());
        }
        panic!("an instance still accepts the token {PROPAGATION:?} after its revocation");
    }
}

/// Register on A, log in on B, refresh on C, log out on B: A and C refuse
/// the access token within a second.
async fn logout_reaches_every_instance(db: Arc<ClusterDb>, extra: Extra) {
    let cluster = instances(&db, 3, &extra, &[]);
    let [a, b, c] = [&cluster[0], &cluster[1], &cluster[2]];

    a.post("/auth/register", None, Some(&credentials("ada")))
        .await
        .expect(201);
    let login = Tokens::from_body(
        b.post("/auth/login", None, Some(&credentials("ada")))
            .await
            .expect(200),
    );
    let refreshed = Tokens::from_body(
        c.post("/auth/refresh", Some(&login.refresh), None)
            .await
            .expect(200),
    );
    for instance in [a, b, c] {
        assert_eq!(verify(instance, &refreshed.access).await, 200);
        instance
            .get("/auth/me", &refreshed.access)
            .await
            .expect(200);
    }

    b.post("/auth/logout", Some(&refreshed.access), None)
        .await
        .expect(200);
    assert_eq!(verify(b, &refreshed.access).await, 401);
    refused_everywhere_soon(&[a, c], &refreshed.access).await;
    // The first access token of the session is as dead.
    refused_everywhere_soon(&[a, b, c], &login.access).await;
    let me = a.get("/auth/me", &refreshed.access).await;
    assert_eq!(me.status, 401, "{me:?}");
}

/// A refresh token spent by a rotation on A, replayed on B (no grace
/// window): reuse, and the whole session dies on every instance.
async fn replay_revokes_everywhere(db: Arc<ClusterDb>, extra: Extra) {
    let cluster = instances(&db, 3, &extra, &[("TESSERA_REFRESH_REUSE_GRACE", "off")]);
    let [a, b, c] = [&cluster[0], &cluster[1], &cluster[2]];

    a.post("/auth/register", None, Some(&credentials("ada")))
        .await
        .expect(201);
    let login = Tokens::from_body(
        a.post("/auth/login", None, Some(&credentials("ada")))
            .await
            .expect(200),
    );
    let rotated = Tokens::from_body(
        a.post("/auth/refresh", Some(&login.refresh), None)
            .await
            .expect(200),
    );
    for instance in [a, b, c] {
        assert_eq!(verify(instance, &rotated.access).await, 200);
    }

    let replay = b.post("/auth/refresh", Some(&login.refresh), None).await;
    assert_eq!(replay.status, 401, "{replay:?}");
    assert_eq!(replay.json()["error"], "refresh_token_reused", "{replay:?}");

    refused_everywhere_soon(&[a, b, c], &rotated.access).await;
    let live_branch = c.post("/auth/refresh", Some(&rotated.refresh), None).await;
    assert_eq!(live_branch.status, 401, "{live_branch:?}");
    let (_, _, revoked) = db.session(&login.sid()).await;
    assert!(revoked, "the session is not revoked in the store");
}

/// `name` in full-width letters (NFKC folds them back).
fn full_width(name: &str) -> String {
    name.chars()
        .map(|ch| char::from_u32(ch as u32 + 0xFEE0).unwrap())
        .collect()
}

/// `name` in Cyrillic look-alikes (one script, the same skeleton).
fn cyrillic(name: &str) -> String {
    name.chars()
        .map(|ch| match ch {
            'a' => '\u{430}',
            'c' => '\u{441}',
            'e' => '\u{435}',
            'o' => '\u{43e}',
            'p' => '\u{440}',
            'x' => '\u{445}',
            'y' => '\u{443}',
            other => panic!("no Cyrillic look-alike for {other}"),
        })
        .collect()
}

/// 40 names of four letters that all have Cyrillic look-alikes, each in
/// five spellings the server must treat as one user: lower case, upper
/// case, capitalised, full-width, Cyrillic.
fn registration_groups() -> Vec<Vec<String>> {
    const LETTERS: [char; 7] = ['a', 'c', 'e', 'o', 'p', 'x', 'y'];
    (0..40usize)
        .map(|i| {
            let mut n = i * 53 + 11;
            let name: String = (0..4)
                .map(|_| {
                    let letter = LETTERS[n % 7];
                    n /= 7;
                    letter
                })
                .collect();
            let mut capitalised = name.clone();
            capitalised.replace_range(0..1, &name[0..1].to_uppercase());
            vec![
                name.clone(),
                name.to_uppercase(),
                capitalised,
                full_width(&name),
                cyrillic(&name),
            ]
        })
        .collect()
}

/// 200 registrations at once, spread over three instances, 40 names in five
/// spellings each: one user per name, every 201 stored, the rest 409.
async fn registrations_race(db: Arc<ClusterDb>, extra: Extra) {
    let cluster = Arc::new(instances(&db, 3, &extra, &[]));
    let groups = registration_groups();
    let distinct: BTreeSet<&str> = groups.iter().map(|group| group[0].as_str()).collect();
    assert_eq!(distinct.len(), groups.len(), "the test's names collide");

    let mut calls = Vec::new();
    let mut turn = 0usize;
    // Interleave the groups so that every name's spellings race each other.
    for variant in 0..5 {
        for (group, spellings) in groups.iter().enumerate() {
            let cluster = cluster.clone();
            let name = spellings[variant].clone();
            let at = turn % 3;
            turn += 1;
            calls.push(tokio::spawn(async move {
                let answer = cluster[at]
                    .post("/auth/register", None, Some(&credentials(&name)))
                    .await;
                (group, name, answer)
            }));
        }
    }
    assert_eq!(calls.len(), 200);
    let mut acknowledged: BTreeMap<usize, Vec<(String, Answer)>> = BTreeMap::new();
    for call in calls {
        let (group, name, answer) = call.await.unwrap();
        match answer.status {
            201 => acknowledged.entry(group).or_default().push((name, answer)),
            409 => assert_eq!(answer.json()["error"], "username_taken", "{answer:?}"),
            _ => panic!("{name:?}: neither stored nor taken: {answer:?}"),
        }
    }

    let stored: BTreeMap<String, String> = db.users().await.into_iter().collect();
    for (group, spellings) in groups.iter().enumerate() {
        let winners = acknowledged.get(&group).map_or(0, Vec::len);
        assert_eq!(
            winners, 1,
            "{spellings:?}: {winners} registrations acknowledged"
        );
    }
    for (name, answer) in acknowledged.values().flatten() {
        let user = answer.json();
        let id = user["id"].as_str().unwrap();
        let display = Username::parse(name).unwrap();
        assert_eq!(
            stored.get(id).map(String::as_str),
            Some(display.as_str()),
            "acknowledged {name:?} is not stored as such"
        );
    }
    // No two stored users share a key or a skeleton.
    assert_eq!(stored.len(), groups.len(), "{stored:?}");
    let keys: BTreeSet<String> = stored
        .values()
        .map(|name| Username::parse(name).unwrap().key().to_owned())
        .collect();
    let skeletons: BTreeSet<String> = stored
        .values()
        .map(|name| Username::parse(name).unwrap().skeleton().to_owned())
        .collect();
    assert_eq!(keys.len(), stored.len(), "{stored:?}");
    assert_eq!(skeletons.len(), stored.len(), "{stored:?}");
}

/// 50 refreshes of one token at once over three instances: one rotation in
/// the store, every 200 carries its branch, the rest are told to retry.
async fn refreshes_race(db: Arc<ClusterDb>, extra: Extra) {
    let cluster = Arc::new(instances(&db, 3, &extra, &[]));
    cluster[0]
        .post("/auth/register", None, Some(&credentials("ada")))
        .await
        .expect(201);
    let login = Tokens::from_body(
        cluster[1]
            .post("/auth/login", None, Some(&credentials("ada")))
            .await
            .expect(200),
    );

    let calls: Vec<_> = (0..50)
        .map(|i| {
            let cluster = cluster.clone();
            let refresh = login.refresh.clone();
            tokio::spawn(async move {
                cluster[i % 3]
                    .post("/auth/refresh", Some(&refresh), None)
                    .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap());
    }

    let (current, previous, revoked) = db.session(&login.sid()).await;
    assert!(!revoked, "the session was revoked");
    // Exactly one rotation: the stored branch replaced the login's token.
    assert_eq!(previous.as_deref(), Some(jti(&login.refresh).as_str()));
    let mut branches = 0;
    for answer in &answers {
        match answer.status {
            200 => {
                branches += 1;
                let tokens = Tokens::from_body(answer.json());
                assert_eq!(jti(&tokens.refresh), current, "a second branch: {answer:?}");
            }
            409 => assert_eq!(answer.json()["error"], "session_busy", "{answer:?}"),
            _ => panic!("neither the branch nor a retryable refusal: {answer:?}"),
        }
    }
    assert!(branches >= 1, "no refresh succeeded");
    eprintln!(
        "50 parallel refreshes: {branches} answered with the branch, {} told to retry",
        answers.len() - branches
    );

    // The session carries on from the one branch, on any instance.
    let winner = Tokens::from_body(answers.iter().find(|a| a.status == 200).unwrap().json());
    let next = Tokens::from_body(
        cluster[2]
            .post("/auth/refresh", Some(&winner.refresh), None)
            .await
            .expect(200),
    );
    for instance in cluster.iter() {
        instance.get("/auth/me", &next.access).await.expect(200);
    }
}

/// Registrations from several clients at once while the instance is
/// killed with SIGKILL: every 201 it answered is in the store, and a new
/// instance on the same database logs those users in.
async fn kill_9_loses_no_acknowledged_write(db: Arc<ClusterDb>, extra: Extra) {
    const CLIENTS: usize = 6;
    const KILL_AFTER: usize = 40;
    let mut instance = Instance::start(&db, &extra);
    let addr = instance.addr.clone();
    let acknowledged_count = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let addr = addr.clone();
            let count = acknowledged_count.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in 0.. {
                    let name = format!("user{client}x{n}");
                    let body = credentials(&name);
                    match crate::cluster_support::call(
                        &addr,
                        axum::http::Method::POST,
                        "/auth/register",
                        &[],
                        Some(&body),
                    )
                    .await
                    {
                        Ok(answer) if answer.status == 201 => {
                            acknowledged.push(name);
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(answer) => panic!("{name}: {answer:?}"),
                        // The instance is gone: whatever was not answered
                        // was not promised.
                        Err(_) => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    let loaded = eventually(Duration::from_secs(120), || {
        let count = acknowledged_count.clone();
        async move { count.load(Ordering::SeqCst) >= KILL_AFTER }
    })
    .await;
    assert!(
        loaded,
        "the instance never reached {KILL_AFTER} registrations"
    );
    instance.kill_9();
    let mut acknowledged = Vec::new();
    for worker in workers {
        acknowledged.extend(worker.await.unwrap());
    }
    assert!(acknowledged.len() >= KILL_AFTER);
    eprintln!(
        "kill -9 after {} acknowledged registrations",
        acknowledged.len()
    );

    let stored: BTreeSet<String> = db.users().await.into_iter().map(|(_, name)| name).collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|name| !stored.contains(*name))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged but lost after kill -9: {lost:?}"
    );

    // A new instance on the same database takes over.
    let successor = Instance::start(&db, &extra);
    let last = acknowledged.last().unwrap();
    successor
        .post("/auth/login", None, Some(&credentials(last)))
        .await
        .expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_load_loses_no_acknowledged_write_on_sqlite() {
    kill_9_loses_no_acknowledged_write(Arc::new(ClusterDb::sqlite()), Extra::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_load_loses_no_acknowledged_write_on_postgres() {
    on_postgres(Some(Extra::new()), kill_9_loses_no_acknowledged_write).await;
}
