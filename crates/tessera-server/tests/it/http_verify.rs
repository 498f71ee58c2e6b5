//! `GET /auth/verify`, the forward-auth endpoint: headers for a good token,
//! 401 otherwise, and no database on the way. Cookie-borne tokens are held
//! to the CSRF check of the method the proxy reports.

use serde_json::json;

use crate::http_support::{Call, PASSWORD, Server, Tokens, claims, setup};
use crate::store_support::backend_tests;

backend_tests! {
    async fn verify_answers_200_with_user_roles_and_session_headers(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let id = claims(&ada.access)["sub"].as_str().unwrap().to_owned();
        server
            .put(&format!("/admin/users/{id}/roles"))
            .bearer(&admin.access)
            .json(json!({ "roles": ["editor", "billing"] }))
            .send()
            .await
            .expect(200);
        let ada = Tokens::from_body(server.refresh(&ada.refresh).await.expect(200));

        let reply = server.get("/auth/verify").bearer(&ada.access).send().await;
        assert_eq!(reply.expect(200), serde_json::Value::Null);
        assert_eq!(reply.header("x-auth-user"), Some(id.as_str()));
        assert_eq!(reply.header("x-auth-roles"), Some("billing,editor"));
        assert_eq!(reply.header("x-auth-session"), Some(ada.sid().as_str()));
    }

    async fn verify_gives_an_empty_roles_header_for_a_user_without_roles(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let reply = server.get("/auth/verify").bearer(&ada.access).send().await;
        reply.expect(200);
        assert_eq!(reply.header("x-auth-roles"), Some(""));
    }

    async fn verify_without_a_token_is_401(db) {
        let server = Server::start(&db).await;
        let reply = server.get("/auth/verify").send().await;
        reply.expect_error(401, "missing_token");
        assert!(reply.header("www-authenticate").is_some());
        assert!(reply.header("x-auth-user").is_none());
    }

    async fn verify_with_an_expired_token_is_401(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        server.clock.advance(901);
        let reply = server.get("/auth/verify").bearer(&ada.access).send().await;
        reply.expect_error(401, "token_expired");
        assert!(reply.header("x-auth-user").is_none());
    }

    async fn verify_with_a_revoked_token_is_401(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        server.post("/auth/logout").bearer(&ada.access).send().await.expect(200);
        let reply = server.get("/auth/verify").bearer(&ada.access).send().await;
        reply.expect_error(401, "token_revoked");
        assert!(reply.header("x-auth-user").is_none());
    }

    async fn verify_with_a_garbage_token_is_401(db) {
        let server = Server::start(&db).await;
        server
            .get("/auth/verify")
            .bearer("not.a.token")
            .send()
            .await
            .expect_error(401, "invalid_token");
    }

    async fn verify_never_touches_the_database(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let gone = server.login("ada").await;
        server.post("/auth/logout").bearer(&gone.access).send().await.expect(200);

        server.state.auth.store().close().await;
        server.get("/readyz").send().await.expect_error(503, "store_unavailable");
        // A path that needs the database says so, with a 503 (not a 500)…
        server
            .get("/auth/me")
            .bearer(&ada.access)
            .send()
            .await
            .expect_error(503, "store_unavailable");
        // …while forward auth still answers, revocations included.
        let reply = server.get("/auth/verify").bearer(&ada.access).send().await;
        reply.expect(200);
        assert_eq!(reply.header("x-auth-session"), Some(ada.sid().as_str()));
        server
            .get("/auth/verify")
            .bearer(&gone.access)
            .send()
            .await
            .expect_error(401, "token_revoked");
    }

    async fn verify_refuses_a_refresh_token(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        server
            .get("/auth/verify")
            .bearer(&ada.refresh)
            .send()
            .await
            .expect_error(401, "wrong_token_type");
    }

    async fn verify_with_a_malformed_bearer_header_is_401_even_with_a_good_cookie(db) {
        let server = Server::start(&db).await;
        let cookies = CookieLogin::new(&server).await;
        let reply = server
            .get("/auth/verify")
            .header("authorization", "Bearer two words")
            .header("cookie", &cookies.access_only())
            .send()
            .await;
        // 401, not the library's 400: nginx would turn a 400 into a 500.
        reply.expect_error(401, "invalid_request");
        assert!(reply.header("x-auth-user").is_none());
    }

    async fn verify_accepts_an_access_cookie_for_a_safe_forwarded_method(db) {
        let server = Server::start(&db).await;
        let cookies = CookieLogin::new(&server).await;
        for (header, method) in [("x-forwarded-method", "GET"), ("x-original-method", "HEAD")] {
            let reply = cookies
                .verify(&server)
                .header(header, method)
                .send()
                .await;
            reply.expect(200);
            assert_eq!(reply.header("x-auth-session"), Some(cookies.sid.as_str()));
        }
    }

    async fn verify_holds_a_cookie_to_csrf_when_the_forwarded_method_changes_state(db) {
        let server = Server::start(&db).await;
        let cookies = CookieLogin::new(&server).await;
        // A cross-site POST rides the browser's cookie but cannot add the header.
        let forged = cookies
            .verify(&server)
            .header("x-forwarded-method", "POST")
            .send()
            .await;
        forged.expect_error(403, "csrf_missing");
        assert!(forged.header("x-auth-user").is_none());
        // The application's own POST sends the double-submit value.
        cookies
            .verify(&server)
            .header("x-forwarded-method", "DELETE")
            .header("x-csrf-token", &cookies.csrf)
            .send()
            .await
            .expect(200);
        cookies
            .verify(&server)
            .header("x-forwarded-method", "PUT")
            .header("x-csrf-token", "not-the-value")
            .send()
            .await
            .expect_error(403, "csrf_mismatch");
    }

    async fn verify_without_a_forwarded_method_treats_a_cookie_as_state_changing(db) {
        let server = Server::start(&db).await;
        let cookies = CookieLogin::new(&server).await;
        cookies
            .verify(&server)
            .send()
            .await
            .expect_error(403, "csrf_missing");
        cookies
            .verify(&server)
            .header("x-forwarded-method", "not a method")
            .send()
            .await
            .expect_error(403, "csrf_missing");
        cookies
            .verify(&server)
            .header("x-csrf-token", &cookies.csrf)
            .send()
            .await
            .expect(200);
    }

    async fn verify_is_not_talked_out_of_csrf_by_a_passed_through_method_header(db) {
        let server = Server::start(&db).await;
        let cookies = CookieLogin::new(&server).await;
        // nginx (the README's config) sets X-Original-Method and passes the
        // client's own X-Forwarded-Method through; Traefik and Caddy the
        // other way round. A safe method in one never excuses the other.
        for (forwarded, original) in [("GET", "POST"), ("POST", "GET")] {
            let reply = cookies
                .verify(&server)
                .header("x-forwarded-method", forwarded)
                .header("x-original-method", original)
                .send()
                .await;
            reply.expect_error(403, "csrf_missing");
            assert!(reply.header("x-auth-user").is_none());
        }
        cookies
            .verify(&server)
            .header("x-forwarded-method", "GET")
            .header("x-original-method", "HEAD")
            .send()
            .await
            .expect(200);
    }

    async fn verify_holds_every_method_but_get_head_and_options_to_csrf(db) {
        let server = Server::start(&db).await;
        let cookies = CookieLogin::new(&server).await;
        // Methods are case-sensitive (RFC 9110 §9.1): `get` is not GET.
        for method in ["post", "get", "PROPFIND", "MKCOL", "PURGE"] {
            cookies
                .verify(&server)
                .header("x-original-method", method)
                .send()
                .await
                .expect_error(403, "csrf_missing");
            cookies
                .verify(&server)
                .header("x-original-method", method)
                .header("x-csrf-token", &cookies.csrf)
                .send()
                .await
                .expect(200);
        }
    }

    async fn verify_answers_a_forwarded_preflight_like_a_get(db) {
        let server = Server::start(&db).await;
        let cookies = CookieLogin::new(&server).await;
        cookies
            .verify(&server)
            .header("x-forwarded-method", "OPTIONS")
            .send()
            .await
            .expect(200);
        // Without credentials a preflight is not let through.
        server
            .get("/auth/verify")
            .header("x-forwarded-method", "OPTIONS")
            .send()
            .await
            .expect_error(401, "missing_token");
    }

    async fn verify_prefers_a_bearer_header_over_cookies(db) {
        let server = Server::start(&db).await;
        let cookies = CookieLogin::new(&server).await;
        let bob = server.signed_up("bob").await;
        // The header wins, and needs no CSRF value even for a POST.
        let reply = server
            .get("/auth/verify")
            .bearer(&bob.access)
            .header("cookie", &cookies.access_only())
            .header("x-forwarded-method", "POST")
            .send()
            .await;
        reply.expect(200);
        assert_eq!(reply.header("x-auth-session"), Some(bob.sid().as_str()));
    }

    async fn verify_refuses_a_token_whose_identity_cannot_be_forwarded(db) {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        // A correctly signed token (say, from an older release or another
        // issuer sharing the key) whose roles hold a line break.
        let options = tessera::TokenOptions::new()
            .claim("sid", ada.sid())
            .claim("roles", ["editor\r\nX-Admin: yes"]);
        let odd = server
            .state
            .jwt
            .create_access_token_with("someone", options)
            .unwrap();
        let reply = server.get("/auth/verify").bearer(&odd).send().await;
        reply.expect_error(401, "invalid_token");
        assert!(reply.header("x-auth-user").is_none());
    }

    async fn verify_reads_only_the_configured_token_locations(db) {
        let server = setup().var("JWT_TOKEN_LOCATION", "cookies").start(&db).await;
        let cookies = CookieLogin::new(&server).await;
        let bob = server.signed_up("bob").await;
        server
            .get("/auth/verify")
            .bearer(&bob.access)
            .header("x-forwarded-method", "GET")
            .send()
            .await
            .expect_error(401, "missing_token");
        cookies
            .verify(&server)
            .header("x-forwarded-method", "GET")
            .send()
            .await
            .expect(200);
    }

    async fn verify_of_a_revoked_cookie_session_is_401(db) {
        let server = Server::start(&db).await;
        let cookies = CookieLogin::new(&server).await;
        server
            .post("/auth/logout")
            .header("cookie", &cookies.access_only())
            .header("x-csrf-token", &cookies.csrf)
            .send()
            .await
            .expect(200);
        cookies
            .verify(&server)
            .header("x-forwarded-method", "GET")
            .send()
            .await
            .expect_error(401, "token_revoked");
    }
}

/// A browser session: `ada` logged in with `?cookies=true`.
struct CookieLogin {
    access: String,
    csrf: String,
    sid: String,
}

impl CookieLogin {
    async fn new(server: &Server) -> CookieLogin {
        server.register("ada").await;
        let login = server
            .post("/auth/login?cookies=true")
            .json(json!({ "username": "ada", "password": PASSWORD }))
            .send()
            .await;
        login.expect(200);
        let access = login.cookie_value("access_token_cookie");
        let sid = claims(&access)["sid"].as_str().unwrap().to_owned();
        CookieLogin {
            csrf: login.cookie_value("csrf_access_token"),
            access,
            sid,
        }
    }

    /// The `Cookie` header a browser sends on a cross-site request.
    fn access_only(&self) -> String {
        format!("access_token_cookie={}", self.access)
    }

    /// The proxy's subrequest for a request carrying that cookie.
    fn verify(&self, server: &Server) -> Call {
        server
            .get("/auth/verify")
            .header("cookie", &self.access_only())
    }
}
