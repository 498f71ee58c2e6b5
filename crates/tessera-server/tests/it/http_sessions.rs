//! Logout scopes, a user's own sessions, password changes, and what
//! survives a restart.

use serde_json::json;

use crate::http_support::{PASSWORD, Server, Tokens, claims};
use crate::store_support::backend_tests;

const NEW_PASSWORD: &str = "a-brand-new-passphrase";

/// Three sessions of `ada`, in login order.
async fn three_sessions(server: &Server) -> [Tokens; 3] {
    let first = server.signed_up("ada").await;
    let second = server.login("ada").await;
    let third = server.login("ada").await;
    [first, second, third]
}

async fn me_status(server: &Server, tokens: &Tokens) -> u16 {
    server
        .get("/auth/me")
        .bearer(&tokens.access)
        .send()
        .await
        .status
        .as_u16()
}

backend_tests! {
    async fn logout_without_scope_ends_only_the_callers_session(db) {
        let server = Server::start(&db).await;
        let [first, second, third] = three_sessions(&server).await;
        let body = server.post("/auth/logout").bearer(&second.access).send().await.expect(200);
        assert_eq!(body, json!({ "ended_sessions": 1 }));
        assert_eq!(me_status(&server, &first).await, 200);
        assert_eq!(me_status(&server, &second).await, 401);
        assert_eq!(me_status(&server, &third).await, 200);
    }

    async fn logout_scope_local_ends_only_the_callers_session(db) {
        let server = Server::start(&db).await;
        let [first, second, third] = three_sessions(&server).await;
        server
            .post("/auth/logout?scope=local")
            .bearer(&first.access)
            .send()
            .await
            .expect(200);
        assert_eq!(me_status(&server, &first).await, 401);
        assert_eq!(me_status(&server, &second).await, 200);
        assert_eq!(me_status(&server, &third).await, 200);
    }

    async fn logout_scope_others_keeps_only_the_callers_session(db) {
        let server = Server::start(&db).await;
        let [first, second, third] = three_sessions(&server).await;
        let body = server
            .post("/auth/logout?scope=others")
            .bearer(&second.access)
            .send()
            .await
            .expect(200);
        assert_eq!(body, json!({ "ended_sessions": 2 }));
        assert_eq!(me_status(&server, &first).await, 401);
        assert_eq!(me_status(&server, &second).await, 200);
        assert_eq!(me_status(&server, &third).await, 401);
        server.refresh(&first.refresh).await.expect(401);
        server.refresh(&second.refresh).await.expect(200);
    }

    async fn logout_scope_global_ends_every_session(db) {
        let server = Server::start(&db).await;
        let [first, second, third] = three_sessions(&server).await;
        let bob = server.signed_up("bob").await;
        let body = server
            .post("/auth/logout?scope=global")
            .bearer(&third.access)
            .send()
            .await
            .expect(200);
        assert_eq!(body, json!({ "ended_sessions": 3 }));
        for tokens in [&first, &second, &third] {
            assert_eq!(me_status(&server, tokens).await, 401);
            server.refresh(&tokens.refresh).await.expect(401);
        }
        // Another user's session is none of its business.
        assert_eq!(me_status(&server, &bob).await, 200);
    }

    async fn logout_with_an_unknown_scope_is_422_naming_it(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        let body = server
            .post("/auth/logout?scope=everywhere")
            .bearer(&login.access)
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "scope");
        assert_eq!(me_status(&server, &login).await, 200);
    }

    async fn logout_clears_the_token_cookies(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        let reply = server.post("/auth/logout").bearer(&login.access).send().await;
        reply.expect(200);
        let names = [
            "access_token_cookie",
            "refresh_token_cookie",
            "csrf_access_token",
            "csrf_refresh_token",
        ];
        for name in names {
            let cookie = reply.set_cookie(name);
            assert!(cookie.starts_with(&format!("{name}=;")), "{cookie}");
            assert!(cookie.contains("Max-Age=0"), "{cookie}");
        }
    }

    async fn sessions_lists_live_sessions_with_the_current_one_flagged(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let phone = Tokens::from_body(
            server
                .post("/auth/login")
                .header("user-agent", "phone/1.0")
                .json(json!({ "username": "ada", "password": PASSWORD }))
                .send()
                .await
                .expect(200),
        );
        let laptop = server.login("ada").await;
        let gone = server.login("ada").await;
        server.post("/auth/logout").bearer(&gone.access).send().await.expect(200);

        let body = server.get("/auth/sessions").bearer(&laptop.access).send().await.expect(200);
        let sessions = body["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 2, "{body}");
        let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0]["id"], laptop.sid().as_str());
        let other = sessions.iter().find(|s| s["current"] == false).unwrap();
        assert_eq!(other["id"], phone.sid().as_str());
        assert_eq!(other["user_agent"], "phone/1.0");
        for key in ["created_at", "last_used_at", "expires_at", "ip"] {
            assert!(other.get(key).is_some(), "{key} missing in {other}");
        }
    }

    async fn deleting_an_own_session_ends_it(db) {
        let server = Server::start(&db).await;
        let here = server.signed_up("ada").await;
        let there = server.login("ada").await;
        let reply = server
            .delete(&format!("/auth/sessions/{}", there.sid()))
            .bearer(&here.access)
            .send()
            .await;
        assert_eq!(reply.expect(204), serde_json::Value::Null);
        assert_eq!(me_status(&server, &there).await, 401);
        server.refresh(&there.refresh).await.expect(401);
        assert_eq!(me_status(&server, &here).await, 200);
        let body = server.get("/auth/sessions").bearer(&here.access).send().await.expect(200);
        assert_eq!(body["sessions"].as_array().unwrap().len(), 1);
    }

    async fn another_users_session_cannot_be_deleted_and_looks_missing(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let bob = server.signed_up("bob").await;
        let theirs = server
            .delete(&format!("/auth/sessions/{}", bob.sid()))
            .bearer(&ada.access)
            .send()
            .await;
        let missing = server
            .delete("/auth/sessions/00000000-0000-0000-0000-000000000000")
            .bearer(&ada.access)
            .send()
            .await;
        theirs.expect_error(404, "session_not_found");
        assert_eq!(theirs.body, missing.body);
        assert_eq!(me_status(&server, &bob).await, 200);
    }

    async fn password_change_with_a_fresh_token_ends_the_other_sessions(db) {
        let server = Server::start(&db).await;
        let [first, second, third] = three_sessions(&server).await;
        let body = server
            .post("/auth/password")
            .bearer(&second.access)
            .json(json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }))
            .send()
            .await
            .expect(200);
        assert_eq!(body, json!({ "ended_sessions": 2 }));
        assert_eq!(me_status(&server, &first).await, 401);
        assert_eq!(me_status(&server, &second).await, 200);
        assert_eq!(me_status(&server, &third).await, 401);

        server
            .post("/auth/login")
            .json(json!({ "username": "ada", "password": PASSWORD }))
            .send()
            .await
            .expect_error(401, "invalid_credentials");
        server
            .post("/auth/login")
            .json(json!({ "username": "ada", "password": NEW_PASSWORD }))
            .send()
            .await
            .expect(200);
    }

    async fn password_change_with_a_refreshed_token_needs_a_fresh_login(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        let refreshed = Tokens::from_body(server.refresh(&login.refresh).await.expect(200));
        assert_eq!(claims(&refreshed.access)["fresh"], false);
        server
            .post("/auth/password")
            .bearer(&refreshed.access)
            .json(json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }))
            .send()
            .await
            .expect_error(401, "fresh_token_required");
        // Unchanged.
        server.login("ada").await;
    }

    async fn password_change_with_the_wrong_current_password_is_refused(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        let other = server.login("ada").await;
        server
            .post("/auth/password")
            .bearer(&login.access)
            .json(json!({ "current_password": "not-the-password", "new_password": NEW_PASSWORD }))
            .send()
            .await
            .expect_error(401, "invalid_credentials");
        assert_eq!(me_status(&server, &other).await, 200);
        server.login("ada").await;
    }

    async fn password_change_to_a_weak_password_is_422_naming_new_password(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        for weak in ["short", "password123"] {
            let body = server
                .post("/auth/password")
                .bearer(&login.access)
                .json(json!({ "current_password": PASSWORD, "new_password": weak }))
                .send()
                .await
                .expect_error(422, "validation_failed");
            assert_eq!(body["field"], "new_password", "{weak}: {body}");
        }
    }

    async fn a_restart_keeps_users_and_revocations(db) {
        let server = Server::start(&db).await;
        let revoked = server.signed_up("ada").await;
        let live = server.login("ada").await;
        server.post("/auth/logout").bearer(&revoked.access).send().await.expect(200);
        server.clock.advance(30);

        let server = server.restart().await;
        // The revoked session's tokens stay refused: the revoked set is
        // loaded from the store at start.
        server
            .get("/auth/me")
            .bearer(&revoked.access)
            .send()
            .await
            .expect_error(401, "token_revoked");
        server.refresh(&revoked.refresh).await.expect(401);
        // Live sessions, users and passwords are still there.
        assert_eq!(me_status(&server, &live).await, 200);
        server.refresh(&live.refresh).await.expect(200);
        server.login("ada").await;
        server
            .post("/auth/register")
            .json(json!({ "username": "ADA", "password": PASSWORD }))
            .send()
            .await
            .expect_error(409, "username_taken");
    }
}
