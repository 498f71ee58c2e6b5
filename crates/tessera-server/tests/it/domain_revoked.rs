//! The in-memory revoked set: checks, restarts, other instances, pruning.

use tessera_server::domain::{LogoutScope, Password, RevokedSet, whole_seconds};
use tessera_server::store::RevocationKind;

use crate::store_support::{GOOD_PASSWORD, Harness, START, backend_tests, test_settings};

#[test]
fn revoked_set_checks_sessions_and_access_tokens_separately() {
    let set = RevokedSet::new();
    set.insert(RevocationKind::Session, "sid-1", START + 100);
    set.insert(RevocationKind::Access, "jti-1", START + 100);
    assert!(set.is_revoked(Some("sid-1"), "fresh-jti"));
    assert!(set.is_revoked(None, "jti-1"));
    assert!(set.is_revoked(Some("sid-2"), "jti-1"));
    assert!(!set.is_revoked(Some("sid-2"), "jti-2"));
    assert!(
        !set.is_revoked(None, "sid-1"),
        "a session id is not an access jti"
    );
    assert!(set.is_session_revoked("sid-1"));
    assert_eq!(set.len(), 2);
}

#[test]
fn revoked_set_prunes_entries_no_token_can_outlive() {
    let set = RevokedSet::new();
    set.insert(RevocationKind::Session, "old", START + 10);
    set.insert(RevocationKind::Access, "new", START + 100);
    assert_eq!(set.prune(START + 10), 1);
    assert!(!set.is_revoked(Some("old"), "x"));
    assert!(set.is_revoked(None, "new"));
    assert_eq!(set.prune(START + 100), 1);
    assert!(set.is_empty());
}

#[test]
fn revoked_set_keeps_the_later_expiry_of_a_repeated_entry() {
    let set = RevokedSet::new();
    set.insert(RevocationKind::Access, "jti", START + 100);
    set.insert(RevocationKind::Access, "jti", START + 10);
    set.prune(START + 50);
    assert!(set.is_revoked(None, "jti"));
}

backend_tests! {
    async fn a_revoked_access_token_is_reported(db) {
        let h = Harness::open(&db).await;
        h.auth.revoke_access_token("jti-123", START + 900).await.unwrap();
        assert!(h.auth.revoked().is_revoked(None, "jti-123"));
        assert!(!h.auth.revoked().is_revoked(None, "jti-456"));
    }

    async fn a_restart_keeps_users_and_revocations(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let (ended, live) = (h.login("ada").await, h.login("ada").await);
        h.auth.logout(&user.id, Some(&ended.session.id), LogoutScope::Local).await.unwrap();
        h.auth.revoke_access_token("jti-123", START + 900).await.unwrap();
        h.auth.store().close().await;

        let restarted = h.reopen(test_settings()).await;
        assert!(restarted.revoked().is_revoked(Some(&ended.session.id), "x"));
        assert!(restarted.revoked().is_revoked(None, "jti-123"));
        assert!(!restarted.revoked().is_revoked(Some(&live.session.id), "x"));
        assert_eq!(restarted.user(&user.id).await.unwrap(), user);
        restarted.login("ada", &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap();
        restarted.rotate(&live.session.id, &live.refresh_jti).await.unwrap();
    }

    async fn a_restart_loads_only_unexpired_revocations(db) {
        let h = Harness::open(&db).await;
        h.auth.revoke_access_token("short-lived", START + 60).await.unwrap();
        h.auth.revoke_access_token("long-lived", START + 6000).await.unwrap();
        h.clock.advance(61);
        let restarted = h.reopen(test_settings()).await;
        assert!(!restarted.revoked().is_revoked(None, "short-lived"));
        assert!(restarted.revoked().is_revoked(None, "long-lived"));
        assert_eq!(restarted.revoked().len(), 1);
    }

    async fn a_revoked_session_stays_revoked_until_its_last_access_token_expires(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let grant = h.login("ada").await;
        h.auth.logout(&user.id, Some(&grant.session.id), LogoutScope::Local).await.unwrap();
        let settings = h.auth.settings().clone();
        let last_access_exp = grant.session.expires_at + whole_seconds(settings.access_token_lifetime);
        h.clock.set(last_access_exp - 1);
        assert!(h.reopen(settings.clone()).await.revoked().is_revoked(Some(&grant.session.id), "x"));
        h.clock.set(last_access_exp);
        assert!(!h.reopen(settings).await.revoked().is_revoked(Some(&grant.session.id), "x"));
    }

    async fn another_instance_sees_revocations_after_a_sync(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let grant = h.login("ada").await;
        let other = h.reopen(test_settings()).await;
        h.auth.logout(&user.id, Some(&grant.session.id), LogoutScope::Local).await.unwrap();
        h.auth.revoke_access_token("jti-9", START + 900).await.unwrap();
        assert!(!other.revoked().is_revoked(Some(&grant.session.id), "x"));
        assert_eq!(other.sync_revocations().await.unwrap(), 2);
        assert!(other.revoked().is_revoked(Some(&grant.session.id), "x"));
        assert!(other.revoked().is_revoked(None, "jti-9"));
    }

    async fn housekeeping_drops_what_can_no_longer_matter(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let grant = h.login("ada").await;
        h.auth.logout(&user.id, Some(&grant.session.id), LogoutScope::Local).await.unwrap();
        h.auth.revoke_access_token("jti-1", START + 60).await.unwrap();
        let settings = h.auth.settings().clone();

        h.clock.advance(61);
        let done = h.auth.housekeeping().await.unwrap();
        assert_eq!((done.revoked_pruned, done.revocations_deleted, done.sessions_deleted), (1, 1, 0));

        h.clock.set(
            grant.session.expires_at
                + whole_seconds(settings.access_token_lifetime)
                + whole_seconds(settings.session_lifetime),
        );
        let done = h.auth.housekeeping().await.unwrap();
        assert_eq!((done.revoked_pruned, done.revocations_deleted, done.sessions_deleted), (1, 1, 1));
        assert!(h.auth.store().session(&grant.session.id).await.unwrap().is_none());
    }
}
