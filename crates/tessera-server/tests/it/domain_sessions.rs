//! Logout scopes, session listing and ending, on each backend.

use tessera_server::domain::{AccountError, LogoutScope, RefreshError, Resource};

use crate::store_support::{Harness, backend_tests, client};

fn is_revoked(h: &Harness, sid: &str) -> bool {
    h.auth.revoked().is_revoked(Some(sid), "unrelated-jti")
}

backend_tests! {
    async fn logout_local_ends_only_the_callers_session(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let (here, there) = (h.login("ada").await, h.login("ada").await);
        let ended = h.auth.logout(&user.id, Some(&here.session.id), LogoutScope::Local).await.unwrap();
        assert_eq!(ended, 1);
        assert!(is_revoked(&h, &here.session.id));
        assert!(!is_revoked(&h, &there.session.id));
        h.auth.rotate(&there.session.id, &there.refresh_jti).await.unwrap();
    }

    async fn logout_others_keeps_only_the_callers_session(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let (here, a, b) = (h.login("ada").await, h.login("ada").await, h.login("ada").await);
        let ended = h.auth.logout(&user.id, Some(&here.session.id), LogoutScope::Others).await.unwrap();
        assert_eq!(ended, 2);
        assert!(!is_revoked(&h, &here.session.id));
        assert!(is_revoked(&h, &a.session.id) && is_revoked(&h, &b.session.id));
        let sessions = h.auth.list_sessions(&user.id, Some(&here.session.id)).await.unwrap();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].id, here.session.id);
    }

    async fn logout_global_ends_every_session_of_the_user_only(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        h.user("bob").await;
        let (here, there) = (h.login("ada").await, h.login("ada").await);
        let bobs = h.login("bob").await;
        let ended = h.auth.logout(&user.id, Some(&here.session.id), LogoutScope::Global).await.unwrap();
        assert_eq!(ended, 2);
        assert!(is_revoked(&h, &here.session.id) && is_revoked(&h, &there.session.id));
        assert!(!is_revoked(&h, &bobs.session.id));
        let err = h.auth.rotate(&there.session.id, &there.refresh_jti).await.unwrap_err();
        assert!(matches!(err, AccountError::Refresh(RefreshError::Revoked)), "{err:?}");
    }

    async fn logout_local_cannot_end_another_users_session(db) {
        let h = Harness::open(&db).await;
        let ada = h.user("ada").await;
        h.user("bob").await;
        let bobs = h.login("bob").await;
        let ended = h.auth.logout(&ada.id, Some(&bobs.session.id), LogoutScope::Local).await.unwrap();
        assert_eq!(ended, 0);
        assert!(!is_revoked(&h, &bobs.session.id));
    }

    async fn logout_is_audited_with_its_scope(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let here = h.login("ada").await;
        h.auth.logout(&user.id, Some(&here.session.id), LogoutScope::Global).await.unwrap();
        let page = h
            .auth
            .audit_events(&tessera_server::domain::AuditQuery { kind: Some("logout".into()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].detail["scope"], "global");
    }

    async fn scope_names_parse(db) {
        let _ = db;
        assert_eq!("local".parse::<LogoutScope>(), Ok(LogoutScope::Local));
        assert_eq!("others".parse::<LogoutScope>(), Ok(LogoutScope::Others));
        assert_eq!("global".parse::<LogoutScope>(), Ok(LogoutScope::Global));
        assert!("everything".parse::<LogoutScope>().is_err());
        assert_eq!(LogoutScope::default(), LogoutScope::Local);
    }

    async fn sessions_list_the_live_ones_with_the_current_marked(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let phone = h.auth.login("ada", &crate::store_support::GOOD_PASSWORD.into(), client("Phone/1", "192.0.2.1")).await.unwrap();
        h.clock.advance(10);
        let laptop = h.auth.login("ada", &crate::store_support::GOOD_PASSWORD.into(), client("Laptop/2", "192.0.2.2")).await.unwrap();
        h.clock.advance(10);
        let ended = h.login("ada").await;
        h.auth.end_session(&user.id, &ended.session.id).await.unwrap();

        let sessions = h.auth.list_sessions(&user.id, Some(&phone.session.id)).await.unwrap();
        assert_eq!(sessions.len(), 2);
        // Most recently used first.
        assert_eq!(sessions[0].id, laptop.session.id);
        assert_eq!(sessions[0].user_agent.as_deref(), Some("Laptop/2"));
        assert_eq!(sessions[0].ip.as_deref(), Some("192.0.2.2"));
        assert!(!sessions[0].current);
        assert_eq!(sessions[1].id, phone.session.id);
        assert!(sessions[1].current);
    }

    async fn rotation_moves_a_session_to_the_top_of_the_list(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let older = h.login("ada").await;
        h.clock.advance(10);
        h.login("ada").await;
        h.clock.advance(10);
        h.auth.rotate(&older.session.id, &older.refresh_jti).await.unwrap();
        let sessions = h.auth.list_sessions(&user.id, None).await.unwrap();
        assert_eq!(sessions[0].id, older.session.id);
        assert_eq!(sessions[0].last_used_at, crate::store_support::START + 20);
    }

    async fn ending_an_own_session_revokes_it(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let other = h.login("ada").await;
        h.auth.end_session(&user.id, &other.session.id).await.unwrap();
        assert!(is_revoked(&h, &other.session.id));
        let record = h.auth.store().session(&other.session.id).await.unwrap().unwrap();
        assert_eq!(record.revoked_reason.as_deref(), Some("session_ended"));
        // Ending it again is fine.
        h.auth.end_session(&user.id, &other.session.id).await.unwrap();
    }

    async fn ending_another_users_session_is_not_found_and_changes_nothing(db) {
        let h = Harness::open(&db).await;
        let ada = h.user("ada").await;
        h.user("bob").await;
        let bobs = h.login("bob").await;
        let err = h.auth.end_session(&ada.id, &bobs.session.id).await.unwrap_err();
        assert!(matches!(err, AccountError::NotFound(Resource::Session)), "{err:?}");
        let unknown = h.auth.end_session(&ada.id, "no-such-session").await.unwrap_err();
        assert_eq!(unknown.to_string(), err.to_string());
        assert!(!is_revoked(&h, &bobs.session.id));
        h.auth.rotate(&bobs.session.id, &bobs.refresh_jti).await.unwrap();
    }

    async fn client_details_are_cut_to_a_bounded_length(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let agent = "A".repeat(5000);
        let grant = h.auth.login("ada", &crate::store_support::GOOD_PASSWORD.into(), client(&agent, "::1")).await.unwrap();
        let sessions = h.auth.list_sessions(&user.id, Some(&grant.session.id)).await.unwrap();
        assert_eq!(sessions[0].user_agent.as_ref().map(String::len), Some(512));
    }
}
