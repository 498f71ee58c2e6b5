//! `GET /auth/verify`, the forward-auth endpoint: headers for a good token,
//! 401 otherwise, and no database on the way.

use serde_json::json;

use crate::http_support::{Server, Tokens, claims};
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
        server.get("/readyz").send().await.expect_error(503, "service_unavailable");
        // A path that needs the database says so, with a 503 (not a 500)…
        server
            .get("/auth/me")
            .bearer(&ada.access)
            .send()
            .await
            .expect_error(503, "service_unavailable");
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
}
