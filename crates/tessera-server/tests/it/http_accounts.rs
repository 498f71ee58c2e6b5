//! Registering and logging in over HTTP: the round trip, username and
//! password rules, the same answer for every failed login, rate limits.

use serde_json::{Value, json};

use crate::http_support::{PASSWORD, PUBLIC_URL, Server, Tokens, claims, setup};
use crate::store_support::{START, backend_tests};

async fn register_as(
    server: &Server,
    username: &str,
    password: &str,
) -> crate::http_support::Reply {
    server
        .post("/auth/register")
        .json(json!({ "username": username, "password": password }))
        .send()
        .await
}

async fn login_as(server: &Server, username: &str, password: &str) -> crate::http_support::Reply {
    server
        .post("/auth/login")
        .json(json!({ "username": username, "password": password }))
        .send()
        .await
}

backend_tests! {
    async fn register_login_me_refresh_logout_round_trip(db) {
        let server = Server::start(&db).await;

        let reply = server
            .post("/auth/register")
            .json(json!({ "username": "ada", "password": PASSWORD, "email": "ada@example.org" }))
            .send()
            .await;
        let user = reply.expect(201);
        assert_eq!(user["username"], "ada");
        assert_eq!(user["email"], "ada@example.org");
        assert_eq!(user["roles"], json!([]));
        assert_eq!(user["disabled"], false);
        assert_eq!(user["created_at"], START);
        assert!(!reply.text().contains("argon2"), "no hash in {reply}");

        let login = server.login("ada").await;
        assert_eq!(login.body["token_type"], "Bearer");
        assert_eq!(login.body["expires_in"], 900);
        let access = claims(&login.access);
        assert_eq!(access["sub"], user["id"]);
        assert_eq!(access["type"], "access");
        assert_eq!(access["fresh"], true);
        assert_eq!(access["iss"], PUBLIC_URL);
        assert_eq!(access["roles"], json!([]));
        assert_eq!(claims(&login.refresh)["type"], "refresh");
        assert_eq!(claims(&login.refresh)["sid"], access["sid"]);

        let me = server.get("/auth/me").bearer(&login.access).send().await.expect(200);
        assert_eq!(me, user);

        let refreshed = Tokens::from_body(server.refresh(&login.refresh).await.expect(200));
        assert_eq!(claims(&refreshed.access)["fresh"], false);
        assert_eq!(claims(&refreshed.access)["sid"], access["sid"]);
        let me = server.get("/auth/me").bearer(&refreshed.access).send().await.expect(200);
        assert_eq!(me["id"], user["id"]);

        let ended = server.post("/auth/logout").bearer(&refreshed.access).send().await.expect(200);
        assert_eq!(ended, json!({ "ended_sessions": 1 }));
        server
            .get("/auth/me")
            .bearer(&refreshed.access)
            .send()
            .await
            .expect_error(401, "token_revoked");
        server
            .get("/auth/me")
            .bearer(&login.access)
            .send()
            .await
            .expect_error(401, "token_revoked");
    }

    async fn me_without_a_token_is_401_with_a_bearer_challenge(db) {
        let server = Server::start(&db).await;
        let reply = server.get("/auth/me").send().await;
        reply.expect_error(401, "missing_token");
        assert!(reply.header("www-authenticate").unwrap().starts_with("Bearer"));
    }

    async fn duplicate_username_is_409(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        register_as(&server, "ada", "another-long-passphrase")
            .await
            .expect_error(409, "username_taken");
    }

    async fn usernames_differing_only_in_case_are_the_same_user(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        register_as(&server, "ADA", PASSWORD)
            .await
            .expect_error(409, "username_taken");
        // And the login finds it whichever case is typed.
        login_as(&server, "Ada", PASSWORD).await.expect(200);
    }

    async fn usernames_differing_only_in_unicode_form_are_the_same_user(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        // Full-width letters normalise (NFKC) to "ada".
        register_as(&server, "ａｄａ", PASSWORD)
            .await
            .expect_error(409, "username_taken");
        // Composed and decomposed accents are one name too.
        register_as(&server, "jos\u{e9}", PASSWORD).await.expect(201);
        register_as(&server, "jose\u{301}", PASSWORD)
            .await
            .expect_error(409, "username_taken");
    }

    async fn username_surrounding_spaces_are_trimmed(db) {
        let server = Server::start(&db).await;
        let user = register_as(&server, "  ada  ", PASSWORD).await.expect(201);
        assert_eq!(user["username"], "ada");
    }

    async fn invalid_username_is_422_naming_the_field(db) {
        let server = Server::start(&db).await;
        for name in ["ab", "has space", "semi;colon", ""] {
            let body = register_as(&server, name, PASSWORD)
                .await
                .expect_error(422, "validation_failed");
            assert_eq!(body["field"], "username", "{name:?}: {body}");
        }
    }

    async fn too_short_password_is_422_naming_the_field(db) {
        let server = Server::start(&db).await;
        let body = register_as(&server, "ada", "x7#kq")
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "password");
        assert!(body["message"].as_str().unwrap().contains("at least 8"), "{body}");
    }

    async fn common_password_is_422_naming_the_field(db) {
        let server = Server::start(&db).await;
        for common in ["password123", "Password1", "qwertyuiop"] {
            let body = register_as(&server, "ada", common)
                .await
                .expect_error(422, "validation_failed");
            assert_eq!(body["field"], "password", "{common}: {body}");
            assert!(body["message"].as_str().unwrap().contains("common"), "{body}");
        }
    }

    async fn password_equal_to_the_username_is_422(db) {
        let server = Server::start(&db).await;
        let body = register_as(&server, "adalovelace", "AdaLovelace")
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "password");
    }

    async fn passwords_of_64_and_128_characters_are_accepted_129_is_not(db) {
        let server = Server::start(&db).await;
        let long = "correct horse battery staple ".repeat(5);
        register_as(&server, "ada", &long[..64]).await.expect(201);
        register_as(&server, "bob", &long[..128]).await.expect(201);
        login_as(&server, "bob", &long[..128]).await.expect(200);
        let body = register_as(&server, "cyd", &long[..129])
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "password");
    }

    async fn unknown_user_wrong_password_and_disabled_user_get_the_same_answer(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        server.register("ada").await;
        let bob = server.register("bob").await;
        server
            .post(&format!("/admin/users/{}/disable", bob["id"].as_str().unwrap()))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);

        let unknown = login_as(&server, "nobody", PASSWORD).await;
        let wrong = login_as(&server, "ada", "not-the-password").await;
        let disabled = login_as(&server, "bob", PASSWORD).await;
        let malformed = login_as(&server, "no such name!", PASSWORD).await;
        let body = unknown.expect_error(401, "invalid_credentials");
        for other in [&wrong, &disabled, &malformed] {
            assert_eq!(other.status, unknown.status);
            assert_eq!(other.body, unknown.body, "{other}");
            assert_eq!(
                other.header("www-authenticate"),
                unknown.header("www-authenticate")
            );
        }
        assert_eq!(body["message"], "invalid username or password");
    }

    async fn failed_logins_are_audited_with_their_reason(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        server.register("ada").await;
        login_as(&server, "ada", "not-the-password").await.expect(401);
        login_as(&server, "nobody", PASSWORD).await.expect(401);
        let events = server.audit(&admin, "login_failed").await;
        let reasons: Vec<&Value> = events.iter().map(|event| &event["detail"]["reason"]).collect();
        assert_eq!(reasons, [&json!("unknown_user"), &json!("wrong_password")]);
        // The audit trail never holds the password typed.
        assert!(!serde_json::to_string(&events).unwrap().contains("not-the-password"));
    }

    async fn repeated_failed_logins_on_one_account_are_429_with_retry_after(db) {
        let server = setup()
            .var("TESSERA_LOGIN_MAX_FAILURES", "3")
            .var("TESSERA_LOGIN_FAILURE_WINDOW", "600")
            .start(&db)
            .await;
        server.register("ada").await;
        for _ in 0..3 {
            login_as(&server, "ada", "not-the-password").await.expect(401);
        }
        // Even the right password is refused while the account is throttled.
        let reply = login_as(&server, "ada", PASSWORD).await;
        reply.expect_error(429, "too_many_requests");
        assert_eq!(reply.header("retry-after"), Some("600"));

        // Other accounts are not affected.
        server.register("bob").await;
        login_as(&server, "bob", PASSWORD).await.expect(200);

        // The window passes; the account logs in again.
        server.clock.advance(601);
        login_as(&server, "ada", PASSWORD).await.expect(200);
    }

    async fn unknown_accounts_are_throttled_like_known_ones(db) {
        let server = setup().var("TESSERA_LOGIN_MAX_FAILURES", "2").start(&db).await;
        for _ in 0..2 {
            login_as(&server, "ghost", PASSWORD).await.expect(401);
        }
        login_as(&server, "ghost", PASSWORD)
            .await
            .expect_error(429, "too_many_requests");
    }

    async fn too_many_credential_requests_from_one_ip_are_429(db) {
        let server = setup().var("TESSERA_IP_MAX_ATTEMPTS", "3").start(&db).await;
        server.register("ada").await;
        login_as(&server, "ada", PASSWORD).await.expect(200);
        login_as(&server, "ada", PASSWORD).await.expect(200);
        let reply = register_as(&server, "bob", PASSWORD).await;
        reply.expect_error(429, "too_many_requests");
        assert_eq!(reply.header("retry-after"), Some("60"));
    }
}

