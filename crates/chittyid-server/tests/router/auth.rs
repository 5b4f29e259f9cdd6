//! Bearer-token checks.

use axum::body::Body;
use axum::http::Request;

use crate::{Harness, post};

fn with_token() -> Harness {
    Harness::with(|config| config.token(chittyid::Token::new("right-token")).token(chittyid::Token::new("other")))
}

#[tokio::test]
async fn mint_without_token_gets_401() {
    let harness = with_token();
    let reply = harness.post("/mint", r#"{"entityType":"P"}"#).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json["error"], "UNAUTHORIZED");
}

#[tokio::test]
async fn batch_without_token_gets_401() {
    let harness = with_token();
    let reply = harness.post("/v1/mint/batch", r#"{"requests":[{"entityType":"P"}]}"#).await;
    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn mint_with_right_token_succeeds() {
    let harness = with_token();
    for token in ["right-token", "other"] {
        let request = post("/mint")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(r#"{"entityType":"P"}"#))
            .unwrap();
        let reply = harness.send(request).await;
        assert_eq!(reply.json["success"], true, "{token}");
    }
}

#[tokio::test]
async fn wrong_token_gets_403_everywhere() {
    let harness = with_token();
    for path in ["/health", "/health/stream", "/api/spec", "/mint", "/nowhere"] {
        let request = Request::get(path).header("authorization", "Bearer wrong").body(Body::empty()).unwrap();
        let reply = harness.send(request).await;
        assert_eq!(reply.status, 403, "{path}");
        assert_eq!(reply.json["error"], "FORBIDDEN", "{path}");
    }
}

#[tokio::test]
async fn health_without_token_stays_open() {
    let harness = with_token();
    assert_eq!(harness.get("/health").await.status, 200);
}

#[tokio::test]
async fn validate_without_token_stays_open() {
    let harness = with_token();
    let reply = harness.post("/api/validate", r#"{"id":"03-1-USA-4448-P-2609-0-88"}"#).await;
    assert_eq!(reply.json["valid"], true);
}

#[tokio::test]
async fn fallback_replacement_without_token_gets_401() {
    let harness = with_token();
    let reply = harness.post("/api/validate", r#"{"id":"03-0-ERR-0001-P-2609-0-24"}"#).await;
    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn minting_is_open_without_tokens() {
    let harness = Harness::new();
    let request = post("/mint").header("authorization", "Bearer anything").body(Body::from(r#"{"entityType":"P"}"#));
    let reply = harness.send(request.unwrap()).await;
    assert_eq!(reply.json["success"], true);
}
