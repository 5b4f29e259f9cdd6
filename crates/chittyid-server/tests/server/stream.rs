//! The health stream over a socket: first event, then EOF when the server dies or stops.

use std::time::Duration;

use futures_util::StreamExt;

use crate::{client, start, url};

/// An upper bound for reads that must finish; a hang fails the test instead of blocking it.
const READ_BOUND: Duration = Duration::from_secs(10);

async fn open_stream(
    server: &chittyid_server::RunningServer,
) -> impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + use<> {
    let response = client().get(url(server, "/health/stream")).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    response.bytes_stream()
}

#[tokio::test]
async fn stream_sends_health_then_ends_on_kill() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut stream = Box::pin(open_stream(&server).await);

    let first = tokio::time::timeout(READ_BOUND, stream.next()).await.unwrap().unwrap().unwrap();
    let text = String::from_utf8(first.to_vec()).unwrap();
    assert!(text.starts_with("event: health\n"), "{text}");

    server.kill().await;
    let end = tokio::time::timeout(READ_BOUND, stream.next()).await.expect("the stream ends after a kill");
    assert!(!matches!(end, Some(Ok(_))), "expected EOF or an error, got {end:?}");
}

#[tokio::test]
async fn stream_ends_on_graceful_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut stream = Box::pin(open_stream(&server).await);
    tokio::time::timeout(READ_BOUND, stream.next()).await.unwrap().unwrap().unwrap();

    tokio::time::timeout(READ_BOUND, server.shutdown()).await.expect("shutdown does not wait for streams").unwrap();
    let end = tokio::time::timeout(READ_BOUND, stream.next()).await.expect("the stream ends after a shutdown");
    assert!(!matches!(end, Some(Ok(_))), "expected the end of the stream, got {end:?}");
}

#[tokio::test]
async fn stream_sends_keepalive_comments() {
    let dir = tempfile::tempdir().unwrap();
    let config = chittyid_server::ServerConfig::new(dir.path()).stream_keepalive(Duration::from_millis(20));
    let server = chittyid_server::Server::bind(config, "127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    let mut stream = Box::pin(open_stream(&server).await);
    tokio::time::timeout(READ_BOUND, stream.next()).await.unwrap().unwrap().unwrap();

    let comment = tokio::time::timeout(READ_BOUND, stream.next()).await.unwrap().unwrap().unwrap();
    assert!(comment.starts_with(b":"), "{comment:?}");
    server.kill().await;
}
