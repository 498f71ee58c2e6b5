//! `/admin/…` over HTTP: who may call it, users, roles, disabling,
//! deleting, a user's sessions, the audit trail.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::http_support::{PASSWORD, Server, Tokens, claims, setup};
use crate::store_support::backend_tests;

/// Users deleted while logins for them run in parallel: enough rounds that
/// the old race (a session inserted between "end the sessions" and "delete
/// the user") showed up every run.
const DELETION_RACE_ROUNDS: usize = 20;
/// Parallel login loops per deleted user.
const DELETION_RACE_LOGIN_LOOPS: usize = 8;

fn user_id(tokens: &Tokens) -> String {
    claims(&tokens.access)["sub"].as_str().unwrap().to_owned()
}

fn usernames(page: &Value) -> Vec<&str> {
    page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["username"].as_str().unwrap())
        .collect()
}

/// Every admin route, with a method and a body where it needs one.
fn admin_calls(server: &Server, id: &str) -> Vec<crate::http_support::Call> {
    vec![
        server.get("/admin/users"),
        server.get(&format!("/admin/users/{id}")),
        server.delete(&format!("/admin/users/{id}")),
        server
            .put(&format!("/admin/users/{id}/roles"))
            .json(json!({ "roles": ["admin"] })),
        server.post(&format!("/admin/users/{id}/disable")),
        server.post(&format!("/admin/users/{id}/enable")),
        server.get(&format!("/admin/users/{id}/sessions")),
        server.get("/admin/audit"),
    ]
}

/// Logs `name` in over and over until a login is refused; the access
/// tokens of those that succeeded. Every answer must be a 200 or the
/// `invalid_credentials` 401 an unknown user gets (never a 500).
async fn log_in_until_refused(
    server: Arc<Server>,
    name: String,
    started: Arc<AtomicUsize>,
) -> Vec<String> {
    let mut issued = Vec::new();
    loop {
        let reply = server
            .post("/auth/login")
            .json(json!({ "username": name, "password": PASSWORD }))
            .send()
            .await;
        if reply.status.as_u16() == 401 {
            reply.expect_error(401, "invalid_credentials");
            return issued;
        }
        let body = reply.expect(200);
        issued.push(Tokens::from_body(body).access);
        if issued.len() == 1 {
            started.fetch_add(1, Ordering::SeqCst);
        }
    }
}

