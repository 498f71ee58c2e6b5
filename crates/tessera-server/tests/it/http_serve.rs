//! The server on a real socket (`serve::run` on 127.0.0.1:0), spoken to
//! with a few lines of raw HTTP/1.1: client addresses reach the sessions,
//! and a shutdown lets the request in flight finish.

use std::net::SocketAddr;

use serde_json::{Value, json};
use tessera_server::serve;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::http_support::{PASSWORD, Setup, setup};
use crate::store_support::{Kind, TestDb, run};
use crate::support::RawReply;

/// The head of a request with a JSON body of `length` bytes.
fn head(method: &str, path: &str, headers: &[(&str, &str)], length: usize) -> String {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if length > 0 {
        text.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {length}\r\n"
        ));
    }
    text.push_str("\r\n");
    text
}

/// Reads a whole `Connection: close` response.
async fn read_reply(stream: &mut TcpStream) -> RawReply {
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    RawReply::parse(&String::from_utf8(bytes).unwrap())
}

async fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> RawReply {
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(head(method, path, headers, body.len()).as_bytes())
        .await
        .unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    read_reply(&mut stream).await
}

/// A server listening on a free loopback port until `stop` is sent.
struct Listening {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn listen(setup: Setup, db: &TestDb) -> Listening {
    let server = setup.start(db).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve::run(listener, server.state.clone(), async move {
        let _ = stopped.await;
    }));
    Listening { addr, stop, task }
}

async fn signed_up_over_tcp(addr: SocketAddr, headers: &[(&str, &str)]) -> String {
    let credentials = json!({ "username": "ada", "password": PASSWORD });
    assert_eq!(
        exchange(
            addr,
            "POST",
            "/auth/register",
            &[],
            Some(credentials.clone())
        )
        .await
        .status,
        201
    );
    let login = exchange(addr, "POST", "/auth/login", headers, Some(credentials)).await;
    assert_eq!(login.status, 200, "{login:?}");
    login.json()["access_token"].as_str().unwrap().to_owned()
}

async fn session_ip(addr: SocketAddr, access: &str) -> Value {
    let bearer = format!("Bearer {access}");
    let sessions = exchange(
        addr,
        "GET",
        "/auth/sessions",
        &[("Authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(sessions.status, 200, "{sessions:?}");
    sessions.json()["sessions"][0]["ip"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_record_the_client_address_of_the_connection() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup(), &db).await;
        // A client cannot claim another address unless the proxy is trusted.
        let access =
            signed_up_over_tcp(listening.addr, &[("X-Forwarded-For", "203.0.113.9")]).await;
        assert_eq!(session_ip(listening.addr, &access).await, "127.0.0.1");
        listening.stop.send(()).unwrap();
        listening.task.await.unwrap().unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_recorded() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup().var("TESSERA_TRUST_FORWARDED", "true"), &db).await;
        let access = signed_up_over_tcp(
            listening.addr,
            &[("X-Forwarded-For", "198.51.100.7, 203.0.113.9")],
        )
        .await;
        assert_eq!(session_ip(listening.addr, &access).await, "203.0.113.9");
        listening.stop.send(()).unwrap();
        listening.task.await.unwrap().unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_request_in_flight_finish_and_refuses_new_connections() {
    run(Kind::Sqlite, |db| async move {
        let Listening { addr, stop, task } = listen(setup(), &db).await;
        let credentials = json!({ "username": "ada", "password": PASSWORD });
        assert_eq!(
            exchange(
                addr,
                "POST",
                "/auth/register",
                &[],
                Some(credentials.clone())
            )
            .await
            .status,
            201
        );

        // A login whose handler is running: it asked for the body (100 Continue).
        let body = credentials.to_string();
        let mut in_flight = TcpStream::connect(addr).await.unwrap();
        in_flight
            .write_all(
                head(
                    "POST",
                    "/auth/login",
                    &[("Expect", "100-continue")],
                    body.len(),
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        let mut interim = [0u8; 25];
        in_flight.read_exact(&mut interim).await.unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");

        // Shut down, and wait until the listener is gone.
        stop.send(()).unwrap();
        while TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert!(
            !task.is_finished(),
            "the server stopped with a request in flight"
        );

        // The request in flight still gets its answer…
        in_flight.write_all(body.as_bytes()).await.unwrap();
        let reply = read_reply(&mut in_flight).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert!(reply.json()["access_token"].is_string());
        assert_eq!(reply.header("connection"), Some("close"));
        // …and then the server is done.
        task.await.unwrap().unwrap();
        assert!(TcpStream::connect(addr).await.is_err());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_server_answers_like_the_router() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup(), &db).await;
        let reply = exchange(listening.addr, "GET", "/nope", &[], None).await;
        assert_eq!(reply.status, 404);
        assert_eq!(reply.json()["error"], "not_found");
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
        let reply = exchange(listening.addr, "GET", "/healthz", &[], None).await;
        assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
        listening.stop.send(()).unwrap();
        listening.task.await.unwrap().unwrap();
    })
    .await;
}
