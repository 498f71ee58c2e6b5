//! Requests built to confuse: conflicting framing over a raw socket (hyper
//! refuses it, or reads it one way and closes, so nothing can be smuggled
//! behind it), duplicate `Authorization` and `Content-Type`, a `Bearer`
//! header with two tokens, and bytes other than printable ASCII in every
//! header Tessera reads — each a clear 400, never a 500, never the wrong
//! token used.

use serde_json::json;

use crate::edge_support::{listen, send_raw};
use crate::http_support::{PASSWORD, Reply, Server, assert_error_shape, setup};
use crate::store_support::{Kind, run};

/// A 400 naming the header: `invalid_request` with RFC 6750's challenge
/// for the token header, `invalid_header` for the others.
#[track_caller]
fn assert_invalid_header(reply: &Reply, name: &str) {
    assert_refused(reply, 400, name);
}

/// As [`assert_invalid_header`], with the status the endpoint gives.
#[track_caller]
fn assert_refused(reply: &Reply, status: u16, name: &str) {
    let code = if name == "authorization" {
        "invalid_request"
    } else {
        "invalid_header"
    };
    let body = reply.expect_error(status, code);
    assert_error_shape(&body);
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(name), "{name}: {message}");
    if name == "authorization" {
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer error=\"invalid_request\"")
        );
    }
    assert!(reply.header("x-auth-user").is_none());
}

#[tokio::test]
async fn two_authorization_headers_are_refused_whichever_token_is_good() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let bob = server.signed_up("bob").await;
        for (first, second) in [
            (&ada.access, &bob.access),
            (&ada.access, &"junk".to_owned()),
            (&"junk".to_owned(), &ada.access),
        ] {
            let reply = server
                .get("/auth/me")
                .bearer(first)
                .bearer(second)
                .send()
                .await;
            assert_invalid_header(&reply, "authorization");
            assert!(reply.header("x-auth-user").is_none());
        }
        // Forward auth refuses with 401: a proxy would turn a 400 into a 500.
        let verify = server
            .get("/auth/verify")
            .bearer(&ada.access)
            .bearer(&bob.access)
            .send()
            .await;
        assert_refused(&verify, 401, "authorization");
    })
    .await;
}

#[tokio::test]
async fn a_bearer_header_with_two_tokens_is_refused() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let bob = server.signed_up("bob").await;
        for value in [
            format!("Bearer {} {}", ada.access, bob.access),
            format!("Bearer {}, Bearer {}", ada.access, bob.access),
            "Bearer".to_owned(),
        ] {
            let reply = server
                .get("/auth/me")
                .header("authorization", &value)
                .send()
                .await;
            assert_invalid_header(&reply, "authorization");
        }
        // Another scheme beside one Bearer credential is still read.
        let beside = server
            .get("/auth/me")
            .header(
                "authorization",
                &format!("Basic eDp5, Bearer {}", ada.access),
            )
            .send()
            .await;
        assert_eq!(beside.expect(200)["username"], "ada");
    })
    .await;
}

#[tokio::test]
async fn two_content_types_are_refused() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let reply = server
            .post("/auth/login")
            .json(json!({ "username": "ada", "password": PASSWORD }))
            .header("content-type", "text/plain")
            .send()
            .await;
        assert_invalid_header(&reply, "content-type");
    })
    .await;
}

#[tokio::test]
async fn bytes_other_than_printable_ascii_in_a_read_header_are_refused() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        let ada = server.signed_up("ada").await;
        let bearer = format!("Bearer {}", ada.access);
        for name in [
            "authorization",
            "cookie",
            "x-forwarded-for",
            "x-forwarded-proto",
            "x-forwarded-host",
            "x-forwarded-uri",
            "x-forwarded-method",
            "user-agent",
            "x-csrf-token",
            "origin",
            "content-type",
        ] {
            for value in [&b"caf\xc3\xa9"[..], b"\xff\xfe"] {
                let mut call = server.get("/auth/verify");
                if name != "authorization" {
                    call = call.header("authorization", &bearer);
                }
                let reply = call.header_bytes(name, value).send().await;
                assert_refused(&reply, 401, name);
                let mut call = server.get("/auth/me");
                if name != "authorization" {
                    call = call.header("authorization", &bearer);
                }
                let reply = call.header_bytes(name, value).send().await;
                assert_invalid_header(&reply, name);
            }
        }
    })
    .await;
}

#[tokio::test]
async fn headers_tessera_does_not_read_may_hold_any_legal_bytes() {
    run(Kind::Sqlite, |db| async move {
        let server = Server::start(&db).await;
        let reply = server
            .get("/healthz")
            .header_bytes("x-custom", b"caf\xc3\xa9")
            .send()
            .await;
        reply.expect(200);
    })
    .await;
}

/// A login with both `Content-Length` and `Transfer-Encoding: chunked`,
/// and a second request hidden where the length says the body ends.
const SMUGGLE: &str = "POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
    Content-Type: application/json\r\nContent-Length: 4\r\n\
    Transfer-Encoding: chunked\r\n\r\n\
    0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_beside_chunked_is_read_as_chunked_and_the_connection_closed() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup(), &db).await;
        let reply = send_raw(listening.addr, SMUGGLE.as_bytes()).await;
        // One answer (to an empty chunked body), then the connection ends:
        // what followed is never read as a request.
        assert!(
            [400, 422].contains(&reply.status),
            "the chunked body is empty: {reply:?}"
        );
        assert!(
            !reply.body.contains("HTTP/1.1"),
            "a second answer: {reply:?}"
        );
        assert_eq!(reply.header("connection"), Some("close"), "{reply:?}");
        listening.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_framing_is_a_400_from_the_http_layer_never_a_500() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup(), &db).await;
        for request in [
            // Two different lengths.
            "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            // A transfer coding that is not chunked last.
            "POST /auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}",
            // Transfer-Encoding in HTTP/1.0.
            "POST /auth/login HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            // A length that is not a number.
            "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n{}",
            // A control byte inside a header value.
            "GET /auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\x01b\r\n\r\n",
            // A header line without a colon.
            "GET /healthz HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n",
        ] {
            let reply = send_raw(listening.addr, request.as_bytes()).await;
            assert_eq!(reply.status, 400, "{request:?}: {reply:?}");
        }
        listening.stop().await;
    })
    .await;
}
