//! Accepting connections: hyper's HTTP/1.1 and HTTP/2 server with bounds on
//! what a slow or greedy client can hold.
//!
//! - A client has [`EdgeSettings::header_timeout`] to start talking and to
//!   send a request head (hyper's header-read timeout, which also closes a
//!   kept-alive connection left idle that long): a slowloris client sending
//!   a byte now and then is cut off.
//! - At most [`EdgeSettings::max_connections`] connections are served at
//!   once. One more is answered at once with `503 server_busy` and
//!   `Retry-After`, then closed, rather than left waiting.
//! - HTTP/2 connections carry at most [`H2_MAX_STREAMS`] concurrent
//!   streams and [`MAX_HEADER_BYTES`] of headers per request; an HTTP/1.1
//!   head has at most [`H1_MAX_HEADERS`] fields and must fit hyper's read
//!   buffer (four times [`MAX_HEADER_BYTES`]); beyond either, `431`.
//!
//! Not bounded here: HTTP/2 request headers sent slowly (hyper has no
//! HTTP/2 header timeout; the connection cap and the keep-alive pings
//! bound what such clients hold).
//!
//! The whole-request timeout and the rest of the edge are router layers
//! (see [`crate::http::edge`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use crate::edge_settings::EdgeSettings;

/// Concurrent streams per HTTP/2 connection (hyper's default is 200).
pub const H2_MAX_STREAMS: u32 = 100;
/// HTTP/2's header-list size: 16 KiB of header fields per request.
pub const MAX_HEADER_BYTES: u32 = 16 * 1024;
/// Header fields per HTTP/1.1 request (hyper's default is 100).
pub const H1_MAX_HEADERS: usize = 64;
/// How long a client over the connection cap has to send its request head
/// before the `503` is written anyway and the connection closed.
const BUSY_HEAD_TIMEOUT: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` under `edge`'s bounds until `shutdown`
/// completes; connections over the cap are answered by `busy`. Then stops
/// accepting, lets open connections finish their requests, and returns.
/// Handlers see the client's address (`ConnectInfo<SocketAddr>`).
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    busy: Router,
    edge: &EdgeSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let builder = builder(edge);
    let busy_builder = busy_builder();
    let slots = Arc::new(Semaphore::new(edge.max_connections));
    // The busy answers are short-lived but must not pile up either.
    let busy_slots = Arc::new(Semaphore::new(edge.max_connections / 4 + 16));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: pause, go on.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        if let Ok(slot) = Arc::clone(&slots).try_acquire_owned() {
            let watcher = graceful.watcher();
            let builder = builder.clone();
            let service = service(&router, remote);
            let header_timeout = edge.header_timeout;
            tokio::spawn(async move {
                let _slot = slot;
                // hyper's header-read timeout starts once the protocol is
                // known; until then the same timeout is kept here.
                if !matches!(
                    tokio::time::timeout(header_timeout, protocol_known(&stream)).await,
                    Ok(true)
                ) {
                    return;
                }
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                let _ = watcher.watch(connection).await;
            });
        } else if let Ok(slot) = Arc::clone(&busy_slots).try_acquire_owned() {
            let builder = busy_builder.clone();
            let service = service(&busy, remote);
            tokio::spawn(async move {
                let _slot = slot;
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                let _ = tokio::time::timeout(BUSY_HEAD_TIMEOUT * 2, connection).await;
            });
        }
        // Else far over capacity: the connection is closed without a word.
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The client preface that opens an HTTP/2 connection.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Waits (by peeking, so hyper still reads every byte) until the client has
/// sent enough to tell HTTP/1.1 from HTTP/2: a byte that leaves the HTTP/2
/// preface, or the whole preface. `false` when it closes first.
async fn protocol_known(stream: &TcpStream) -> bool {
    let mut seen = [0u8; H2_PREFACE.len()];
    loop {
        match stream.peek(&mut seen).await {
            Ok(0) | Err(_) => return false,
            Ok(n) if n == seen.len() || seen[..n] != H2_PREFACE[..n] => return true,
            // Part of the preface: wait for the rest (a peek does not
            // consume, so readiness stays set; poll gently instead).
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// The connection settings of the API listener.
fn builder(edge: &EdgeSettings) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(edge.header_timeout)
        .max_headers(H1_MAX_HEADERS)
        .max_buf_size(MAX_HEADER_BYTES as usize * 4);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_MAX_STREAMS)
        .max_header_list_size(MAX_HEADER_BYTES)
        // A peer that stops answering pings is gone: close its connection.
        .keep_alive_interval(edge.header_timeout)
        .keep_alive_timeout(edge.header_timeout);
    builder
}

/// The settings for answering a connection over the cap: one request, a
/// short wait for its head, no keep-alive.
fn busy_builder() -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(BUSY_HEAD_TIMEOUT)
        .keep_alive(false)
        .max_headers(H1_MAX_HEADERS);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(1)
        .max_header_list_size(MAX_HEADER_BYTES);
    builder
}

/// `router` as a hyper service for one connection from `remote`.
fn service(
    router: &Router,
    remote: SocketAddr,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future: Send + 'static,
> + Send
+ 'static {
    let router = router
        .clone()
        .map_request(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            request
        });
    TowerToHyperService::new(router)
}
