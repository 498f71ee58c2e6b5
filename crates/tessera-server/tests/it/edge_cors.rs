//! CORS (`TESSERA_CORS_ORIGINS`): off by default; listed origins get
//! credentialed answers and preflights; any other origin gets no CORS
//! header at all, and never `*`.

use crate::http_support::{Reply, Server, setup};
use crate::store_support::{Kind, run};

const APP: &str = "https://app.example.com";
const OTHER: &str = "https://evil.example.net";

/// The `Access-Control-*` headers of a reply.
fn cors_headers(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

async fn with_origins(db: &crate::store_support::TestDb) -> Server {
    setup()
        .var(
            "TESSERA_CORS_ORIGINS",
            format!("{APP}, http://localhost:3000"),
        )
        .start(db)
        .await
}

#[tokio::test]
async fn without_a_list_no_origin_gets_cors_headers() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        let reply = server.get("/healthz").header("origin", APP).send().await;
        reply.expect(200);
        assert!(cors_headers(&reply).is_empty(), "{reply}");
        let preflight = server
            .request(axum::http::Method::OPTIONS, "/auth/login")
            .header("origin", APP)
            .header("access-control-request-method", "POST")
            .send()
            .await;
        assert!(cors_headers(&preflight).is_empty(), "{preflight}");
    })
    .await;
}

#[tokio::test]
async fn a_listed_origin_may_call_with_credentials() {
    run(Kind::Sqlite, |db| async move {
        let server = with_origins(&db).await;
        let reply = server.get("/auth/me").header("origin", APP).send().await;
        reply.expect_error(401, "missing_token");
        assert_eq!(reply.header("access-control-allow-origin"), Some(APP));
        assert_eq!(
            reply.header("access-control-allow-credentials"),
            Some("true")
        );
        let exposed = reply.header("access-control-expose-headers").unwrap();
        assert!(exposed.contains("www-authenticate"), "{exposed}");
        let vary: Vec<_> = reply.headers.get_all("vary").iter().collect();
        assert!(
            vary.iter()
                .any(|value| value.to_str().unwrap().contains("origin")),
            "{reply}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_preflight_from_a_listed_origin_is_answered() {
    run(Kind::Sqlite, |db| async move {
        let server = with_origins(&db).await;
        let preflight = server
            .request(axum::http::Method::OPTIONS, "/auth/login")
            .header("origin", "http://localhost:3000")
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, x-csrf-token",
            )
            .send()
            .await;
        assert!(preflight.status.is_success(), "{preflight}");
        assert_eq!(
            preflight.header("access-control-allow-origin"),
            Some("http://localhost:3000")
        );
        assert_eq!(
            preflight.header("access-control-allow-credentials"),
            Some("true")
        );
        let methods = preflight.header("access-control-allow-methods").unwrap();
        assert!(methods.contains("POST"), "{methods}");
        let headers = preflight.header("access-control-allow-headers").unwrap();
        for name in ["content-type", "x-csrf-token", "authorization"] {
            assert!(headers.contains(name), "{name} in {headers}");
        }
        assert!(preflight.header("access-control-max-age").is_some());
    })
    .await;
}

#[tokio::test]
async fn an_unlisted_origin_gets_no_cors_header_at_all() {
    run(Kind::Sqlite, |db| async move {
        let server = with_origins(&db).await;
        let reply = server.get("/healthz").header("origin", OTHER).send().await;
        reply.expect(200);
        assert!(cors_headers(&reply).is_empty(), "{reply}");
        let preflight = server
            .request(axum::http::Method::OPTIONS, "/auth/login")
            .header("origin", OTHER)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await;
        assert!(cors_headers(&preflight).is_empty(), "{preflight}");
        // A listed origin's look-alikes are other origins.
        for origin in [
            "https://app.example.com.evil.net",
            "http://app.example.com",
            "https://app.example.com:8443",
            "null",
        ] {
            let reply = server.get("/healthz").header("origin", origin).send().await;
            assert!(cors_headers(&reply).is_empty(), "{origin}: {reply}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_wildcard_is_never_granted() {
    run(Kind::Sqlite, |db| async move {
        let server = with_origins(&db).await;
        for origin in [APP, OTHER] {
            let reply = server.get("/healthz").header("origin", origin).send().await;
            assert_ne!(reply.header("access-control-allow-origin"), Some("*"));
        }
        let refused = setup()
            .var("TESSERA_CORS_ORIGINS", "*")
            .server_config_result()
            .unwrap_err()
            .to_string();
        assert!(
            refused.starts_with("TESSERA_CORS_ORIGINS: \"*\" must be an origin"),
            "{refused}"
        );
    })
    .await;
}
