//! Many idempotency keys: a finished request's key leaves memory, and the keys in flight stay under the limit.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;

use chittyid_server::{AppState, Server, ServerConfig, router};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::post;

/// Distinct keys sent through the router. Each one commits a mint, so the count is kept to what a debug build
/// runs in a few seconds; the in-crate unit tests of `InFlight` claim 50,000 keys without the store.
const KEYS: usize = 2_000;
const CONCURRENCY: usize = 256;
const ENTITIES: [&str; 5] = ["P", "L", "T", "E", "A"];
/// Stops a test that would otherwise hang; it never decides a pass.
const HANG_GUARD: Duration = Duration::from_secs(20);

/// Mints once with `key`, spreading mints over regions and entity types so that no sequence runs out.
async fn mint_with_key(state: AppState, index: usize) -> u16 {
    let region = 1 + index % 9;
    let entity = ENTITIES[(index / 9) % ENTITIES.len()];
    let request = Request::post(format!("/mint?region={region}"))
        .header("idempotency-key", format!("flood-{index}"))
        .body(Body::from(format!(r#"{{"entityType":"{entity}"}}"#)))
        .unwrap();
    let response = router(state).oneshot(request).await.expect("router replies");
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_keys_leave_memory_when_done() {
    let dir = tempfile::tempdir().unwrap();
    let limit = 128;
    let state = AppState::open(&ServerConfig::new(dir.path()).max_keys_in_flight(limit)).unwrap();
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    let mut peak = 0;

    for index in 0..KEYS {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let task_state = state.clone();
        tasks.spawn(async move {
            let status = mint_with_key(task_state, index).await;
            drop(permit);
            status
        });
        peak = peak.max(state.idempotency_keys_in_flight());
    }
    let mut accepted = 0_u64;
    let mut rejected = 0_u64;
    while let Some(status) = tasks.join_next().await {
        match status.expect("mint task ends") {
            200 => accepted += 1,
            503 => rejected += 1,
            other => panic!("unexpected status {other}"),
        }
    }

    assert!(peak <= limit, "{peak} keys in flight, over the limit of {limit}");
    assert_eq!(state.idempotency_keys_in_flight(), 0, "finished requests left keys in memory");
    assert_eq!(accepted + rejected, KEYS as u64);
    assert_eq!(state.minted(), accepted, "a 200 reply without a durable mint, or the reverse");
    state.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_over_limit_gets_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig::new(dir.path()).max_keys_in_flight(2).enable_admin(true);
    let server = Server::bind(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let state = server.state().clone();
    let server = server.spawn();
    let reply = post(&server, "/admin/faults", r#"{"mode":"slowMint","delayMs":600000,"count":2}"#).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);

    let client = crate::client();
    let mint = |key: &str| {
        client.post(crate::url(&server, "/mint")).header("idempotency-key", key).body(r#"{"entityType":"P"}"#)
    };
    // Both held requests claim their key and then wait in the slow-mint fault.
    let held = [tokio::spawn(mint("held-0").send()), tokio::spawn(mint("held-1").send())];
    let both_held = async {
        while state.idempotency_keys_in_flight() < 2 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(HANG_GUARD, both_held).await.expect("the held requests never claimed their keys");

    let response = mint("third").send().await.unwrap();

    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"], "TOO_MANY_REQUESTS_IN_FLIGHT");
    server.kill().await;
    for request in held {
        let _ = request.await;
    }
    assert_eq!(state.idempotency_keys_in_flight(), 0, "killed requests left keys in memory");
}
