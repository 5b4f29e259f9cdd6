//! Network faults from the TCP proxy: latency, a thin link, a blackhole, resets and cut replies.

use std::time::Duration;

use chittyid::client::{Error, ErrorKind};
use chittyid::connection::{ConnectError, ConnectionState};
use chittyid_test_support::NetworkFault;

use crate::support::{Rig, fast_client, person};

/// Runs one outage, in which the fault makes a mint fail and the manager reconnect. Clearing the fault restores
/// both, and the mint retried with its idempotency key yields one ID, minted once.
async fn outage(fault: NetworkFault, check: impl FnOnce(&Error)) {
    let mut rig = Rig::connected().await;
    let _ = rig.drain_events();
    rig.proxy.set_fault(fault);

    let mint = person();
    let error = rig.client.mint(&mint).await.expect_err("the mint fails under the fault");
    check(&error);
    assert!(error.is_retryable(), "a network fault is transient: {error}");
    rig.expect_state(ConnectionState::Reconnecting).await;
    rig.expect_event("unhealthy").await;

    rig.recover().await;
    rig.expect_event("connected").await;
    let first = rig.mint_after_recovery(&mint).await;
    let second = rig.mint_after_recovery(&person()).await;
    rig.assert_ledger(&[first, second]).await;
}

fn assert_timed_out(error: &Error) {
    assert!(matches!(error.kind(), ErrorKind::Timeout { .. }), "expected a timeout: {error:?}");
    assert!(error.to_string().contains("timed out"), "{error}");
}

fn assert_closed(error: &Error) {
    assert!(matches!(error.kind(), ErrorKind::ConnectionClosed), "expected a closed connection: {error:?}");
    assert!(error.to_string().contains("connection closed"), "{error}");
}

#[tokio::test]
async fn latency_under_the_timeouts_is_transparent() {
    let mut rig = Rig::connected().await;
    rig.proxy.set_fault(NetworkFault::Latency(Duration::from_millis(50)));

    let first = rig.client.mint(&person()).await.unwrap();
    let second = rig.client.mint(&person()).await.unwrap();
    rig.manager.perform_health_check().await.unwrap();

    assert_eq!(rig.manager.state(), ConnectionState::Connected);
    assert!(!rig.drain_events().contains(&"unhealthy"));
    rig.assert_ledger(&[first, second]).await;
}

#[tokio::test]
async fn latency_over_the_timeouts_recovers() {
    outage(NetworkFault::Latency(Duration::from_millis(2000)), assert_timed_out).await;
}

#[tokio::test]
async fn starved_bandwidth_recovers() {
    outage(NetworkFault::Bandwidth { bytes_per_second: 100 }, assert_timed_out).await;
}

#[tokio::test]
async fn blackhole_recovers() {
    outage(NetworkFault::Blackhole, assert_timed_out).await;
}

#[tokio::test]
async fn reset_mid_reply_recovers() {
    outage(NetworkFault::ResetAfter { bytes: 20 }, assert_closed).await;
}

#[tokio::test]
async fn close_after_bytes_recovers() {
    outage(NetworkFault::CloseAfter { bytes: 20 }, assert_closed).await;
}

#[tokio::test]
async fn slow_reply_recovers() {
    outage(NetworkFault::SlowReply { chunk: 16, delay: Duration::from_millis(200) }, assert_timed_out).await;
}

#[tokio::test]
async fn reset_at_connect_keeps_reconnecting_then_connects() {
    let mut rig = Rig::start().await;
    rig.proxy.set_fault(NetworkFault::ResetOnConnect);

    let outcome = rig.manager.connect().await;
    assert!(matches!(outcome, Err(ConnectError::Unavailable { .. })), "{outcome:?}");
    assert_eq!(rig.manager.state(), ConnectionState::Reconnecting);
    let mint = person();
    // A fresh client, so no pooled connection from before the fault is reused.
    let error = fast_client(rig.proxy.url()).mint(&mint).await.expect_err("every new connection is reset");
    assert!(error.is_connection_level(), "{error:?}");
    assert!(error.to_string().contains("mint request to"), "{error}");
    rig.expect_event("error").await;
    rig.expect_event("reconnecting").await;

    rig.recover().await;

    rig.expect_event("connected").await;
    let id = rig.mint_after_recovery(&mint).await;
    rig.assert_ledger(&[id]).await;
}