backend_tests! {
    async fn a_lookalike_username_is_422_saying_what_is_wrong(db) {
        let server = Server::start(&db).await;
        server.register("boss").await;
        let cases = [
            ("boss\u{fe0f}", "username must not contain invisible characters (zero-width, variation selectors, fillers)"),
            ("b\u{43e}ss", "username must not mix scripts (such as Latin and Cyrillic letters)"),
        ];
        for (name, message) in cases {
            let body = register_as(&server, name, PASSWORD)
                .await
                .expect_error(422, "validation_failed");
            assert_eq!(body["field"], "username", "{name:?}: {body}");
            assert_eq!(body["message"], message, "{name:?}: {body}");
        }
    }

    async fn a_username_confusable_with_an_existing_one_is_409(db) {
        let server = Server::start(&db).await;
        server.register("cop").await;
        // Cyrillic с, о, р: one script, but it reads as "cop".
        register_as(&server, "\u{441}\u{43e}\u{440}", PASSWORD)
            .await
            .expect_error(409, "username_taken");
    }

    async fn an_email_with_a_direction_control_is_422(db) {
        let server = Server::start(&db).await;
        let body = server
            .post("/auth/register")
            .json(json!({ "username": "ada", "password": PASSWORD, "email": "ada\u{202e}gro.elpmaxe@evil.example" }))
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "email");
        assert_eq!(body["message"], "email must not contain text-direction control characters");
    }

    async fn a_weak_password_is_422_saying_why(db) {
        let server = Server::start(&db).await;
        let cases = [
            ("aaaaaaaa", "password must not be a few characters repeated (like aaaaaaaa or abcabcabc)"),
            ("12345678", "password must not be a run of consecutive characters (like abcdefgh or 87654321)"),
            ("pwuser77pwuser77", "password must not contain the username"),
        ];
        for (password, message) in cases {
            let body = register_as(&server, "pwuser77", password)
                .await
                .expect_error(422, "validation_failed");
            assert_eq!(body["field"], "password", "{password:?}: {body}");
            assert_eq!(body["message"], message, "{password:?}: {body}");
        }
        register_as(&server, "pwuser77", "correct horse battery staple").await.expect(201);
    }
}
