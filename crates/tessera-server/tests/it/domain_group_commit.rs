//! Refreshes committed together (SQLite's group commit; PostgreSQL commits
//! each on its own): every answered rotation is on disk, each is decided as
//! on its own, and a batch that cannot commit answers every waiter with an
//! error.

use sqlx::{Connection, Executor};
use tessera_server::domain::{AccountError, Grant, RotationOutcome};

use crate::store_support::{Harness, Kind, TestDb, backend_tests, run, test_settings};

/// Sessions refreshed at once.
const PARALLEL: usize = 48;

/// Logs `count` sessions of one user in.
async fn sessions(h: &Harness, count: usize) -> Vec<Grant> {
    h.user("ada").await;
    let mut grants = Vec::with_capacity(count);
    for _ in 0..count {
        grants.push(h.login("ada").await);
    }
    grants
}

/// Rotates every grant at once, each from its own task.
async fn rotate_all(
    auth: &tessera_server::domain::AuthService,
    grants: &[Grant],
) -> Vec<Result<tessera_server::domain::Rotation, AccountError>> {
    let tasks: Vec<_> = grants
        .iter()
        .map(|grant| {
            let auth = auth.clone();
            let (sid, jti) = (grant.session.id.clone(), grant.refresh_jti.clone());
            tokio::spawn(async move { auth.rotate(&sid, &jti).await })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

backend_tests! {
    async fn parallel_refreshes_of_different_sessions_all_succeed_and_are_all_stored(db) {
        let h = Harness::open(&db).await;
        let grants = sessions(&h, PARALLEL).await;
        h.clock.advance(30);
        let answers = rotate_all(&h.auth, &grants).await;
        let mut issued = Vec::with_capacity(PARALLEL);
        for (grant, answer) in grants.iter().zip(answers) {
            let rotation = answer.unwrap();
            assert_eq!(rotation.outcome, RotationOutcome::Rotated);
            assert_eq!(rotation.grant.session.id, grant.session.id);
            issued.push((grant.session.id.clone(), rotation.grant.refresh_jti));
        }
        // Closed and opened again (a restart): every answered rotation is there.
        h.auth.store().close().await;
        let store = db.store().await;
        for (sid, jti) in &issued {
            let stored = store.session(sid).await.unwrap().unwrap();
            assert_eq!(&stored.refresh_jti, jti, "session {sid}");
        }
        // And the new tokens work on the reopened store.
        let reopened = h.reopen(test_settings()).await;
        for (sid, jti) in issued.iter().take(4) {
            let again = reopened.rotate(sid, jti).await.unwrap();
            assert_eq!(again.outcome, RotationOutcome::Rotated);
        }
    }

    async fn parallel_refreshes_of_one_token_still_have_exactly_one_winner(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        h.clock.advance(30);
        let same = vec![login.clone(); PARALLEL];
        let answers = rotate_all(&h.auth, &same).await;
        let mut winners = 0;
        let mut handed_out = std::collections::BTreeSet::new();
        for answer in answers {
            let rotation = answer.unwrap();
            match rotation.outcome {
                RotationOutcome::Rotated => winners += 1,
                RotationOutcome::GraceReplay => {}
            }
            handed_out.insert(rotation.grant.refresh_jti);
        }
        assert_eq!(winners, 1, "exactly one rotation wins");
        assert_eq!(handed_out.len(), 1, "every answer carries the one live branch");
        let stored = h.auth.store().session(&login.session.id).await.unwrap().unwrap();
        assert_eq!(Some(&stored.refresh_jti), handed_out.first());
        assert_eq!(stored.previous_jti.as_deref(), Some(login.refresh_jti.as_str()));
    }
}

/// Makes every commit that rotated a refresh token fail (a deferred foreign
/// key, checked at `COMMIT`, to a row that does not exist), or lifts that.
async fn fail_rotation_commits(db: &TestDb, fail: bool) {
    let TestDb::Sqlite(path) = db else {
        panic!("SQLite only")
    };
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let statements = if fail {
        "CREATE TABLE test_commit_fails ( \
             session_id TEXT REFERENCES test_missing_parent(id) DEFERRABLE INITIALLY DEFERRED); \
         CREATE TABLE test_missing_parent (id TEXT PRIMARY KEY); \
         CREATE TRIGGER test_rotation_commit_fails AFTER UPDATE OF refresh_jti ON sessions \
         BEGIN INSERT INTO test_commit_fails VALUES (NEW.id); END;"
    } else {
        "DROP TRIGGER test_rotation_commit_fails; DROP TABLE test_commit_fails; \
         DROP TABLE test_missing_parent;"
    };
    conn.execute(statements).await.unwrap();
    conn.close().await.unwrap();
}

/// A batch whose commit fails answers every waiter with an error, and
/// none of its rotations is stored; once commits work again, so do refreshes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_group_commit_answers_every_waiter_with_an_error_sqlite() {
    run(Kind::Sqlite, |db| async move {
        let h = Harness::open(&db).await;
        let grants = sessions(&h, PARALLEL).await;
        h.clock.advance(30);
        fail_rotation_commits(&db, true).await;
        let answers = rotate_all(&h.auth, &grants).await;
        for answer in &answers {
            assert!(
                matches!(answer, Err(AccountError::Store(_))),
                "no rotation may be answered as done: {answer:?}"
            );
        }
        for grant in &grants {
            let stored = h
                .auth
                .store()
                .session(&grant.session.id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                stored.refresh_jti, grant.refresh_jti,
                "nothing of the failed batch is kept"
            );
            assert_eq!(stored.previous_jti, None);
        }
        fail_rotation_commits(&db, false).await;
        let answers = rotate_all(&h.auth, &grants).await;
        for answer in &answers {
            assert_eq!(answer.as_ref().unwrap().outcome, RotationOutcome::Rotated);
        }
    })
    .await;
}
