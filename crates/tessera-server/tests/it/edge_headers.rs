//! The headers on every response: no caching of tokens or personal data,
//! `nosniff`, `no-referrer`, HSTS behind an https public URL, and a
//! `WWW-Authenticate` challenge on every 401 — each header once, the portal
//! pages included.

use serde_json::json;

use crate::http_support::{Reply, Server, setup};
use crate::store_support::{Kind, run};

/// The headers every response carries.
#[track_caller]
fn assert_hardened(reply: &Reply) {
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ] {
        let values: Vec<_> = reply.headers.get_all(name).iter().collect();
        assert_eq!(values, [value], "{name} on {reply}");
    }
}

/// The headers of a response that must not be cached.
#[track_caller]
fn assert_not_stored(reply: &Reply) {
    let values: Vec<_> = reply.headers.get_all("cache-control").iter().collect();
    assert_eq!(values, ["no-store"], "{reply}");
    assert_eq!(reply.header("pragma"), Some("no-cache"), "{reply}");
}

#[tokio::test]
async fn a_token_response_is_never_stored_by_a_cache() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let login = server
            .post("/auth/login")
            .json(json!({ "username": "ada", "password": crate::http_support::PASSWORD }))
            .send()
            .await;
        login.expect(200);
        assert_not_stored(&login);
        assert_hardened(&login);
        let tokens = crate::http_support::Tokens::from_body(login.json());
        let refreshed = server.refresh(&tokens.refresh).await;
        refreshed.expect(200);
        assert_not_stored(&refreshed);
        let me = server.get("/auth/me").bearer(&tokens.access).send().await;
        me.expect(200);
        assert_not_stored(&me);
        assert_hardened(&me);
    })
    .await;
}

#[tokio::test]
async fn errors_and_plain_answers_carry_the_same_headers() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        for path in ["/healthz", "/nope", "/auth/me", "/openapi.json"] {
            let reply = server.get(path).send().await;
            assert_hardened(&reply);
            assert_not_stored(&reply);
            assert!(reply.header("strict-transport-security").is_none());
        }
    })
    .await;
}

#[tokio::test]
async fn the_public_documents_keep_their_cache_lifetime() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        for path in [
            "/.well-known/jwks.json",
            "/.well-known/openid-configuration",
        ] {
            let reply = server.get(path).send().await;
            reply.expect(200);
            let values: Vec<_> = reply.headers.get_all("cache-control").iter().collect();
            assert_eq!(values, ["public, max-age=300"], "{path}");
            assert!(reply.header("pragma").is_none(), "{path}");
            assert_hardened(&reply);
        }
    })
    .await;
}

#[tokio::test]
async fn a_failed_login_carries_a_bearer_challenge() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let reply = server
            .post("/auth/login")
            .json(json!({ "username": "ada", "password": "not the password" }))
            .send()
            .await;
        reply.expect_error(401, "invalid_credentials");
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer realm=\"tessera\"")
        );
        assert_not_stored(&reply);
    })
    .await;
}

#[tokio::test]
async fn every_token_401_carries_one_rfc_6750_challenge() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        for call in [
            server.get("/auth/me"),
            server.get("/auth/me").bearer("not.a.token"),
            server.get("/auth/verify").bearer("not.a.token"),
            server.post("/auth/refresh").bearer("not.a.token"),
        ] {
            let path = call.path().to_owned();
            let reply = call.send().await;
            assert_eq!(reply.status.as_u16(), 401, "{path}: {reply}");
            let challenges: Vec<_> = reply.headers.get_all("www-authenticate").iter().collect();
            assert_eq!(challenges.len(), 1, "{path}: {reply}");
            assert!(
                challenges[0].to_str().unwrap().starts_with("Bearer"),
                "{path}: {reply}"
            );
        }
        let bad = server.get("/auth/me").bearer("not.a.token").send().await;
        assert!(
            bad.header("www-authenticate")
                .unwrap()
                .contains("error=\"invalid_token\""),
            "{bad}"
        );
    })
    .await;
}

#[tokio::test]
async fn hsts_is_sent_only_when_the_public_url_is_https() {
    run(Kind::Sqlite, |db| async move {
        let plain = Server::start(&db).await;
        let reply = plain.get("/healthz").send().await;
        assert!(reply.header("strict-transport-security").is_none());
        plain.state.auth.store().close().await;

        let secure = setup()
            .var("TESSERA_PUBLIC_URL", "https://auth.example.com")
            .start(&db)
            .await;
        for path in ["/healthz", "/.well-known/jwks.json", "/login", "/nope"] {
            let reply = secure.get(path).send().await;
            assert_eq!(
                reply.header("strict-transport-security"),
                Some("max-age=31536000"),
                "{path}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn portal_pages_carry_each_header_once_beside_their_own_policy() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        let page = server.get("/login").send().await;
        page.expect(200);
        assert_hardened(&page);
        assert_not_stored(&page);
        assert!(
            page.header("content-security-policy")
                .unwrap()
                .contains("default-src 'none'")
        );
        assert_eq!(
            page.header("cross-origin-opener-policy"),
            Some("same-origin")
        );
    })
    .await;
}
