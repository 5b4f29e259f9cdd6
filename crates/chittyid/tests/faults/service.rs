//! The local service's own fault modes (`POST /admin/faults`): error statuses, bad replies, slow or hanging health,
//! pause and resume.

use std::time::Duration;

use chittyid::client::ErrorKind;
use chittyid::connection::ConnectionState;
use chittyid::resilience::RetryPolicy;
use chittyid::service::{CallOptions, ChittyIdService, ServiceBuilder};
use chittyid::{Backoff, Mint};
use serde_json::json;

use crate::support::{Rig, person};

/// Builds and connects a resilient service through the rig's proxy, with fast retries.
async fn resilient(rig: &Rig) -> ChittyIdService {
    let retry =
        RetryPolicy::default().backoff(Backoff::new().base(Duration::from_millis(10)).cap(Duration::from_millis(50)));
    let service = ServiceBuilder::new(rig.proxy.url()).retry(retry).build().unwrap();
    service.connect().await.unwrap();
    service
}

/// Sends one mint under a mint fault and returns the client's error; the connection must stay up, because health
/// checks are not affected.
async fn failed_mint(rig: &mut Rig, plan: serde_json::Value, mint: &Mint) -> chittyid::client::Error {
    rig.inject(plan).await;
    let error = rig.client.mint(mint).await.expect_err("the mint fails under the fault");
    rig.manager.perform_health_check().await.unwrap();
    assert_eq!(rig.manager.state(), ConnectionState::Connected);
    assert!(!rig.drain_events().contains(&"unhealthy"), "a mint fault leaves the connection healthy");
    error
}

/// Clears the faults, retries `mint` and checks that the service minted exactly one ID for it.
async fn recovers_with_one_id(rig: &mut Rig, mint: &Mint) {
    rig.recover().await;
    let id = rig.mint_after_recovery(mint).await;
    rig.assert_ledger(&[id]).await;
}

#[tokio::test]
async fn status_500_is_permanent_for_the_call() {
    let mut rig = Rig::connected().await;
    let mint = person();

    let error = failed_mint(&mut rig, json!({"mode": "status", "status": 500}), &mint).await;

    assert!(matches!(error.kind(), ErrorKind::Status { .. }), "{error:?}");
    assert!(error.to_string().contains("500"), "{error}");
    assert!(!error.is_retryable(), "500 may have been applied, so it is not retried: {error}");
    recovers_with_one_id(&mut rig, &mint).await;
}

#[tokio::test]
async fn status_502_is_retried_to_one_id() {
    let rig = Rig::connected().await;
    let service = resilient(&rig).await;
    rig.inject(json!({"mode": "status", "status": 502, "count": 2})).await;

    let id = service.mint(&person()).await.unwrap();

    assert_eq!(service.connection().state(), ConnectionState::Connected);
    rig.assert_ledger(&[id]).await;
}

#[tokio::test]
async fn status_503_without_end_names_the_status() {
    let mut rig = Rig::connected().await;
    let service = resilient(&rig).await;
    rig.inject(json!({"mode": "status", "status": 503})).await;
    let mint = person();

    let error = service.mint(&mint).await.expect_err("503 on every attempt");

    let last = error.last_error().expect("a request was sent");
    assert!(error.to_string().contains("3 attempt"), "{error}");
    assert!(last.to_string().contains("503"), "{last}");
    assert_eq!(service.connection().state(), ConnectionState::Connected);
    recovers_with_one_id(&mut rig, &mint).await;
}