backend_tests! {
    async fn admin_endpoints_are_403_for_users_without_the_admin_role(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let id = user_id(&ada);
        for call in admin_calls(&server, &id) {
            let reply = call.bearer(&ada.access).send().await;
            reply.expect_error(403, "insufficient_role");
        }
        // Nothing changed: ada cannot make herself an admin.
        let me = server.get("/auth/me").bearer(&ada.access).send().await.expect(200);
        assert_eq!(me["roles"], json!([]));
        assert_eq!(me["disabled"], false);
    }

    async fn admin_endpoints_are_401_without_a_token(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        for call in admin_calls(&server, &user_id(&ada)) {
            let reply = call.send().await;
            reply.expect_error(401, "missing_token");
            assert!(reply.header("www-authenticate").is_some(), "{reply}");
        }
    }

    async fn admin_lists_searches_and_paginates_users(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        for name in ["ada", "adam", "bob", "cyd"] {
            server.clock.advance(1);
            server.register(name).await;
        }
        let all = server.get("/admin/users").bearer(&admin.access).send().await.expect(200);
        assert_eq!(all["total"], 5);
        assert_eq!(usernames(&all), ["root", "ada", "adam", "bob", "cyd"]);
        assert!(!serde_json::to_string(&all).unwrap().contains("argon2"));

        let found = server.get("/admin/users?q=ADA").bearer(&admin.access).send().await.expect(200);
        assert_eq!(found["total"], 2);
        assert_eq!(usernames(&found), ["ada", "adam"]);

        let page = server
            .get("/admin/users?limit=2&offset=2")
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        assert_eq!(page["total"], 5);
        assert_eq!(page["limit"], 2);
        assert_eq!(page["offset"], 2);
        assert_eq!(usernames(&page), ["adam", "bob"]);
    }

    async fn admin_gets_a_user_or_404(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.register("ada").await;
        let got = server
            .get(&format!("/admin/users/{}", ada["id"].as_str().unwrap()))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        assert_eq!(got, ada);
        server
            .get("/admin/users/00000000-0000-0000-0000-000000000000")
            .bearer(&admin.access)
            .send()
            .await
            .expect_error(404, "user_not_found");
    }

    async fn admin_sets_roles_and_new_tokens_carry_them(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let body = server
            .put(&format!("/admin/users/{}/roles", user_id(&ada)))
            .bearer(&admin.access)
            .json(json!({ "roles": ["editor", "admin"] }))
            .send()
            .await
            .expect(200);
        // Stored sorted.
        assert_eq!(body["roles"], json!(["admin", "editor"]));
        // Adding roles keeps the session; the next tokens carry them.
        let refreshed = Tokens::from_body(server.refresh(&ada.refresh).await.expect(200));
        assert_eq!(claims(&refreshed.access)["roles"], json!(["admin", "editor"]));
        server.get("/admin/users").bearer(&refreshed.access).send().await.expect(200);
    }

    async fn a_custom_roles_claim_carries_the_roles_that_admin_routes_and_verify_read(db) {
        let server = setup().var("JWT_ROLES_CLAIM", "perms").start(&db).await;
        let admin = server.admin("root").await;
        let access = claims(&admin.access);
        assert_eq!(access["perms"], json!(["admin"]), "{access}");
        assert!(access.get("roles").is_none(), "{access}");
        server.get("/admin/users").bearer(&admin.access).send().await.expect(200);
        let verified = server.get("/auth/verify").bearer(&admin.access).send().await;
        verified.expect(200);
        assert_eq!(verified.header("x-auth-roles"), Some("admin"));
        // Refreshed tokens carry them under the same name.
        let refreshed = Tokens::from_body(server.refresh(&admin.refresh).await.expect(200));
        assert_eq!(claims(&refreshed.access)["perms"], json!(["admin"]));
        server.get("/admin/audit").bearer(&refreshed.access).send().await.expect(200);
    }

    async fn a_custom_identity_claim_carries_the_user_everywhere(db) {
        let server = setup().var("JWT_IDENTITY_CLAIM", "uid").start(&db).await;
        let admin = server.admin("root").await;
        let access = claims(&admin.access);
        let id = access["uid"].as_str().unwrap().to_owned();
        assert!(access.get("sub").is_none(), "{access}");
        assert_eq!(claims(&admin.refresh)["uid"], id.as_str());
        let me = server.get("/auth/me").bearer(&admin.access).send().await.expect(200);
        assert_eq!(me["id"], id.as_str());
        let verified = server.get("/auth/verify").bearer(&admin.access).send().await;
        verified.expect(200);
        assert_eq!(verified.header("x-auth-user"), Some(id.as_str()));
        let refreshed = Tokens::from_body(server.refresh(&admin.refresh).await.expect(200));
        assert_eq!(claims(&refreshed.access)["uid"], id.as_str());
        let page = server.get("/admin/users").bearer(&refreshed.access).send().await.expect(200);
        assert_eq!(usernames(&page), ["root"]);
        let sessions = server.get("/auth/sessions").bearer(&refreshed.access).send().await.expect(200);
        assert!(!sessions.to_string().is_empty());
        server.post("/auth/logout").bearer(&refreshed.access).send().await.expect(200);
        server
            .get("/auth/me")
            .bearer(&refreshed.access)
            .send()
            .await
            .expect_error(401, "token_revoked");
    }

    async fn removing_the_admin_role_ends_that_users_sessions(db) {
        let server = Server::start(&db).await;
        let root = server.admin("root").await;
        let other = server.admin("other").await;
        server.get("/admin/users").bearer(&other.access).send().await.expect(200);
        server
            .put(&format!("/admin/users/{}/roles", user_id(&other)))
            .bearer(&root.access)
            .json(json!({ "roles": [] }))
            .send()
            .await
            .expect(200);
        // The token still says "admin", but its session is over.
        assert_eq!(claims(&other.access)["roles"], json!(["admin"]));
        server
            .get("/admin/users")
            .bearer(&other.access)
            .send()
            .await
            .expect_error(401, "token_revoked");
        server.refresh(&other.refresh).await.expect(401);
        let relogin = server.login("other").await;
        server
            .get("/admin/users")
            .bearer(&relogin.access)
            .send()
            .await
            .expect_error(403, "insufficient_role");
    }

    async fn invalid_roles_are_422_naming_the_field(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.register("ada").await;
        let body = server
            .put(&format!("/admin/users/{}/roles", ada["id"].as_str().unwrap()))
            .bearer(&admin.access)
            .json(json!({ "roles": ["has space"] }))
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "roles");
    }

    async fn disabling_ends_sessions_and_login_answers_invalid_credentials(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let body = server
            .post(&format!("/admin/users/{}/disable", user_id(&ada)))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        assert_eq!(body["disabled"], true);
        server
            .get("/auth/me")
            .bearer(&ada.access)
            .send()
            .await
            .expect_error(401, "token_revoked");
        let refused = server
            .post("/auth/login")
            .json(json!({ "username": "ada", "password": PASSWORD }))
            .send()
            .await;
        let unknown = server
            .post("/auth/login")
            .json(json!({ "username": "nobody", "password": PASSWORD }))
            .send()
            .await;
        refused.expect_error(401, "invalid_credentials");
        assert_eq!(refused.body, unknown.body);
    }

    async fn enabling_lets_the_user_log_in_again(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.register("ada").await;
        let id = ada["id"].as_str().unwrap();
        server
            .post(&format!("/admin/users/{id}/disable"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        let body = server
            .post(&format!("/admin/users/{id}/enable"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        assert_eq!(body["disabled"], false);
        server.login("ada").await;
    }

    async fn deleting_a_user_ends_their_sessions_and_frees_the_name(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let reply = server
            .delete(&format!("/admin/users/{}", user_id(&ada)))
            .bearer(&admin.access)
            .send()
            .await;
        assert_eq!(reply.expect(204), Value::Null);
        server
            .get("/auth/me")
            .bearer(&ada.access)
            .send()
            .await
            .expect_error(401, "token_revoked");
        server
            .get(&format!("/admin/users/{}", user_id(&ada)))
            .bearer(&admin.access)
            .send()
            .await
            .expect_error(404, "user_not_found");
        server
            .delete(&format!("/admin/users/{}", user_id(&ada)))
            .bearer(&admin.access)
            .send()
            .await
            .expect_error(404, "user_not_found");
        server.register("ada").await;
    }

    async fn deleting_a_user_while_they_log_in_leaves_no_token_that_works(db) {
        let server = Arc::new(
            setup()
                .var("TESSERA_IP_MAX_ATTEMPTS", "1000000")
                .var("TESSERA_LOGIN_MAX_FAILURES", "1000000")
                .start(&db)
                .await,
        );
        let root = server.admin("root").await;
        for round in 0..DELETION_RACE_ROUNDS {
            // An admin, so a surviving token would also pass the role guard.
            let name = format!("victim{round}");
            let victim = server.admin(&name).await;
            let started = Arc::new(AtomicUsize::new(0));
            let loops: Vec<_> = (0..DELETION_RACE_LOGIN_LOOPS)
                .map(|_| tokio::spawn(log_in_until_refused(server.clone(), name.clone(), started.clone())))
                .collect();
            while started.load(Ordering::SeqCst) < DELETION_RACE_LOGIN_LOOPS {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            server
                .delete(&format!("/admin/users/{}", user_id(&victim)))
                .bearer(&root.access)
                .send()
                .await
                .expect(204);
            let mut issued = vec![victim.access];
            for login_loop in loops {
                issued.extend(login_loop.await.unwrap());
            }
            for token in &issued {
                server
                    .get("/auth/verify")
                    .bearer(token)
                    .send()
                    .await
                    .expect_error(401, "token_revoked");
                server
                    .get("/admin/users")
                    .bearer(token)
                    .send()
                    .await
                    .expect_error(401, "token_revoked");
            }
        }
    }

    async fn admin_lists_a_users_sessions(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let first = server.signed_up("ada").await;
        let second = server.login("ada").await;
        let body = server
            .get(&format!("/admin/users/{}/sessions", user_id(&first)))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        let mut ids: Vec<&str> = body["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|session| {
                assert_eq!(session["current"], false);
                session["id"].as_str().unwrap()
            })
            .collect();
        ids.sort_unstable();
        let mut expected = [first.sid(), second.sid()];
        expected.sort_unstable();
        assert_eq!(ids, expected);
        server
            .get("/admin/users/00000000-0000-0000-0000-000000000000/sessions")
            .bearer(&admin.access)
            .send()
            .await
            .expect_error(404, "user_not_found");
    }

    async fn admin_reads_the_audit_trail_filtered_by_user_and_kind(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        server.signed_up("bob").await;
        let id = user_id(&ada);
        let body = server
            .get(&format!("/admin/audit?user_id={id}"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        let kinds: Vec<&str> = body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| {
                assert_eq!(event["user_id"], id.as_str());
                event["kind"].as_str().unwrap()
            })
            .collect();
        assert_eq!(kinds, ["login", "user_registered"]);
        assert_eq!(body["total"], 2);

        let logins = server.audit(&admin, "login").await;
        assert_eq!(logins.len(), 3, "root, ada and bob logged in");

        let page = server
            .get("/admin/audit?limit=1&offset=1")
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        assert_eq!(page["events"].as_array().unwrap().len(), 1);
        assert_eq!(page["limit"], 1);
        assert_eq!(page["offset"], 1);
    }

    async fn a_search_longer_than_any_username_or_email_is_422_naming_q(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        // Every row would be matched against a pattern of tens of kilobytes.
        let long = "a".repeat(255);
        let body = server
            .get(&format!("/admin/users?q={long}"))
            .bearer(&admin.access)
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "q");
        // The longest e-mail address still searches.
        let longest = "a".repeat(254);
        server
            .get(&format!("/admin/users?q={longest}"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
    }
}
