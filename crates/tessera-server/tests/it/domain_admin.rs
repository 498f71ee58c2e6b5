//! Admin operations and the audit trail, on each backend.

use tessera_server::domain::{
    AccountError, Amr, AuditQuery, NewAccount, Password, Problem, Resource, UserQuery,
    ValidationError,
};

use crate::store_support::{GOOD_PASSWORD, Harness, backend_tests};

fn account(name: &str, roles: &[&str]) -> NewAccount {
    NewAccount {
        username: name.to_owned(),
        password: Password::new(GOOD_PASSWORD),
        email: None,
        roles: roles.iter().map(|role| (*role).to_owned()).collect(),
    }
}

backend_tests! {
    async fn bootstrap_admin_is_created_with_the_role_and_can_log_in(db) {
        let h = Harness::open(&db).await;
        let admin = h.auth.create_user(account("root", &["admin"]), None).await.unwrap();
        assert_eq!(admin.roles, vec!["admin".to_owned()]);
        let grant = h.login("root").await;
        assert_eq!(grant.user.roles, vec!["admin".to_owned()]);
        let page = h.auth.audit_events(&AuditQuery { kind: Some("user_created".into()), ..Default::default() }).await.unwrap();
        assert_eq!(page.items[0].detail["roles"][0], "admin");
    }

    async fn creating_a_user_applies_the_same_rules(db) {
        let h = Harness::open(&db).await;
        h.auth.create_user(account("root", &["admin"]), None).await.unwrap();
        let taken = h.auth.create_user(account("ROOT", &["admin"]), None).await.unwrap_err();
        assert!(matches!(taken, AccountError::UsernameTaken), "{taken:?}");
        let weak = h.auth.create_user(NewAccount { password: Password::new("password"), ..account("other", &[]) }, None).await.unwrap_err();
        assert!(matches!(weak, AccountError::Validation(ValidationError { field: "password", .. })), "{weak:?}");
    }

    async fn users_are_listed_in_pages(db) {
        let h = Harness::open(&db).await;
        for name in ["alpha", "bravo", "charlie", "delta", "echo"] {
            h.user(name).await;
            h.clock.advance(1);
        }
        let first = h.auth.list_users(&UserQuery { offset: 0, limit: 2, search: None }).await.unwrap();
        assert_eq!(first.total, 5);
        assert_eq!(first.items.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["alpha", "bravo"]);
        let last = h.auth.list_users(&UserQuery { offset: 4, limit: 2, search: None }).await.unwrap();
        assert_eq!(last.items.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["echo"]);
        let clamped = h.auth.list_users(&UserQuery { offset: -3, limit: 10_000, search: None }).await.unwrap();
        assert_eq!((clamped.offset, clamped.limit, clamped.items.len()), (0, 100, 5));
    }

    async fn user_search_is_case_insensitive_and_literal(db) {
        let h = Harness::open(&db).await;
        h.user("Marie.Curie").await;
        h.user("pierre_curie").await;
        h.user("irene").await;
        let page = h.auth.list_users(&UserQuery { search: Some("CURIE".into()), ..Default::default() }).await.unwrap();
        assert_eq!(page.total, 2);
        // `_` and `%` are matched as themselves, not as wildcards.
        let page = h.auth.list_users(&UserQuery { search: Some("e_c".into()), ..Default::default() }).await.unwrap();
        assert_eq!(page.items.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["pierre_curie"]);
        let page = h.auth.list_users(&UserQuery { search: Some("%".into()), ..Default::default() }).await.unwrap();
        assert_eq!(page.total, 0);
    }

    async fn roles_are_validated_sorted_and_deduplicated(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let updated = h.auth.set_roles(Some("admin-id"), &user.id, &["editor", "admin", "editor"]).await.unwrap();
        assert_eq!(updated.roles, ["admin", "editor"]);
        assert_eq!(h.auth.user(&user.id).await.unwrap().roles, ["admin", "editor"]);
        let err = h.auth.set_roles(None, &user.id, &["has space"]).await.unwrap_err();
        assert!(matches!(err, AccountError::Validation(ValidationError { field: "roles", problem: Problem::InvalidCharacters })), "{err:?}");
        let err = h.auth.set_roles(None, "no-such-user", &["admin"]).await.unwrap_err();
        assert!(matches!(err, AccountError::NotFound(Resource::User)), "{err:?}");
    }

    async fn adding_roles_keeps_sessions_and_removing_one_ends_them(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let grant = h.login("ada").await;
        h.auth.set_roles(None, &user.id, &["admin", "editor"]).await.unwrap();
        assert!(!h.auth.revoked().is_revoked(Some(&grant.session.id), "x"));
        h.auth.set_roles(None, &user.id, &["editor"]).await.unwrap();
        assert!(h.auth.revoked().is_revoked(Some(&grant.session.id), "x"));
    }

    async fn disabling_ends_every_session_and_blocks_login(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let (a, b) = (h.login("ada").await, h.login("ada").await);
        let updated = h.auth.set_disabled(Some("admin-id"), &user.id, true).await.unwrap();
        assert!(updated.disabled);
        assert!(h.auth.revoked().is_revoked(Some(&a.session.id), "x"));
        assert!(h.auth.revoked().is_revoked(Some(&b.session.id), "x"));
        assert!(h.auth.list_sessions(&user.id, None).await.unwrap().is_empty());
        let err = h.auth.login("ada", &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap_err();
        assert!(matches!(err, AccountError::InvalidCredentials), "{err:?}");
        let err = h.auth.create_session(&updated, Default::default(), Amr::password()).await.unwrap_err();
        assert!(matches!(err, AccountError::InvalidCredentials), "{err:?}");
        let page = h.auth.audit_events(&AuditQuery { kind: Some("user_disabled".into()), ..Default::default() }).await.unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].detail["by"], "admin-id");
    }

    async fn enabling_allows_login_again(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        h.auth.set_disabled(None, &user.id, true).await.unwrap();
        let updated = h.auth.set_disabled(None, &user.id, false).await.unwrap();
        assert!(!updated.disabled);
        h.login("ada").await;
    }

    async fn deleting_a_user_ends_their_sessions_and_frees_the_name(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let grant = h.login("ada").await;
        h.auth.delete_user(Some("admin-id"), &user.id).await.unwrap();
        assert!(h.auth.revoked().is_revoked(Some(&grant.session.id), "x"));
        let err = h.auth.user(&user.id).await.unwrap_err();
        assert!(matches!(err, AccountError::NotFound(Resource::User)), "{err:?}");
        let again = h.auth.delete_user(None, &user.id).await.unwrap_err();
        assert!(matches!(again, AccountError::NotFound(Resource::User)), "{again:?}");
        let reborn = h.user("ada").await;
        assert_ne!(reborn.id, user.id);
        // The trail outlives the user.
        let page = h.auth.audit_events(&AuditQuery { user_id: Some(user.id.clone()), ..Default::default() }).await.unwrap();
        assert_eq!(page.items[0].kind, "user_deleted");
    }

    async fn an_admin_sees_a_users_live_sessions(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let (a, b) = (h.login("ada").await, h.login("ada").await);
        h.auth.end_session(&user.id, &a.session.id).await.unwrap();
        let sessions = h.auth.user_sessions(&user.id).await.unwrap();
        assert_eq!(sessions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), [b.session.id.as_str()]);
        assert!(!sessions[0].current);
        let err = h.auth.user_sessions("no-such-user").await.unwrap_err();
        assert!(matches!(err, AccountError::NotFound(Resource::User)), "{err:?}");
    }

    async fn audit_lists_newest_first_and_filters(db) {
        let h = Harness::open(&db).await;
        let ada = h.user("ada").await;
        h.user("bob").await;
        h.login("ada").await;
        h.login("bob").await;
        let all = h.auth.audit_events(&AuditQuery::default()).await.unwrap();
        assert_eq!(all.total, 4);
        assert_eq!(all.items.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["login", "login", "user_registered", "user_registered"]);
        assert!(all.items.windows(2).all(|pair| pair[0].id > pair[1].id));
        let adas = h.auth.audit_events(&AuditQuery { user_id: Some(ada.id.clone()), ..Default::default() }).await.unwrap();
        assert_eq!(adas.total, 2);
        let page = h.auth.audit_events(&AuditQuery { offset: 1, limit: 2, ..Default::default() }).await.unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].id, all.items[1].id);
    }

    async fn a_login_whose_password_check_straddles_a_disable_gets_no_session(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        // The password is checked (the account is enabled then) ...
        let checked = h.auth.authenticate("ada", &Password::new(GOOD_PASSWORD), &Default::default()).await.unwrap();
        // ... an admin disables the account while the hash runs ...
        h.auth.set_disabled(Some("admin-id"), &checked.id, true).await.unwrap();
        // ... and the login must not come out with a live session.
        let outcome = h.auth.create_session(&checked, Default::default(), Amr::password()).await;
        assert!(matches!(outcome, Err(AccountError::InvalidCredentials)), "{outcome:?}");
        assert!(h.auth.list_sessions(&checked.id, None).await.unwrap().is_empty());
    }

    async fn a_login_whose_password_check_straddles_a_password_change_gets_no_session(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        // The old password is checked against the hash stored then ...
        let checked = h.auth.authenticate("ada", &Password::new(GOOD_PASSWORD), &Default::default()).await.unwrap();
        let matched = h.auth.store().user_by_id(&checked.id).await.unwrap().unwrap().password_hash.unwrap();
        // ... the owner changes the password while the hash runs ...
        h.auth
            .change_password(&checked.id, None, &Password::new(GOOD_PASSWORD), &Password::new("a-whole-new-secret-phrase"))
            .await
            .unwrap();
        // ... and the login with the old password keeps no session.
        let outcome = h.auth.create_session_for_password(&checked, Default::default(), Amr::password(), &matched).await;
        assert!(matches!(outcome, Err(AccountError::InvalidCredentials)), "{outcome:?}");
        assert!(h.auth.list_sessions(&checked.id, None).await.unwrap().is_empty());
        // With the hash unchanged the same call starts a session.
        let current = h.auth.store().user_by_id(&checked.id).await.unwrap().unwrap().password_hash.unwrap();
        h.auth.create_session_for_password(&checked, Default::default(), Amr::password(), &current).await.unwrap();
    }

    async fn a_login_whose_password_check_straddles_a_role_removal_gets_the_new_roles(db) {
        let h = Harness::open(&db).await;
        h.auth.create_user(account("root", &["admin"]), None).await.unwrap();
        let checked = h.auth.authenticate("root", &Password::new(GOOD_PASSWORD), &Default::default()).await.unwrap();
        assert_eq!(checked.roles, vec!["admin".to_owned()]);
        h.auth.set_roles(Some("admin-id"), &checked.id, &[] as &[&str]).await.unwrap();
        // Tokens minted from this grant must not carry the removed role.
        let grant = h.auth.create_session(&checked, Default::default(), Amr::password()).await.unwrap();
        assert!(grant.user.roles.is_empty(), "{:?}", grant.user.roles);
    }
}
