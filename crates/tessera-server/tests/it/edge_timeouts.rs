//! Slow and greedy clients against the server on a real socket: a client
//! dribbling its headers, one saying nothing, an idle kept-alive
//! connection, a body that never ends, more connections than allowed, and
//! a login flood while health checks and forward auth keep being answered.

use std::time::Duration;

use serde_json::json;
use tessera_server::domain::Argon2Params;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::edge_support::{PATIENCE, closed_by_server, get, listen, post_json, read_to_close};
use crate::http_support::{PASSWORD, setup};
use crate::store_support::{Kind, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_dribbling_its_headers_is_cut_off() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup().var("TESSERA_HEADER_TIMEOUT", "1"), &db).await;
        let mut stream = TcpStream::connect(listening.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        // One byte every 100 ms, for up to the test's patience: the server
        // must end the connection long before the head is complete.
        let started = tokio::time::Instant::now();
        let mut cut_off = false;
        while started.elapsed() < PATIENCE {
            if stream.write_all(b"a").await.is_err() {
                cut_off = true;
                break;
            }
            let mut byte = [0u8; 1];
            // hyper may say 408 first; the connection still ends (a read
            // of 0 bytes, or an error).
            let read =
                tokio::time::timeout(Duration::from_millis(100), stream.read(&mut byte)).await;
            if let Ok(Ok(0) | Err(_)) = read {
                cut_off = true;
                break;
            }
        }
        assert!(cut_off, "a slowloris client kept its connection");
        let healthy = get(listening.addr, "/healthz", &[]).await;
        assert_eq!(healthy.status, 200);
        listening.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_says_nothing_is_disconnected() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup().var("TESSERA_HEADER_TIMEOUT", "1"), &db).await;
        let mut silent = TcpStream::connect(listening.addr).await.unwrap();
        let sent = closed_by_server(&mut silent).await;
        assert!(sent.is_empty(), "{:?}", String::from_utf8_lossy(&sent));
        listening.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_stopping_inside_the_http2_preface_is_disconnected() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup().var("TESSERA_HEADER_TIMEOUT", "1"), &db).await;
        let mut stalled = TcpStream::connect(listening.addr).await.unwrap();
        stalled.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
        let sent = closed_by_server(&mut stalled).await;
        assert!(sent.is_empty(), "{:?}", String::from_utf8_lossy(&sent));
        listening.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup().var("TESSERA_HEADER_TIMEOUT", "1"), &db).await;
        let mut stream = TcpStream::connect(listening.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        // The answer arrives and the connection stays open for another
        // request…
        let mut head = vec![0u8; 17];
        stream.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200 OK\r\n");
        // …until it has been idle too long.
        let rest = closed_by_server(&mut stream).await;
        let rest = String::from_utf8_lossy(&rest);
        assert!(rest.ends_with("\r\n\r\nok"), "{rest}");
        listening.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_ends_gets_408_request_timeout() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup().var("TESSERA_REQUEST_TIMEOUT", "1"), &db).await;
        let mut stream = TcpStream::connect(listening.addr).await.unwrap();
        stream
            .write_all(
                b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                  Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":",
            )
            .await
            .unwrap();
        let reply = read_to_close(&mut stream).await;
        assert_eq!(reply.status, 408, "{reply:?}");
        assert_eq!(reply.json()["error"], "request_timeout");
        listening.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_connection_cap_a_client_gets_503_with_retry_after_at_once() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup().var("TESSERA_MAX_CONNECTIONS", "2"), &db).await;
        let held_one = TcpStream::connect(listening.addr).await.unwrap();
        let _held_two = TcpStream::connect(listening.addr).await.unwrap();
        // Accepting is asynchronous: wait until both are counted.
        let busy = loop {
            let reply = get(listening.addr, "/healthz", &[]).await;
            if reply.status == 503 {
                break reply;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert_eq!(busy.json()["error"], "server_busy");
        assert_eq!(busy.header("retry-after"), Some("1"));
        assert_eq!(busy.header("x-content-type-options"), Some("nosniff"));
        // A connection given back makes room again.
        drop(held_one);
        let healthy = loop {
            let reply = get(listening.addr, "/healthz", &[]).await;
            if reply.status == 200 {
                break reply;
            }
            assert_eq!(reply.status, 503, "{reply:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert_eq!(healthy.body, "ok");
        listening.stop().await;
    })
    .await;
}

/// Argon2id costs that make each hash take real time on this machine.
const SLOW_ARGON2: Argon2Params = Argon2Params {
    memory_kib: 19 * 1024,
    iterations: 2,
    parallelism: 1,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_forward_auth_are_answered_while_logins_saturate_hashing() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(
            setup()
                .var("TESSERA_IP_MAX_ATTEMPTS", "100000")
                .settings(|settings| {
                    settings.hash_concurrency = 1;
                    settings.argon2 = SLOW_ARGON2;
                }),
            &db,
        )
        .await;
        let addr = listening.addr;
        let ada = listening.server.signed_up("ada").await;
        // Each guess names another account, so the per-account failure
        // limit never answers first: every one needs a hash.
        let logins: Vec<_> = (0..200)
            .map(|i| {
                let body =
                    json!({ "username": format!("guess{i}"), "password": PASSWORD }).to_string();
                tokio::spawn(async move { post_json(addr, "/auth/login", &[], &body).await })
            })
            .collect();

        // While the flood is being hashed, the cheap endpoints answer.
        let bearer = format!("Bearer {}", ada.access);
        for _ in 0..5 {
            assert_eq!(get(addr, "/healthz", &[]).await.status, 200);
            let verify = get(addr, "/auth/verify", &[("Authorization", &bearer)]).await;
            assert_eq!(verify.status, 200, "{verify:?}");
        }

        let mut busy = 0;
        for login in logins {
            let reply = login.await.unwrap();
            match reply.status {
                401 => assert_eq!(reply.json()["error"], "invalid_credentials"),
                503 => {
                    assert_eq!(reply.json()["error"], "server_busy", "{reply:?}");
                    assert_eq!(reply.header("retry-after"), Some("1"));
                    busy += 1;
                }
                _ => panic!("a login in the flood got {reply:?}"),
            }
        }
        // One slot and a line of 64: many of 200 simultaneous logins are
        // turned away rather than queued without bound.
        assert!(busy > 0, "no login was turned away");
        listening.stop().await;
    })
    .await;
}
