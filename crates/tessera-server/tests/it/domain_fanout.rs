//! Revocations reach other instances on the same PostgreSQL database at
//! once (LISTEN/NOTIFY), not only at the next periodic resync, which none
//! of these tests runs.

use std::time::Duration;

use tessera_server::domain::LogoutScope;

use crate::store_support::{Harness, Kind, run, test_settings};

/// Long enough for any healthy machine; the wait ends as soon as it holds.
const PATIENCE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_listener_wakes_when_another_store_records_a_revocation() {
    run(Kind::Postgres, |db| async move {
        let first = Harness::open(&db).await;
        let other = db.store().await;
        let mut listener = other
            .revocation_listener()
            .await
            .unwrap()
            .expect("PostgreSQL has a listener");
        first.user("ada").await;
        let grant = first.login("ada").await;
        first
            .auth
            .logout(&grant.user.id, Some(&grant.session.id), LogoutScope::Local)
            .await
            .unwrap();
        tokio::time::timeout(PATIENCE, listener.changed())
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
        let grant = first.login("ada").await;
        let second = first.reopen(test_settings()).await;
        assert!(!second.revoked().is_session_revoked(&grant.session.id));

        let follower = tokio::spawn({
            let second = second.clone();
            async move { second.follow_revocations().await }
        });
        first
            .auth
            .logout(&grant.user.id, Some(&grant.session.id), LogoutScope::Local)
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !second.revoked().is_session_revoked(&grant.session.id) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the other instance never learned of the logout"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        follower.abort();
    })
    .await;
}

#[tokio::test]
async fn sqlite_has_no_listener_and_following_returns_at_once() {
    run(Kind::Sqlite, |db| async move {
        let h = Harness::open(&db).await;
        assert!(
            h.auth
                .store()
                .revocation_listener()
                .await
                .unwrap()
                .is_none()
        );
        tokio::time::timeout(PATIENCE, h.auth.follow_revocations())
            .await
            .expect("returns at once")
            .unwrap();
    })
    .await;
}
