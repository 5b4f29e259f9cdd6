//! Idempotency-Key handling and sequence exhaustion.

use std::time::Duration;

use axum::body::Body;
use chittyid::format::EntityType;
use chittyid_server::store::{MintStore, RedbStore, SequenceKey};
use chittyid_server::{AppState, ServerConfig};

use crate::{Harness, Reply, post};

async fn mint_with_key(harness: &Harness, path: &str, key: &str, body: &str) -> Reply {
    let request = post(path).header("idempotency-key", key).body(Body::from(body.to_owned())).unwrap();
    harness.send(request).await
}

#[tokio::test]
async fn same_key_and_body_replays_identical_reply() {
    let harness = Harness::new();
    let first = mint_with_key(&harness, "/mint", "key-1", r#"{"entityType":"P"}"#).await;
    let second = mint_with_key(&harness, "/mint", "key-1", r#"{"entityType":"P"}"#).await;
    assert_eq!(first.bytes, second.bytes);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(harness.state.minted(), 1);
    assert_eq!(harness.state.idempotent_replays(), 1);
}

#[tokio::test]
async fn same_key_with_other_body_gets_422() {
    let harness = Harness::new();
    mint_with_key(&harness, "/mint", "key-2", r#"{"entityType":"P"}"#).await;
    let reply = mint_with_key(&harness, "/mint", "key-2", r#"{"entityType":"L"}"#).await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json["error"], "IDEMPOTENCY_KEY_REUSED");
}

#[tokio::test]
async fn same_key_on_other_route_gets_422() {
    let harness = Harness::new();
    mint_with_key(&harness, "/mint", "key-3", r#"{"entityType":"P"}"#).await;
    let reply = mint_with_key(&harness, "/v1/mint", "key-3", r#"{"entityType":"P"}"#).await;
    assert_eq!(reply.status, 422);
}

#[tokio::test]
async fn batch_replay_returns_same_ids() {
    let harness = Harness::new();
    let body = r#"{"requests":[{"entityType":"P"},{"entityType":"T"}]}"#;
    let first = mint_with_key(&harness, "/v1/mint/batch", "batch-key", body).await;
    let second = mint_with_key(&harness, "/v1/mint/batch", "batch-key", body).await;
    assert_eq!(first.json["chittyIds"], second.json["chittyIds"]);
    assert_eq!(harness.state.minted(), 2);
}

#[tokio::test]
async fn overlong_key_gets_400() {
    let harness = Harness::new();
    let reply = mint_with_key(&harness, "/mint", &"k".repeat(256), r#"{"entityType":"P"}"#).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json["error"], "INVALID_IDEMPOTENCY_KEY");
}

#[tokio::test]
async fn rejected_request_is_not_stored() {
    let harness = Harness::new();
    mint_with_key(&harness, "/mint", "key-4", r#"{"entityType":"vehicle"}"#).await;
    let reply = mint_with_key(&harness, "/mint", "key-4", r#"{"entityType":"P"}"#).await;
    assert_eq!(reply.json["success"], true);
}

#[tokio::test]
async fn running_key_gets_409() {
    let harness = Harness::new();
    // Hold the first request before the store, with its key claimed, for longer than the test runs.
    harness.post("/admin/faults", r#"{"mode":"slowMint","delayMs":3600000,"count":1}"#).await;
    let held_request = {
        let state = harness.state.clone();
        tokio::spawn(async move {
            let request = post("/mint").header("idempotency-key", "busy").body(Body::from(r#"{"entityType":"P"}"#));
            tower::ServiceExt::oneshot(chittyid_server::router(state), request.unwrap()).await
        })
    };
    // The fault is used up once the held request has claimed its key.
    while harness.get("/admin/faults").await.json["faults"].as_array().is_some_and(|faults| !faults.is_empty()) {
        tokio::task::yield_now().await;
    }

    let reply = mint_with_key(&harness, "/mint", "busy", r#"{"entityType":"P"}"#).await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.json["error"], "IDEMPOTENCY_KEY_IN_USE");

    held_request.abort();
    let _ = held_request.await;
    let retry = mint_with_key(&harness, "/mint", "busy", r#"{"entityType":"P"}"#).await;
    assert_eq!(retry.json["success"], true, "the key is released when the held request is dropped");
}

#[tokio::test]
async fn exhausted_sequence_is_refused_without_wrapping() {
    let dir = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let key =
        SequenceKey::new(1, "USA", EntityType::Person, u8::try_from(now.year() % 100).unwrap(), u8::from(now.month()));
    {
        let mut store = RedbStore::open(dir.path()).unwrap();
        let mut transaction = store.begin().unwrap();
        transaction.set_last_sequence(&key, 9_998).unwrap();
        transaction.commit().unwrap();
    }
    let state = AppState::open(&ServerConfig::new(dir.path())).unwrap();
    let harness = Harness::from_state(state, dir);

    // NOTE: this assumes the UTC month does not change between seeding and minting.
    let last = harness.post("/mint", r#"{"entityType":"P"}"#).await;
    assert_eq!(last.json["components"]["sequence"], "9999");
    let refused = harness.post("/mint", r#"{"entityType":"P"}"#).await;
    assert_eq!(refused.status, 200);
    assert_eq!(refused.json["success"], false);
    assert_eq!(refused.json["error"], "SEQUENCE_EXHAUSTED");
    let other_type = harness.post("/mint", r#"{"entityType":"L"}"#).await;
    assert_eq!(other_type.json["success"], true, "other keys are unaffected");
    assert_eq!(harness.state.minted(), 2);
}

#[tokio::test]
async fn closed_state_replies_503() {
    let harness = Harness::new();
    harness.state.close().await;
    let reply = tokio::time::timeout(Duration::from_secs(10), harness.post("/mint", r#"{"entityType":"P"}"#))
        .await
        .expect("a closed store answers at once");
    assert_eq!(reply.status, 503);
}