#[tokio::test]
async fn status_429_carries_retry_after_and_is_retried() {
    let mut rig = Rig::connected().await;
    let mint = person();
    let error =
        failed_mint(&mut rig, json!({"mode": "status", "status": 429, "retryAfter": 1, "count": 1}), &mint).await;
    assert!(error.to_string().contains("429"), "{error}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    assert!(error.is_retryable(), "{error}");

    let service = resilient(&rig).await;
    rig.inject(json!({"mode": "status", "status": 429, "retryAfter": 1, "count": 1})).await;
    let id = service.mint(&mint).await.unwrap();

    rig.assert_ledger(&[id]).await;
}

#[tokio::test]
async fn success_false_is_rejected_with_the_message() {
    let mut rig = Rig::connected().await;
    let mint = person();

    let error = failed_mint(&mut rig, json!({"mode": "rejected", "error": "Invalid region: injected"}), &mint).await;

    assert!(matches!(error.kind(), ErrorKind::Rejected { .. }), "{error:?}");
    assert!(error.to_string().contains("Invalid region: injected"), "{error}");
    recovers_with_one_id(&mut rig, &mint).await;
}

#[tokio::test]
async fn fallback_id_is_never_final() {
    let mut rig = Rig::connected().await;
    let service = resilient(&rig).await;
    let mint = person();

    let error = failed_mint(&mut rig, json!({"mode": "fallback"}), &mint).await;
    assert!(matches!(error.kind(), ErrorKind::Provisional { .. }), "{error:?}");
    assert!(error.to_string().contains("provisional"), "{error}");
    rig.inject(json!({"mode": "fallback"})).await;
    let call = service.mint_with(&person(), CallOptions::default()).await.expect_err("still a fallback");
    let provisional = call.provisional_id().expect("the call error carries the provisional ID");
    assert!(provisional.to_string().starts_with("03-0-ERR"), "{provisional}");

    recovers_with_one_id(&mut rig, &mint).await;
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let mut rig = Rig::connected().await;
    let mint = person();

    let error = failed_mint(&mut rig, json!({"mode": "malformedJson"}), &mint).await;

    assert!(matches!(error.kind(), ErrorKind::Decode { .. }), "{error:?}");
    assert!(error.to_string().contains("invalid reply"), "{error}");
    recovers_with_one_id(&mut rig, &mint).await;
}

#[tokio::test]
async fn oversized_body_stops_at_the_limit() {
    let mut rig = Rig::connected().await;
    let mint = person();

    let error = failed_mint(&mut rig, json!({"mode": "oversizedBody"}), &mint).await;

    assert!(matches!(error.kind(), ErrorKind::BodyTooLarge { .. }), "{error:?}");
    assert!(error.to_string().contains("exceeds the limit"), "{error}");
    recovers_with_one_id(&mut rig, &mint).await;
}

#[tokio::test]
async fn wrong_content_type_is_a_decode_error() {
    let mut rig = Rig::connected().await;
    let mint = person();

    let error = failed_mint(&mut rig, json!({"mode": "wrongContentType"}), &mint).await;

    assert!(matches!(error.kind(), ErrorKind::Decode { .. }), "{error:?}");
    assert!(error.to_string().contains("invalid reply"), "{error}");
    recovers_with_one_id(&mut rig, &mint).await;
}

#[tokio::test]
async fn dropped_reply_after_commit_loses_no_id() {
    let mut rig = Rig::connected().await;
    let mint = person();

    let error = failed_mint(&mut rig, json!({"mode": "dropAfterCommit", "count": 1}), &mint).await;

    assert!(matches!(error.kind(), ErrorKind::ConnectionClosed), "{error:?}");
    assert_eq!(rig.minted().await, 1, "the mint was committed before the connection dropped");
    recovers_with_one_id(&mut rig, &mint).await;
}

/// Checks that a health fault makes the manager reconnect while mints still work, and that it recovers.
async fn health_outage(plan: serde_json::Value) {
    let mut rig = Rig::connected().await;
    let _ = rig.drain_events();
    rig.inject(plan).await;

    rig.expect_state(ConnectionState::Reconnecting).await;
    rig.expect_event("unhealthy").await;
    let error = rig.manager.perform_health_check().await.expect_err("health is still faulty");
    assert!(error.to_string().contains("timed out"), "{error}");
    let during_fault = rig.client.mint(&person()).await.unwrap();

    rig.recover().await;

    rig.expect_event("connected").await;
    let after = rig.mint_after_recovery(&person()).await;
    rig.assert_ledger(&[during_fault, after]).await;
}

#[tokio::test]
async fn slow_health_recovers() {
    health_outage(json!({"mode": "slowHealth", "delayMs": 3000})).await;
}

#[tokio::test]
async fn hanging_health_recovers() {
    health_outage(json!({"mode": "hangHealth"})).await;
}

#[tokio::test]
async fn pause_then_resume_recovers() {
    let mut rig = Rig::connected().await;
    let _ = rig.drain_events();
    rig.inject(json!({"mode": "pause"})).await;
    let mint = person();

    let error = rig.client.mint(&mint).await.expect_err("a paused service does not reply");
    assert!(matches!(error.kind(), ErrorKind::Timeout { .. }), "{error:?}");
    rig.expect_state(ConnectionState::Reconnecting).await;
    rig.expect_event("unhealthy").await;

    rig.inject(json!({"mode": "resume"})).await;
    rig.expect_state(ConnectionState::Connected).await;

    rig.expect_event("connected").await;
    let first = rig.mint_after_recovery(&mint).await;
    let second = rig.mint_after_recovery(&person()).await;
    rig.assert_ledger(&[first, second]).await;
}
