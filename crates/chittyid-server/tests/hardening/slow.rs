//! Slow clients: a connection that never finishes its request is closed by the header or body read timeout.
//!
//! The timeouts are short here so that the tests finish quickly. `HANG_GUARD` only stops a test that would
//! otherwise hang; it is far above both timeouts and never decides a pass.

use std::time::Duration;

use chittyid_server::{RunningServer, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{is_healthy, start};

const SHORT_TIMEOUT: Duration = Duration::from_millis(200);
const HANG_GUARD: Duration = Duration::from_secs(20);

async fn start_with_short_timeouts() -> (tempfile::TempDir, RunningServer) {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig::new(dir.path()).header_read_timeout(SHORT_TIMEOUT).body_read_timeout(SHORT_TIMEOUT);
    let server = start(config).await;
    (dir, server)
}

/// Reads until the server closes the connection and returns what it sent; a reset counts as closed.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(HANG_GUARD, async {
        let mut buffer = [0_u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(count) => received.extend_from_slice(&buffer[..count]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server kept a stalled connection open; received {:?}",
        String::from_utf8_lossy(&received)
    );
    received
}

#[tokio::test]
async fn silent_connection_is_closed() {
    let (_dir, server) = start_with_short_timeouts().await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();

    let received = read_until_closed(&mut stream).await;

    assert!(received.is_empty(), "unexpected reply: {:?}", String::from_utf8_lossy(&received));
    assert!(is_healthy(&server).await);
}

#[tokio::test]
async fn partial_headers_are_closed() {
    let (_dir, server) = start_with_short_timeouts().await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream.write_all(b"POST /mint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty").await.unwrap();

    let received = read_until_closed(&mut stream).await;

    assert!(
        !received.starts_with(b"HTTP/1.1 2"),
        "a partial request got a reply: {:?}",
        String::from_utf8_lossy(&received)
    );
    assert!(is_healthy(&server).await);
}

#[tokio::test]
async fn partial_http2_preface_is_closed() {
    let (_dir, server) = start_with_short_timeouts().await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    // The first bytes of the HTTP/2 preface keep the server guessing which protocol follows.
    stream.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();

    let received = read_until_closed(&mut stream).await;

    assert!(received.is_empty(), "unexpected reply: {:?}", String::from_utf8_lossy(&received));
}

#[tokio::test]
async fn stalled_second_request_is_closed() {
    let (_dir, server) = start_with_short_timeouts().await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let mut first = [0_u8; 12];
    stream.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200", "the first request failed");

    // The first reply is still being read below; the second request never finishes its headers.
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0").await.unwrap();
    let received = read_until_closed(&mut stream).await;

    let text = String::from_utf8_lossy(&received);
    assert_eq!(text.matches("HTTP/1.1 200").count(), 0, "the stalled request got a reply: {text}");
}

#[tokio::test]
async fn partial_body_gets_408_and_close() {
    let (_dir, server) = start_with_short_timeouts().await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let head =
        "POST /mint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(br#"{"entityTy"#).await.unwrap();

    let received = read_until_closed(&mut stream).await;

    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 408"), "no 408 before close: {text}");
    assert!(text.contains(r#""error":"REQUEST_TIMEOUT""#), "408 without the JSON error: {text}");
    assert!(is_healthy(&server).await);
}

#[tokio::test]
async fn slow_client_does_not_block_others() {
    let (_dir, server) = start_with_short_timeouts().await;
    let mut stalled = TcpStream::connect(server.local_addr()).await.unwrap();
    stalled.write_all(b"POST /mint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{").await.unwrap();

    assert!(is_healthy(&server).await, "a stalled client blocked another request");
    let _ = read_until_closed(&mut stalled).await;
}
