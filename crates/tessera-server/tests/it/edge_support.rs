//! The edge tests' harness: the server on a real loopback socket
//! (`serve::run`, as `tessera serve` runs it) and a raw HTTP/1.1 client
//! that writes exactly the bytes a test gives it.

use std::net::SocketAddr;
use std::time::Duration;

use tessera_server::serve;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::http_support::{Server, Setup};
use crate::store_support::TestDb;
use crate::support::RawReply;

/// How long a test waits for the server before calling it a hang.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A server listening on a free loopback port until dropped or stopped.
pub struct Listening {
    pub addr: SocketAddr,
    pub server: Server,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Listening {
    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Serves `setup` on `db` on 127.0.0.1 and a free port.
pub async fn listen(setup: Setup, db: &TestDb) -> Listening {
    let server = setup.start(db).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve::run(listener, server.state.clone(), async move {
        let _ = stopped.await;
    }));
    Listening {
        addr,
        server,
        stop: Some(stop),
        task: Some(task),
    }
}

/// Writes `request` (a whole request, `Connection: close`) and reads the
/// answer to the end of the connection.
pub async fn send_raw(addr: SocketAddr, request: &[u8]) -> RawReply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_to_close(&mut stream).await
}

/// Reads until the server closes the connection; the bytes as one reply.
pub async fn read_to_close(stream: &mut TcpStream) -> RawReply {
    let mut bytes = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut bytes))
        .await
        .expect("the server neither answered nor closed the connection")
        .unwrap();
    RawReply::parse(&String::from_utf8_lossy(&bytes))
}

/// `GET path` with `headers`, `Connection: close`.
pub async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> RawReply {
    let mut text = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    send_raw(addr, text.as_bytes()).await
}

/// `POST path` with a JSON `body`, `Connection: close`.
pub async fn post_json(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> RawReply {
    let mut text = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    send_raw(addr, text.as_bytes()).await
}

/// Whether the server has closed `stream` (reads to the end, within
/// [`PATIENCE`]); what it sent before closing is returned.
pub async fn closed_by_server(stream: &mut TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    match tokio::time::timeout(PATIENCE, stream.read_to_end(&mut bytes)).await {
        Ok(_) => bytes,
        Err(_) => panic!("the server kept the connection open: {bytes:?}"),
    }
}
