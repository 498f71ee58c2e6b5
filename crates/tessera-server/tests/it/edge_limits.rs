//! Size and count limits at the connection: the HTTP/2 settings the server
//! announces (concurrent streams, header-list size), HTTP/2 served by prior
//! knowledge, and an oversized HTTP/1.1 head refused with 431.

use tessera_server::accept::{H2_MAX_STREAMS, MAX_HEADER_BYTES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::edge_support::{listen, send_raw};
use crate::http_support::setup;
use crate::store_support::{Kind, run};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const SETTINGS: u8 = 0x4;
const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
const SETTINGS_MAX_HEADER_LIST_SIZE: u16 = 0x6;

/// Reads one HTTP/2 frame: its type, flags and payload.
async fn read_frame(stream: &mut TcpStream) -> (u8, u8, Vec<u8>) {
    let mut head = [0u8; 9];
    stream.read_exact(&mut head).await.unwrap();
    let length = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload).await.unwrap();
    (head[3], head[4], payload)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_announces_its_stream_and_header_list_limits() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup(), &db).await;
        let mut stream = TcpStream::connect(listening.addr).await.unwrap();
        // The client preface and an empty SETTINGS frame.
        stream.write_all(PREFACE).await.unwrap();
        stream
            .write_all(&[0, 0, 0, SETTINGS, 0, 0, 0, 0, 0])
            .await
            .unwrap();
        let (kind, flags, payload) = read_frame(&mut stream).await;
        assert_eq!(
            (kind, flags & 0x1),
            (SETTINGS, 0),
            "the server's SETTINGS first"
        );
        let settings: Vec<(u16, u32)> = payload
            .chunks_exact(6)
            .map(|entry| {
                (
                    u16::from_be_bytes([entry[0], entry[1]]),
                    u32::from_be_bytes([entry[2], entry[3], entry[4], entry[5]]),
                )
            })
            .collect();
        assert!(
            settings.contains(&(SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS)),
            "{settings:?}"
        );
        assert!(
            settings.contains(&(SETTINGS_MAX_HEADER_LIST_SIZE, MAX_HEADER_BYTES)),
            "{settings:?}"
        );
        assert_eq!(H2_MAX_STREAMS, 100);
        assert_eq!(MAX_HEADER_BYTES, 16 * 1024);
        listening.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_http1_head_is_refused_with_431() {
    run(Kind::Sqlite, |db| async move {
        let listening = listen(setup(), &db).await;
        let filler = "a".repeat(8 * 1024);
        let mut request = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for i in 0..10 {
            request.push_str(&format!("X-Filler-{i}: {filler}\r\n"));
        }
        request.push_str("\r\n");
        let reply = send_raw(listening.addr, request.as_bytes()).await;
        assert_eq!(reply.status, 431, "{reply:?}");
        // Many small fields are refused too.
        let mut request = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for i in 0..80 {
            request.push_str(&format!("X-Field-{i}: 1\r\n"));
        }
        request.push_str("\r\n");
        let reply = send_raw(listening.addr, request.as_bytes()).await;
        assert_eq!(reply.status, 431, "{reply:?}");
        listening.stop().await;
    })
    .await;
}
