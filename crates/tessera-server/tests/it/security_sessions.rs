//! Session fixation: a login never adopts a session the client brings.
//! Whatever cookies or tokens an attacker planted in the victim's browser,
//! signing in starts a new session (a new `sid`, new token cookies in
//! place of the planted ones), and the planted session stays the
//! attacker's, never the victim's.

use serde_json::json;

use crate::http_support::Server;
use crate::http_support::{PASSWORD, claims};
use crate::store_support::backend_tests;

backend_tests! {
    async fn a_login_with_planted_session_cookies_starts_a_new_session_and_replaces_them(db) {
        let server = Server::start(&db).await;
        server.register("victim").await;
        let planted = server
            .post("/auth/login?cookies=true")
            .json(json!({ "username": server.register("mallory").await["username"], "password": PASSWORD }))
            .send()
            .await;
        planted.expect(200);
        let planted_access = planted.cookie_value("access_token_cookie");
        let planted_refresh = planted.cookie_value("refresh_token_cookie");
        let planted_sid = claims(&planted_access)["sid"].as_str().unwrap().to_owned();

        // The victim signs in with the attacker's cookies (and token) still sent.
        let login = server
            .post("/auth/login?cookies=true")
            .header(
                "cookie",
                &format!("access_token_cookie={planted_access}; refresh_token_cookie={planted_refresh}"),
            )
            .bearer(&planted_access)
            .json(json!({ "username": "victim", "password": PASSWORD }))
            .send()
            .await;
        login.expect(200);
        let access = login.cookie_value("access_token_cookie");
        let refresh = login.cookie_value("refresh_token_cookie");
        let session = claims(&access);
        assert_ne!(session["sid"], planted_sid, "the planted session was adopted");
        assert_eq!(claims(&refresh)["sid"], session["sid"]);
        assert_ne!(access, planted_access);
        let me = server.get("/auth/me").bearer(&access).send().await.expect(200);
        assert_eq!(me["username"], "victim");
        // The planted tokens still name the attacker, nobody else.
        let theirs = server.get("/auth/me").bearer(&planted_access).send().await.expect(200);
        assert_eq!(theirs["username"], "mallory");
    }

    async fn every_login_gets_a_fresh_session_id_and_fresh_tokens(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let first = server.login("ada").await;
        let second = server.login("ada").await;
        assert_ne!(first.sid(), second.sid());
        assert_ne!(claims(&first.access)["jti"], claims(&second.access)["jti"]);
        assert_ne!(claims(&first.refresh)["jti"], claims(&second.refresh)["jti"]);
    }
}
