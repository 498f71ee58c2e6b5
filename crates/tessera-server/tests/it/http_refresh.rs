//! `POST /auth/refresh` over HTTP: rotation, reuse detection, the grace
//! window, parallel refreshes, the absolute session lifetime, and where the
//! refresh token may come from.

use std::time::Duration;

use serde_json::json;

use crate::http_support::{PASSWORD, Reply, Server, Tokens, claims, setup};
use crate::store_support::{START, backend_tests};

fn jti(token: &str) -> String {
    claims(token)["jti"].as_str().unwrap().to_owned()
}

backend_tests! {
    async fn refresh_rotates_and_the_old_refresh_token_is_spent(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        server.clock.advance(60);

        let body = server.refresh(&login.refresh).await.expect(200);
        let rotated = Tokens::from_body(body);
        assert_eq!(rotated.body["token_type"], "Bearer");
        assert_ne!(jti(&rotated.refresh), jti(&login.refresh));
        assert_eq!(rotated.sid(), login.sid());
        let record = server.state.auth.store().session(&login.sid()).await.unwrap().unwrap();
        assert_eq!(record.refresh_jti, jti(&rotated.refresh));
        assert_eq!(record.previous_jti.as_deref(), Some(jti(&login.refresh).as_str()));

        // Outside the grace window the spent token is refused.
        server.clock.advance(11);
        server.refresh(&login.refresh).await.expect_error(401, "refresh_token_reused");
    }

    async fn reuse_of_a_spent_refresh_token_revokes_the_session_and_its_access_tokens(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let login = server.signed_up("ada").await;
        let rotated = Tokens::from_body(server.refresh(&login.refresh).await.expect(200));
        server.get("/auth/me").bearer(&rotated.access).send().await.expect(200);

        server.clock.advance(11);
        server.refresh(&login.refresh).await.expect_error(401, "refresh_token_reused");

        // The live branch and every access token of the session die with it.
        for access in [&login.access, &rotated.access] {
            server
                .get("/auth/me")
                .bearer(access)
                .send()
                .await
                .expect_error(401, "token_revoked");
        }
        let refused = server.refresh(&rotated.refresh).await;
        assert_eq!(refused.status, 401, "{refused}");

        // The reuse is in the audit trail, naming the session.
        let events = server.audit(&admin, "refresh_reuse").await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["session_id"], login.sid().as_str());
        assert_eq!(events[0]["detail"]["presented"], "previous");
    }

    async fn replay_within_the_grace_window_returns_the_current_branch(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        let first = Tokens::from_body(server.refresh(&login.refresh).await.expect(200));
        server.clock.advance(5);

        let replay = Tokens::from_body(server.refresh(&login.refresh).await.expect(200));
        assert_eq!(jti(&replay.refresh), jti(&first.refresh));
        assert_eq!(replay.sid(), first.sid());

        // Still one branch: the session's current jti did not move, and both
        // copies of it keep working (one of them, once).
        let record = server.state.auth.store().session(&login.sid()).await.unwrap().unwrap();
        assert_eq!(record.refresh_jti, jti(&first.refresh));
        server.get("/auth/me").bearer(&first.access).send().await.expect(200);
        server.get("/auth/me").bearer(&replay.access).send().await.expect(200);
        let next = Tokens::from_body(server.refresh(&replay.refresh).await.expect(200));
        assert_ne!(jti(&next.refresh), jti(&first.refresh));
    }

    async fn grandparent_replay_within_the_grace_window_is_reuse(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        let first = Tokens::from_body(server.refresh(&login.refresh).await.expect(200));
        let second = Tokens::from_body(server.refresh(&first.refresh).await.expect(200));
        server.refresh(&login.refresh).await.expect_error(401, "refresh_token_reused");
        assert_eq!(server.refresh(&second.refresh).await.status, 401);
    }

    async fn with_the_grace_window_off_an_immediate_replay_is_reuse(db) {
        let server = setup()
            .settings(|settings| settings.refresh_reuse_grace = None)
            .start(&db)
            .await;
        let login = server.signed_up("ada").await;
        let first = Tokens::from_body(server.refresh(&login.refresh).await.expect(200));
        server.refresh(&login.refresh).await.expect_error(401, "refresh_token_reused");
        server
            .get("/auth/me")
            .bearer(&first.access)
            .send()
            .await
            .expect_error(401, "token_revoked");
    }

    async fn parallel_refreshes_of_one_token_make_exactly_one_branch(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        let calls: Vec<_> = (0..16)
            .map(|_| tokio::spawn(server.post("/auth/refresh").bearer(&login.refresh).send()))
            .collect();
        let mut replies: Vec<Reply> = Vec::new();
        for call in calls {
            replies.push(call.await.unwrap());
        }

        let record = server.state.auth.store().session(&login.sid()).await.unwrap().unwrap();
        assert_eq!(record.previous_jti.as_deref(), Some(jti(&login.refresh).as_str()));
        let mut winners = 0;
        for reply in &replies {
            match reply.status.as_u16() {
                // The winner, or a loser handed the winner's branch (grace).
                200 => {
                    winners += 1;
                    let tokens = Tokens::from_body(reply.json());
                    let branch = jti(&tokens.refresh);
                    assert_eq!(branch, record.refresh_jti, "a second branch: {reply}");
                }
                // A loser told to retry.
                409 => {
                    reply.expect_error(409, "session_busy");
                }
                _ => panic!("neither the branch nor a retryable refusal: {reply}"),
            }
        }
        assert!(winners >= 1, "no refresh succeeded");
        assert!(record.revoked_at.is_none());

        // The session carries on from the one branch.
        let current = replies.iter().find(|reply| reply.status == 200).unwrap();
        let current = Tokens::from_body(current.json());
        server.get("/auth/me").bearer(&current.access).send().await.expect(200);
        let next = Tokens::from_body(server.refresh(&current.refresh).await.expect(200));
        server.get("/auth/me").bearer(&next.access).send().await.expect(200);
    }

    async fn parallel_refreshes_without_grace_have_one_winner_and_count_as_reuse(db) {
        let server = setup()
            .settings(|settings| settings.refresh_reuse_grace = None)
            .start(&db)
            .await;
        let login = server.signed_up("ada").await;
        let calls: Vec<_> = (0..16)
            .map(|_| tokio::spawn(server.post("/auth/refresh").bearer(&login.refresh).send()))
            .collect();
        let mut statuses = Vec::new();
        for call in calls {
            let reply = call.await.unwrap();
            assert!(
                [200, 401, 409].contains(&reply.status.as_u16()),
                "unexpected answer: {reply}"
            );
            statuses.push(reply.status.as_u16());
        }
        // The first swap wins; every later one presents a spent token, which
        // without a grace window is reuse and ends the session.
        assert_eq!(
            statuses.iter().filter(|status| **status == 200).count(),
            1,
            "{statuses:?}"
        );
        let record = server.state.auth.store().session(&login.sid()).await.unwrap().unwrap();
        assert!(record.revoked_at.is_some());
    }

    async fn refresh_after_logout_fails(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        server.post("/auth/logout").bearer(&login.access).send().await.expect(200);
        server.refresh(&login.refresh).await.expect_error(401, "token_revoked");
    }

    async fn refresh_after_a_password_change_elsewhere_fails(db) {
        let server = Server::start(&db).await;
        let other = server.signed_up("ada").await;
        let here = server.login("ada").await;
        server
            .post("/auth/password")
            .bearer(&here.access)
            .json(json!({
                "current_password": PASSWORD,
                "new_password": "a-brand-new-passphrase",
            }))
            .send()
            .await
            .expect(200);
        server.refresh(&other.refresh).await.expect_error(401, "token_revoked");
        // The session that changed it carries on.
        server.refresh(&here.refresh).await.expect(200);
    }

    async fn refresh_after_the_user_is_disabled_fails(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let login = server.signed_up("ada").await;
        let id = claims(&login.access)["sub"].as_str().unwrap().to_owned();
        server
            .post(&format!("/admin/users/{id}/disable"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        server.refresh(&login.refresh).await.expect_error(401, "token_revoked");
    }

    async fn rotation_never_extends_the_absolute_session_lifetime(db) {
        let server = setup()
            .var("JWT_REFRESH_TOKEN_EXPIRES", "3600")
            .start(&db)
            .await;
        let mut tokens = server.signed_up("ada").await;
        let session_end = START + 3600;
        assert_eq!(claims(&tokens.refresh)["exp"], session_end);
        for step in 1..=3 {
            server.clock.advance(1000);
            let body = server.refresh(&tokens.refresh).await.expect(200);
            tokens = Tokens::from_body(body);
            assert_eq!(claims(&tokens.refresh)["exp"], session_end, "rotation {step}");
            assert_eq!(tokens.body["refresh_expires_in"], 3600 - 1000 * step);
        }
        server.clock.set(session_end);
        let refused = server.refresh(&tokens.refresh).await;
        assert_eq!(refused.status, 401, "{refused}");
        // Even a refresh token minted to outlive the session would be refused.
        let record = server.state.auth.store().session(&tokens.sid()).await.unwrap().unwrap();
        assert_eq!(record.expires_at, session_end);
        let err = server.state.auth.rotate(&record.id, &record.refresh_jti).await.unwrap_err();
        assert_eq!(err.code(), "session_expired");
    }

    async fn a_session_left_idle_past_the_timeout_ends_at_its_next_refresh(db) {
        let server = setup()
            .settings(|settings| settings.session_idle_timeout = Some(Duration::from_secs(7200)))
            .start(&db)
            .await;
        let idle = server.signed_up("ada").await;
        server.clock.advance(7200);
        server.refresh(&idle.refresh).await.expect_error(401, "session_idle");
        // Ended for good: not listed, and refused as revoked from now on.
        let fresh = server.login("ada").await;
        let listed = server.get("/auth/sessions").bearer(&fresh.access).send().await.expect(200);
        let ids: Vec<&str> = listed["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|session| session["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [fresh.sid().as_str()]);
        server.refresh(&idle.refresh).await.expect_error(401, "token_revoked");
    }

    async fn a_session_in_use_outlives_the_idle_timeout(db) {
        let server = setup()
            .settings(|settings| settings.session_idle_timeout = Some(Duration::from_secs(7200)))
            .start(&db)
            .await;
        let mut tokens = server.signed_up("ada").await;
        // Refreshed just inside the timeout each time, for far longer than it.
        for _ in 0..5 {
            server.clock.advance(7199);
            tokens = Tokens::from_body(server.refresh(&tokens.refresh).await.expect(200));
        }
    }

    async fn with_the_idle_timeout_off_only_the_absolute_lifetime_counts(db) {
        let server = setup()
            .settings(|settings| settings.session_idle_timeout = None)
            .start(&db)
            .await;
        let tokens = server.signed_up("ada").await;
        server.clock.advance(29 * 24 * 3600);
        server.refresh(&tokens.refresh).await.expect(200);
    }

    async fn refresh_token_as_bearer_header(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        server.refresh(&login.refresh).await.expect(200);
    }

    async fn refresh_token_in_a_json_body(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        let body = server
            .post("/auth/refresh")
            .json(json!({ "refresh_token": login.refresh }))
            .send()
            .await
            .expect(200);
        let rotated = Tokens::from_body(body);
        assert_eq!(rotated.sid(), login.sid());
    }

    async fn login_with_cookies_sets_httponly_samesite_cookies(db) {
        // Served over https, so the cookies are `Secure` (a plain-http public
        // URL gets cookies without it: see pages_http).
        let server = setup().var("TESSERA_PUBLIC_URL", "https://auth.test").start(&db).await;
        server.register("ada").await;
        let reply = server
            .post("/auth/login?cookies=true")
            .json(json!({ "username": "ada", "password": PASSWORD }))
            .send()
            .await;
        let body = reply.expect(200);
        assert_eq!(body["token_type"], "cookie");
        assert!(body.get("access_token").is_none(), "{body}");
        assert!(body.get("refresh_token").is_none(), "{body}");
        for name in ["access_token_cookie", "refresh_token_cookie"] {
            let cookie = reply.set_cookie(name);
            assert!(cookie.contains("HttpOnly"), "{cookie}");
            assert!(cookie.contains("SameSite=Lax"), "{cookie}");
            assert!(cookie.contains("Secure"), "{cookie}");
            assert!(cookie.contains("Path=/"), "{cookie}");
        }
        // The CSRF cookies are readable by scripts (that is their point).
        for name in ["csrf_access_token", "csrf_refresh_token"] {
            let cookie = reply.set_cookie(name);
            assert!(!cookie.contains("HttpOnly"), "{cookie}");
            assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        }
        // The access cookie authenticates a GET (no CSRF header needed).
        let access = reply.cookie_value("access_token_cookie");
        server
            .get("/auth/me")
            .header("cookie", &format!("access_token_cookie={access}"))
            .send()
            .await
            .expect(200);
    }

    async fn refresh_token_as_cookie_with_its_csrf_header_rotates_the_cookies(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let login = server
            .post("/auth/login?cookies=true")
            .json(json!({ "username": "ada", "password": PASSWORD }))
            .send()
            .await;
        login.expect(200);
        let refresh = login.cookie_value("refresh_token_cookie");
        let csrf = login.cookie_value("csrf_refresh_token");
        let cookie = format!("refresh_token_cookie={refresh}; csrf_refresh_token={csrf}");

        // Without the double-submit header the cookie is not enough.
        server
            .post("/auth/refresh")
            .header("cookie", &cookie)
            .send()
            .await
            .expect_error(403, "csrf_missing");

        let reply = server
            .post("/auth/refresh")
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .send()
            .await;
        assert_eq!(reply.expect(200)["token_type"], "cookie");
        let rotated = reply.cookie_value("refresh_token_cookie");
        assert_ne!(jti(&rotated), jti(&refresh));
        assert_eq!(claims(&rotated)["sid"], claims(&refresh)["sid"]);
    }

    async fn an_access_token_is_refused_at_refresh(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        server.refresh(&login.access).await.expect_error(401, "wrong_token_type");
        server
            .post("/auth/refresh")
            .json(json!({ "refresh_token": login.access }))
            .send()
            .await
            .expect_error(401, "wrong_token_type");
    }

    async fn a_refresh_token_is_refused_where_an_access_token_is_needed(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        for path in ["/auth/me", "/auth/sessions", "/auth/verify"] {
            server
                .get(path)
                .bearer(&login.refresh)
                .send()
                .await
                .expect_error(401, "wrong_token_type");
        }
    }

    async fn a_refresh_token_signed_with_another_secret_is_refused(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        let mut parts: Vec<&str> = login.refresh.split('.').collect();
        let forged = tessera::b64::encode([7u8; 32]);
        parts[2] = &forged;
        server
            .refresh(&parts.join("."))
            .await
            .expect_error(401, "invalid_token");
    }

    async fn refresh_without_any_token_is_401(db) {
        let server = Server::start(&db).await;
        server.post("/auth/refresh").send().await.expect_error(401, "missing_token");
    }
}
