//! Credential rate limits that a client cannot step around: look-alike
//! spellings of a username, forged forwarded addresses, other endpoints
//! that check a password. And the way out of a lockout: an admin unlock.

use serde_json::json;

use crate::http_support::{PASSWORD, Server, claims, setup};
use crate::store_support::backend_tests;

async fn login_as(server: &Server, username: &str, password: &str) -> crate::http_support::Reply {
    server
        .post("/auth/login")
        .json(json!({ "username": username, "password": password }))
        .send()
        .await
}

backend_tests! {
    async fn an_admin_unlock_lets_a_locked_out_user_log_in_at_once(db) {
        let server = setup().var("TESSERA_LOGIN_MAX_FAILURES", "2").start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.register("ada").await;
        let id = ada["id"].as_str().unwrap().to_owned();
        // Someone else guesses until the account is locked.
        for _ in 0..2 {
            login_as(&server, "ada", "not-the-password").await.expect(401);
        }
        login_as(&server, "ada", PASSWORD)
            .await
            .expect_error(429, "too_many_requests");

        let unlocked = server
            .post(&format!("/admin/users/{id}/unlock"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        assert_eq!(unlocked["username"], "ada");
        login_as(&server, "ａｄａ", PASSWORD).await.expect(200);
        let events = server.audit(&admin, "user_unlocked").await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["user_id"], id);
        assert_eq!(events[0]["detail"]["by"], claims(&admin.access)["sub"]);
    }

    async fn unlock_is_for_admins_and_names_existing_users(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let id = claims(&ada.access)["sub"].as_str().unwrap().to_owned();
        server
            .post(&format!("/admin/users/{id}/unlock"))
            .bearer(&ada.access)
            .send()
            .await
            .expect_error(403, "insufficient_role");
        server
            .post("/admin/users/no-such-user/unlock")
            .bearer(&admin.access)
            .send()
            .await
            .expect_error(404, "user_not_found");
    }

    async fn unicode_variants_of_a_username_share_its_failed_login_limit(db) {
        let server = setup().var("TESSERA_LOGIN_MAX_FAILURES", "2").start(&db).await;
        server.register("ada").await;
        login_as(&server, "ada", "not-the-password").await.expect(401);
        login_as(&server, "ada", "not-the-password").await.expect(401);
        // Full-width and ligature-free spellings all log in as "ada" (NFKC),
        // so they must not each get a fresh allowance of guesses.
        for variant in ["ａｄａ", "ａda", "Ａdａ"] {
            login_as(&server, variant, PASSWORD)
                .await
                .expect_error(429, "too_many_requests");
        }
    }

    async fn a_forged_forwarded_address_does_not_escape_the_ip_limit(db) {
        let server = setup()
            .var("TESSERA_TRUST_FORWARDED", "true")
            .var("TESSERA_IP_MAX_ATTEMPTS", "2")
            .start(&db)
            .await;
        // The proxy appends the address it saw (203.0.113.9) to whatever the
        // client sent; only that last entry can be believed.
        for (n, forged) in ["198.51.100.1", "198.51.100.2"].into_iter().enumerate() {
            server
                .post("/auth/login")
                .header("x-forwarded-for", &format!("{forged}, 203.0.113.9"))
                .json(json!({ "username": format!("user{n}"), "password": PASSWORD }))
                .send()
                .await
                .expect(401);
        }
        server
            .post("/auth/login")
            .header("x-forwarded-for", "198.51.100.3, 203.0.113.9")
            .json(json!({ "username": "user3", "password": PASSWORD }))
            .send()
            .await
            .expect_error(429, "too_many_requests");
    }

    async fn a_forwarded_address_with_a_port_is_the_client_not_the_proxy(db) {
        let server = setup()
            .var("TESSERA_TRUST_FORWARDED", "true")
            .var("TESSERA_IP_MAX_ATTEMPTS", "1")
            .start(&db)
            .await;
        let login_from = |forwarded: &'static str| {
            server
                .post("/auth/login")
                .header("x-forwarded-for", forwarded)
                .json(json!({ "username": "nobody", "password": PASSWORD }))
                .send()
        };
        // Some load balancers append `ip:port`, or `[ipv6]:port`; each
        // address is its own client, whatever its port.
        login_from("198.51.100.1, 203.0.113.9:4711").await.expect(401);
        login_from("203.0.113.10:4711").await.expect(401);
        login_from("[2001:db8:1:2::1]:443").await.expect(401);
        login_from("[2001:db8:9:9::1]").await.expect(401);
        login_from("203.0.113.9:5000")
            .await
            .expect_error(429, "too_many_requests");
        login_from("[2001:db8:1:2::1]")
            .await
            .expect_error(429, "too_many_requests");
    }

    async fn an_unreadable_forwarded_address_is_a_400_naming_the_header(db) {
        let server = setup()
            .var("TESSERA_TRUST_FORWARDED", "true")
            .var("TESSERA_IP_MAX_ATTEMPTS", "1")
            .start(&db)
            .await;
        // Falling back to the proxy's own address would put every client in
        // one bucket, so one of them could lock everyone out.
        for forwarded in ["garbage", "198.51.100.1, ", "203.0.113.9:http", "[203.0.113.9]:80"] {
            let reply = server
                .post("/auth/login")
                .header("x-forwarded-for", forwarded)
                .json(json!({ "username": "nobody", "password": PASSWORD }))
                .send()
                .await;
            let body = reply.expect_error(400, "invalid_request");
            assert!(
                body["message"].as_str().unwrap().contains("X-Forwarded-For"),
                "{forwarded:?}: {body}"
            );
        }
        // None of them was counted against anyone.
        server
            .post("/auth/login")
            .header("x-forwarded-for", "198.51.100.7")
            .json(json!({ "username": "nobody", "password": PASSWORD }))
            .send()
            .await
            .expect(401);
    }

    async fn wrong_current_passwords_at_password_change_count_toward_the_account_limit(db) {
        let server = setup().var("TESSERA_LOGIN_MAX_FAILURES", "2").start(&db).await;
        let login = server.signed_up("ada").await;
        for _ in 0..2 {
            server
                .post("/auth/password")
                .bearer(&login.access)
                .json(json!({ "current_password": "not-the-password", "new_password": "a-brand-new-passphrase" }))
                .send()
                .await
                .expect_error(401, "invalid_credentials");
        }
        // A stolen fresh token is no unlimited oracle for the password.
        server
            .post("/auth/password")
            .bearer(&login.access)
            .json(json!({ "current_password": PASSWORD, "new_password": "a-brand-new-passphrase" }))
            .send()
            .await
            .expect_error(429, "too_many_requests");
        login_as(&server, "ada", PASSWORD)
            .await
            .expect_error(429, "too_many_requests");
    }

    async fn parallel_wrong_passwords_cannot_outrun_the_failed_login_limit(db) {
        let server = setup().var("TESSERA_LOGIN_MAX_FAILURES", "3").start(&db).await;
        server.register("ada").await;
        // Sent at once, every guess would pass a check made before any
        // failure is recorded; the limit must hold anyway.
        let calls: Vec<_> = (0..12)
            .map(|_| {
                tokio::spawn(
                    server
                        .post("/auth/login")
                        .json(json!({ "username": "ada", "password": "not-the-password" }))
                        .send(),
                )
            })
            .collect();
        let mut checked = 0;
        for call in calls {
            let reply = call.await.unwrap();
            match reply.status.as_u16() {
                401 => checked += 1,
                429 => {
                    reply.expect_error(429, "too_many_requests");
                }
                _ => panic!("neither a refusal nor a throttle: {reply}"),
            }
        }
        assert!(checked <= 3, "{checked} passwords were checked; the limit is 3");
    }

    async fn addresses_of_one_ipv6_network_share_the_ip_limit(db) {
        let server = setup()
            .var("TESSERA_TRUST_FORWARDED", "true")
            .var("TESSERA_IP_MAX_ATTEMPTS", "2")
            .start(&db)
            .await;
        let login_from = |ip: &'static str| {
            server
                .post("/auth/login")
                .header("x-forwarded-for", ip)
                .json(json!({ "username": "nobody", "password": PASSWORD }))
                .send()
        };
        // One host usually holds a whole /64: each address is free to use.
        login_from("2001:db8:1:2::1").await.expect(401);
        login_from("2001:db8:1:2::2").await.expect(401);
        login_from("2001:db8:1:2:ffff:ffff:ffff:3")
            .await
            .expect_error(429, "too_many_requests");
        // Another network is another client.
        login_from("2001:db8:1:3::1").await.expect(401);
        // IPv4 clients of a dual-stack listener arrive as mapped addresses;
        // each is still its own client, and the same one as its IPv4 form.
        login_from("::ffff:192.0.2.1").await.expect(401);
        login_from("::ffff:192.0.2.2").await.expect(401);
        login_from("192.0.2.1").await.expect(401);
        login_from("192.0.2.1")
            .await
            .expect_error(429, "too_many_requests");
    }
}
