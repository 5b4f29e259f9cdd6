//! Error envelopes, CORS and body limits.

use axum::body::Body;
use axum::http::{Method, Request};

use crate::{Harness, post};

#[tokio::test]
async fn unknown_route_gets_404_envelope() {
    let harness = Harness::new();
    let reply = harness.get("/x").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json, serde_json::json!({"success":false,"error":"NOT_FOUND","message":"Route not found: /x"}));
}

#[tokio::test]
async fn wrong_method_gets_405_json() {
    let harness = Harness::new();
    let reply = harness.get("/mint").await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.json["error"], "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn malformed_json_gets_400() {
    let harness = Harness::new();
    let reply = harness.post("/mint", r#"{"entityType":"#).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json["success"], false);
    assert_eq!(reply.json["error"], "INVALID_JSON");
}

#[tokio::test]
async fn empty_body_gets_400() {
    let harness = Harness::new();
    let reply = harness.post("/mint", "").await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json["error"], "INVALID_JSON");
}

#[tokio::test]
async fn non_object_body_is_rejected() {
    let harness = Harness::new();
    let reply = harness.post("/mint", "[1,2]").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["success"], false);
}

#[tokio::test]
async fn body_over_limit_gets_413_json() {
    let harness = Harness::with(|config| config.body_limit(1024));
    let body = format!(r#"{{"entityType":"person","metadata":"{}"}}"#, "x".repeat(2048));
    let reply = harness.post("/mint", &body).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.json["error"], "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn body_over_limit_without_length_gets_413() {
    let harness = Harness::with(|config| config.body_limit(1024));
    let chunks = vec![Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 4096]))];
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    let reply = harness.send(post("/mint").body(body).unwrap()).await;
    assert_eq!(reply.status, 413);
}

#[tokio::test]
async fn cors_preflight_allows_client_headers() {
    let harness = Harness::new();
    let request = Request::builder()
        .method(Method::OPTIONS)
        .uri("/mint")
        .header("origin", "http://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type,idempotency-key,traceparent,tracestate")
        .body(Body::empty())
        .unwrap();
    let reply = harness.send(request).await;
    assert!(reply.status.is_success(), "{}", reply.status);
    assert_eq!(reply.headers["access-control-allow-origin"], "*");
    let allowed = reply.headers["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    for header in ["authorization", "content-type", "idempotency-key", "traceparent", "tracestate"] {
        assert!(allowed.contains(header), "{header} missing from {allowed}");
    }
}

#[tokio::test]
async fn cors_header_on_normal_reply() {
    let harness = Harness::new();
    let request = Request::get("/health").header("origin", "http://app.example").body(Body::empty()).unwrap();
    let reply = harness.send(request).await;
    assert_eq!(reply.headers["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn browser_reply_keeps_every_cors_header() {
    let harness = Harness::new();
    let request = Request::get("/health").header("origin", "http://app.example").body(Body::empty()).unwrap();
    let reply = harness.send(request).await;
    assert!(reply.headers.contains_key("vary"));
    assert!(reply.headers.contains_key("access-control-expose-headers"));
}

#[tokio::test]
async fn reply_without_origin_drops_browser_headers() {
    let harness = Harness::new();
    let reply = harness.send(Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(reply.headers["access-control-allow-origin"], "*");
    assert!(!reply.headers.contains_key("vary"));
    assert!(!reply.headers.contains_key("access-control-expose-headers"));
}

#[tokio::test]
async fn admin_route_is_404_when_disabled() {
    let harness = Harness::with(|config| config.enable_admin(false));
    let reply = harness.post("/admin/faults", r#"{"mode":"hangHealth"}"#).await;
    assert_eq!(reply.status, 404);
}
