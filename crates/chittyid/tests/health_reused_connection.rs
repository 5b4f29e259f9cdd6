//! A health check sent on a pooled connection that the service closes at that moment.
//!
//! The local service closes a keep-alive connection that stays idle for its header read timeout (30 s), which is
//! also the manager's default health check interval. The benchmark of the monitoring cost caught the two colliding:
//! the check was written to a connection the service was closing, failed without a reply, and the manager
//! reported a lost service for one backoff step. The service here is a raw HTTP/1.1 responder on loopback that
//! replays that collision on purpose. On its first connection it replies to one request, then reads the next one and
//! closes the connection without a reply.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chittyid::ServiceUrl;
use chittyid::connection::{ConnectionManager, ConnectionState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HEALTHY: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 15\r\n\r\n{\"status\":\"ok\"}";

/// Starts the responder and returns its URL and the count of connections it accepted.
async fn start_responder() -> (ServiceUrl, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = ServiceUrl::parse(&format!("http://{}", listener.local_addr().expect("an address"))).expect("a URL");
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
            tokio::spawn(serve(stream, if first { Some(1) } else { None }));
        }
    });
    (url, accepted)
}

/// Replies healthy to every request, or to the first `replies` of them, closing the connection on the next one.
async fn serve(mut stream: TcpStream, replies: Option<usize>) {
    let mut answered = 0;
    while read_request(&mut stream).await {
        if replies.is_some_and(|replies| answered >= replies) {
            return;
        }
        if stream.write_all(HEALTHY.as_bytes()).await.is_err() {
            return;
        }
        answered += 1;
    }
}

/// Reads one request head (these requests have no body); returns `false` at the end of the stream.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return false,
        }
    }
    true
}

#[tokio::test]
async fn check_survives_connection_closed_by_service() {
    let (url, accepted) = start_responder().await;
    let manager = ConnectionManager::builder(url).health_stream(false).build().expect("valid settings");
    manager.connect().await.expect("the first check succeeds");

    let outcome = manager.perform_health_check().await;

    assert!(outcome.is_ok(), "check on the closed connection failed: {outcome:?}");
    assert_eq!(manager.state(), ConnectionState::Connected, "the manager left Connected");
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "the check did not retry on a fresh connection");
    manager.disconnect().await;
}
