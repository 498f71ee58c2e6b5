//! Refresh-token rotation, reuse detection, the grace window, races and the
//! absolute lifetime that rotation never extends, on each backend.

use std::time::Duration;

use tessera_server::domain::{
    AccountError, AuditQuery, RefreshError, RotationOutcome, ServerSettings, whole_seconds,
};

use crate::store_support::{Harness, backend_tests, test_settings};

fn refresh_error(err: AccountError) -> RefreshError {
    match err {
        AccountError::Refresh(err) => err,
        other => panic!("expected a refresh error, got {other:?}"),
    }
}

fn no_grace() -> ServerSettings {
    ServerSettings {
        refresh_reuse_grace: None,
        ..test_settings()
    }
}

/// The configured grace window, in the clock's seconds.
fn grace_seconds(h: &Harness) -> i64 {
    whole_seconds(h.auth.settings().refresh_reuse_grace.unwrap())
}

backend_tests! {
    async fn rotation_swaps_in_a_new_jti_and_records_the_previous(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        h.clock.advance(60);
        let rotation = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap();
        assert_eq!(rotation.outcome, RotationOutcome::Rotated);
        assert_ne!(rotation.grant.refresh_jti, login.refresh_jti);
        assert_eq!(rotation.grant.session.id, login.session.id);
        assert_eq!(rotation.grant.user, login.user);

        let record = h.auth.store().session(&login.session.id).await.unwrap().unwrap();
        assert_eq!(record.refresh_jti, rotation.grant.refresh_jti);
        assert_eq!(record.previous_jti.as_deref(), Some(login.refresh_jti.as_str()));
        assert_eq!(record.rotated_at, Some(h.clock_now()));
        assert_eq!(record.last_used_at, h.clock_now());
        assert_eq!(record.expires_at, login.session.expires_at);
    }

    async fn rotation_carries_the_users_current_roles(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let login = h.login("ada").await;
        h.auth.set_roles(None, &user.id, &["editor"]).await.unwrap();
        let rotation = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap();
        assert_eq!(rotation.grant.user.roles, vec!["editor".to_owned()]);
    }

    async fn a_chain_of_rotations_keeps_working(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        let mut jti = login.refresh_jti;
        for _ in 0..5 {
            h.clock.advance(30);
            let rotation = h.auth.rotate(&login.session.id, &jti).await.unwrap();
            assert_eq!(rotation.outcome, RotationOutcome::Rotated);
            jti = rotation.grant.refresh_jti;
        }
    }

    async fn reuse_of_a_spent_token_revokes_the_whole_session(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        let first = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap();
        h.clock.advance(grace_seconds(&h) + 1);

        let err = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::Reuse);

        // The live branch dies too, and every access token of the session.
        let err = h.auth.rotate(&login.session.id, &first.grant.refresh_jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::Revoked);
        assert!(h.auth.revoked().is_revoked(Some(&login.session.id), "some-access-jti"));
        let record = h.auth.store().session(&login.session.id).await.unwrap().unwrap();
        assert_eq!(record.revoked_reason.as_deref(), Some("refresh_reuse"));
    }

    async fn reuse_is_audited(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let login = h.login("ada").await;
        h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap();
        h.clock.advance(3600);
        let _ = h.auth.rotate(&login.session.id, &login.refresh_jti).await;
        let page = h
            .auth
            .audit_events(&AuditQuery { kind: Some("refresh_reuse".into()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].user_id.as_deref(), Some(user.id.as_str()));
        assert_eq!(page.items[0].session_id.as_deref(), Some(login.session.id.as_str()));
        assert_eq!(page.items[0].detail["presented"], "previous");
    }

    async fn grandparent_replay_revokes_even_within_the_grace_window(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        let first = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap();
        let second = h.auth.rotate(&login.session.id, &first.grant.refresh_jti).await.unwrap();
        let err = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::Reuse);
        let err = h.auth.rotate(&login.session.id, &second.grant.refresh_jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::Revoked);
    }

    async fn replay_of_the_previous_token_within_grace_returns_the_current_branch(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        let first = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap();
        h.clock.advance(grace_seconds(&h));

        let replay = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap();
        assert_eq!(replay.outcome, RotationOutcome::GraceReplay);
        assert_eq!(replay.grant.refresh_jti, first.grant.refresh_jti);

        // Still one branch: the current token rotates on, the session lives.
        let record = h.auth.store().session(&login.session.id).await.unwrap().unwrap();
        assert_eq!(record.refresh_jti, first.grant.refresh_jti);
        assert_eq!(record.revoked_at, None);
        h.auth.rotate(&login.session.id, &first.grant.refresh_jti).await.unwrap();
    }

    async fn replay_of_the_previous_token_after_grace_is_reuse(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap();
        h.clock.advance(grace_seconds(&h) + 1);
        let err = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::Reuse);
    }

    async fn grace_zero_treats_an_immediate_replay_as_reuse(db) {
        let h = Harness::with_settings(&db, no_grace()).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap();
        let err = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::Reuse);
    }

    async fn concurrent_rotations_of_one_token_have_exactly_one_winner(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let auth = h.auth.clone();
                let (sid, jti) = (login.session.id.clone(), login.refresh_jti.clone());
                tokio::spawn(async move { auth.rotate(&sid, &jti).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap().unwrap());
        }
        let winners: Vec<_> = results.iter().filter(|r| r.outcome == RotationOutcome::Rotated).collect();
        assert_eq!(winners.len(), 1);
        let head = &winners[0].grant.refresh_jti;
        // The others get the same head, never a branch of their own.
        assert!(results.iter().all(|r| &r.grant.refresh_jti == head));

        let record = h.auth.store().session(&login.session.id).await.unwrap().unwrap();
        assert_eq!(&record.refresh_jti, head);
        assert_eq!(record.previous_jti.as_deref(), Some(login.refresh_jti.as_str()));
        assert_eq!(record.revoked_at, None);
        h.auth.rotate(&login.session.id, head).await.unwrap();
    }

    async fn concurrent_rotations_without_grace_still_have_one_winner(db) {
        let h = Harness::with_settings(&db, no_grace()).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let auth = h.auth.clone();
                let (sid, jti) = (login.session.id.clone(), login.refresh_jti.clone());
                tokio::spawn(async move { auth.rotate(&sid, &jti).await })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(rotation) => {
                    assert_eq!(rotation.outcome, RotationOutcome::Rotated);
                    winners += 1;
                }
                Err(err) => {
                    let err = refresh_error(err);
                    assert!(matches!(err, RefreshError::Reuse | RefreshError::Revoked), "{err:?}");
                }
            }
        }
        assert_eq!(winners, 1);
        // Without a grace window the losers look like replays: the session is gone.
        let record = h.auth.store().session(&login.session.id).await.unwrap().unwrap();
        assert_eq!(record.revoked_reason.as_deref(), Some("refresh_reuse"));
    }

    async fn refresh_after_logout_fails(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let login = h.login("ada").await;
        h.auth.logout(&user.id, Some(&login.session.id), Default::default()).await.unwrap();
        let err = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::Revoked);
    }

    async fn refresh_after_disable_fails(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let login = h.login("ada").await;
        h.auth.set_disabled(None, &user.id, true).await.unwrap();
        let err = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::Revoked);
    }

    async fn refresh_of_a_disabled_users_unrevoked_session_fails(db) {
        // Even if a session escaped revocation, the swap checks the user.
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let login = h.login("ada").await;
        h.auth.store().set_disabled(&user.id, Some(h.clock_now()), h.clock_now()).await.unwrap();
        let err = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::UserDisabled);
    }

    async fn refresh_after_user_deletion_fails(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let login = h.login("ada").await;
        h.auth.delete_user(None, &user.id).await.unwrap();
        let err = h.auth.rotate(&login.session.id, &login.refresh_jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::UnknownSession);
        assert!(h.auth.revoked().is_revoked(Some(&login.session.id), "any"));
    }

    async fn refresh_of_an_unknown_session_fails(db) {
        let h = Harness::open(&db).await;
        let err = h.auth.rotate("no-such-session", "no-such-jti").await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::UnknownSession);
    }

    async fn absolute_lifetime_holds_across_rotations(db) {
        let settings = ServerSettings { session_lifetime: Duration::from_secs(100), ..test_settings() };
        let h = Harness::with_settings(&db, settings).await;
        h.user("ada").await;
        let login = h.login("ada").await;
        assert_eq!(login.session.expires_at, crate::store_support::START + 100);
        let mut jti = login.refresh_jti.clone();
        for _ in 0..3 {
            h.clock.advance(33);
            let rotation = h.auth.rotate(&login.session.id, &jti).await.unwrap();
            assert_eq!(rotation.grant.session.expires_at, crate::store_support::START + 100);
            jti = rotation.grant.refresh_jti;
        }
        h.clock.advance(1); // START + 100: the end.
        let err = h.auth.rotate(&login.session.id, &jti).await.unwrap_err();
        assert_eq!(refresh_error(err), RefreshError::Expired);
        assert!(h.auth.list_sessions(&login.user.id, None).await.unwrap().is_empty());
    }
}

impl Harness {
    fn clock_now(&self) -> i64 {
        tessera::Clock::now(&self.clock)
    }
}
