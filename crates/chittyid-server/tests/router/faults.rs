//! Fault injection through `/admin/faults`.

use axum::body::Body;
use axum::http::Request;

use crate::Harness;

#[tokio::test]
async fn status_fault_applies_to_next_mint_only() {
    let harness = Harness::new();
    let reply = harness.post("/admin/faults", r#"{"mode":"status","status":503,"retryAfter":2,"count":1}"#).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);

    let faulted = harness.post("/mint", r#"{"entityType":"P"}"#).await;
    assert_eq!(faulted.status, 503);
    assert_eq!(faulted.headers["retry-after"], "2");
    let next = harness.post("/mint", r#"{"entityType":"P"}"#).await;
    assert_eq!(next.status, 200);
}

#[tokio::test]
async fn fallback_fault_returns_fallback_id() {
    let harness = Harness::new();
    harness.post("/admin/faults", r#"{"mode":"fallback","code":7}"#).await;
    let reply = harness.post("/mint", r#"{"entityType":"P"}"#).await;
    assert_eq!(reply.json["fallback"], true);
    let id: chittyid::format::ChittyId = reply.json["chittyId"].as_str().unwrap().parse().unwrap();
    assert!(id.is_fallback());
    assert_eq!(id.sequence(), 7);
}

#[tokio::test]
async fn transport_faults_change_the_body() {
    let harness = Harness::new();
    harness.post("/admin/faults", r#"{"mode":"malformedJson","count":1}"#).await;
    assert!(
        serde_json::from_slice::<serde_json::Value>(&harness.post("/mint", r#"{"entityType":"P"}"#).await.bytes)
            .is_err()
    );

    harness.post("/admin/faults", r#"{"mode":"wrongContentType","count":1}"#).await;
    let html = harness.post("/mint", r#"{"entityType":"P"}"#).await;
    assert!(html.headers["content-type"].to_str().unwrap().starts_with("text/html"));

    harness.post("/admin/faults", r#"{"mode":"oversizedBody","count":1}"#).await;
    assert!(harness.post("/mint", r#"{"entityType":"P"}"#).await.bytes.len() >= 2 * 1024 * 1024);
}

#[tokio::test]
async fn invalid_fault_plan_gets_400() {
    let harness = Harness::new();
    assert_eq!(harness.post("/admin/faults", r#"{"mode":"explode"}"#).await.status, 400);
    assert_eq!(harness.post("/admin/faults", r#"{"mode":"status","status":200}"#).await.status, 400);
}

#[tokio::test]
async fn cleared_faults_stop_applying() {
    let harness = Harness::new();
    harness.post("/admin/faults", r#"{"mode":"status","status":500}"#).await;
    let request = Request::delete("/admin/faults").body(Body::empty()).unwrap();
    assert_eq!(harness.send(request).await.status, 200);
    assert_eq!(harness.post("/mint", r#"{"entityType":"P"}"#).await.status, 200);
}

#[tokio::test]
async fn pause_stalls_requests_until_resume() {
    let harness = Harness::new();
    harness.post("/admin/faults", r#"{"mode":"pause"}"#).await;
    let stalled = {
        let state = harness.state.clone();
        tokio::spawn(async move {
            let request = Request::get("/health").body(Body::empty()).unwrap();
            tower::ServiceExt::oneshot(chittyid_server::router(state), request).await.unwrap().status()
        })
    };
    // An unpaused health request finishes within a few polls, because it does no I/O.
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(!stalled.is_finished(), "the request passed the pause");

    harness.post("/admin/faults", r#"{"mode":"resume"}"#).await;
    assert_eq!(stalled.await.unwrap(), 200);
}

#[tokio::test]
async fn hang_health_ends_with_503_on_close() {
    let harness = Harness::new();
    harness.post("/admin/faults", r#"{"mode":"hangHealth","count":1}"#).await;
    let hanging = {
        let state = harness.state.clone();
        tokio::spawn(async move {
            let request = Request::get("/health").body(Body::empty()).unwrap();
            tower::ServiceExt::oneshot(chittyid_server::router(state), request).await.unwrap().status()
        })
    };
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(!hanging.is_finished(), "the health request was answered");

    harness.state.close().await;
    assert_eq!(hanging.await.unwrap(), 503);
}

#[tokio::test(start_paused = true)]
async fn slow_health_still_replies_ok() {
    let harness = Harness::new();
    harness.post("/admin/faults", r#"{"mode":"slowHealth","delayMs":5000,"count":1}"#).await;
    assert_eq!(harness.get("/health").await.json["status"], "ok");
}

#[tokio::test]
async fn rejected_fault_replies_success_false() {
    let harness = Harness::new();
    harness.post("/admin/faults", r#"{"mode":"rejected","error":"Invalid entityType: boom","count":1}"#).await;
    let reply = harness.post("/mint", r#"{"entityType":"P"}"#).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["success"], false);
    assert_eq!(reply.json["error"], "Invalid entityType: boom");
    assert_eq!(harness.state.minted(), 0);
}

#[tokio::test]
async fn fault_list_shows_active_faults() {
    let harness = Harness::new();
    harness.post("/admin/faults", r#"{"mode":"dropAfterCommit","count":2}"#).await;
    let reply = harness.get("/admin/faults").await;
    assert_eq!(reply.json["faults"][0]["mode"], "dropAfterCommit");
    assert_eq!(reply.json["faults"][0]["count"], 2);
}
