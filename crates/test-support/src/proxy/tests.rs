//! The proxy against a loopback echo server; timed faults on tokio's paused clock.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::{FaultProxy, NetworkFault};

/// Starts an upstream that echoes every byte back and counts the connections it accepts.
async fn echo_server() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let (mut read, mut write) = stream.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    (address, accepted)
}

async fn proxied_echo() -> (FaultProxy, Arc<AtomicU64>) {
    let (upstream, accepted) = echo_server().await;
    (FaultProxy::start(upstream).await.unwrap(), accepted)
}

/// Sends `payload` and reads until `payload.len()` bytes came back, the stream ended or failed.
async fn round_trip(stream: &mut TcpStream, payload: &[u8]) -> std::io::Result<Vec<u8>> {
    stream.write_all(payload).await?;
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    while received.len() < payload.len() {
        let length = stream.read(&mut buffer).await?;
        if length == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..length]);
    }
    Ok(received)
}

#[tokio::test]
async fn bytes_pass_unchanged_without_fault() {
    let (proxy, _) = proxied_echo().await;
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();

    let echoed = round_trip(&mut stream, b"hello through the proxy").await.unwrap();

    assert_eq!(echoed, b"hello through the proxy");
    assert_eq!(proxy.accepted(), 1);
}

#[tokio::test]
async fn reset_on_connect_resets_new_connections() {
    let (proxy, accepted) = proxied_echo().await;
    proxy.set_fault(NetworkFault::ResetOnConnect);
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();

    let outcome = round_trip(&mut stream, b"ping").await;

    let error = outcome.expect_err("a reset connection returns no echo");
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}");
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "the upstream never sees the connection");
}

#[tokio::test]
async fn reset_after_bytes_cuts_the_reply_with_rst() {
    let (proxy, _) = proxied_echo().await;
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut stream, b"warm").await.unwrap(), b"warm");
    // Switched on while the connection is open.
    proxy.set_fault(NetworkFault::ResetAfter { bytes: 4 });

    let outcome = round_trip(&mut stream, &[7_u8; 64]).await;

    let error = outcome.expect_err("the reply is cut");
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}");
}

#[tokio::test]
async fn close_after_bytes_ends_the_reply_cleanly() {
    let (proxy, _) = proxied_echo().await;
    proxy.set_fault(NetworkFault::CloseAfter { bytes: 5 });
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();

    let echoed = round_trip(&mut stream, b"0123456789").await.unwrap();

    assert_eq!(echoed, b"01234");
}

#[tokio::test]
async fn blackhole_holds_bytes_until_it_ends() {
    let (proxy, accepted) = proxied_echo().await;
    proxy.set_fault(NetworkFault::Blackhole);
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    stream.write_all(b"held").await.unwrap();
    let mut buffer = [0_u8; 4];
    let early = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buffer)).await;
    assert!(early.is_err(), "no byte comes back during the blackhole: {early:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "no upstream connection during the blackhole");

    proxy.clear();
    stream.read_exact(&mut buffer).await.unwrap();

    assert_eq!(&buffer, b"held");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn latency_delays_each_direction() {
    let (proxy, _) = proxied_echo().await;
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    proxy.set_fault(NetworkFault::Latency(Duration::from_secs(3)));
    let started = Instant::now();

    let echoed = round_trip(&mut stream, b"slow").await.unwrap();

    assert_eq!(echoed, b"slow");
    assert!(started.elapsed() >= Duration::from_secs(6), "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn bandwidth_limits_the_rate() {
    let (proxy, _) = proxied_echo().await;
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    proxy.set_fault(NetworkFault::Bandwidth { bytes_per_second: 1000 });
    let started = Instant::now();

    let echoed = round_trip(&mut stream, &[1_u8; 2000]).await.unwrap();

    assert_eq!(echoed.len(), 2000);
    // 2,000 bytes at 1,000 bytes per second take at least 2 s in each direction, which overlap.
    assert!(started.elapsed() >= Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn slow_reply_trickles_in_chunks() {
    let (proxy, _) = proxied_echo().await;
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    proxy.set_fault(NetworkFault::SlowReply { chunk: 2, delay: Duration::from_secs(1) });
    let started = Instant::now();

    let echoed = round_trip(&mut stream, b"abcdef").await.unwrap();

    assert_eq!(echoed, b"abcdef");
    assert!(started.elapsed() >= Duration::from_secs(3), "three chunks: {:?}", started.elapsed());
}

#[tokio::test]
async fn clearing_a_fault_restores_open_connections() {
    let (proxy, _) = proxied_echo().await;
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    proxy.set_fault(NetworkFault::Latency(Duration::from_millis(1)));
    assert_eq!(round_trip(&mut stream, b"one").await.unwrap(), b"one");

    proxy.clear();

    assert_eq!(round_trip(&mut stream, b"two").await.unwrap(), b"two");
    assert_eq!(proxy.fault(), NetworkFault::None);
}

#[tokio::test]
async fn dead_upstream_resets_the_client() {
    let unused = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let upstream = unused.local_addr().unwrap();
    drop(unused);
    let proxy = FaultProxy::start(upstream).await.unwrap();
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();

    let outcome = round_trip(&mut stream, b"anyone").await;

    let error = outcome.expect_err("no upstream, no echo");
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}");
}
