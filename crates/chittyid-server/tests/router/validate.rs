//! Validation routes and fallback replacement.

use chittyid::format::ChittyId;

use crate::Harness;

#[tokio::test]
async fn valid_id_has_components() {
    let harness = Harness::new();
    let reply = harness.post("/api/validate", r#"{"id":"03-1-USA-4448-P-2609-0-88"}"#).await;
    assert_eq!(reply.json["success"], true);
    assert_eq!(reply.json["valid"], true);
    assert_eq!(reply.json["components"]["sequence"], "4448");
}

#[tokio::test]
async fn wrong_check_value_is_invalid() {
    let harness = Harness::new();
    let reply = harness.post("/api/validate", r#"{"id":"03-1-USA-1234-P-2601-3-42"}"#).await;
    assert_eq!(reply.json["valid"], false);
    assert!(reply.json["error"].as_str().unwrap().contains("86"), "{}", reply.json);
}

#[tokio::test]
async fn missing_id_is_rejected() {
    let harness = Harness::new();
    let reply = harness.post("/api/validate", r#"{"chittyId":1}"#).await;
    assert_eq!(reply.json["success"], false);
}

#[tokio::test]
async fn fallback_id_is_replaced() {
    let harness = Harness::new();
    let reply = harness.post("/api/validate", r#"{"id":"03-0-ERR-0001-P-2609-0-24"}"#).await;
    assert_eq!(reply.json["replaced"], true);
    assert_eq!(reply.json["oldId"], "03-0-ERR-0001-P-2609-0-24");
    let new_id: ChittyId = reply.json["newId"].as_str().unwrap().parse().unwrap();
    assert!(!new_id.is_fallback());
    assert_eq!(new_id.entity_type().letter(), 'P');
    assert_eq!(harness.state.minted(), 1);
}

#[tokio::test]
async fn path_validate_aliases_report_entity() {
    let harness = Harness::new();
    for prefix in ["/v1/validate", "/api/v1/validate"] {
        let reply = harness.get(&format!("{prefix}/03-1-USA-4448-P-2609-0-88")).await;
        assert_eq!(reply.json["valid"], true, "{prefix}");
        assert_eq!(reply.json["chittyId"], "03-1-USA-4448-P-2609-0-88", "{prefix}");
        assert_eq!(reply.json["entity"], "person", "{prefix}");
    }
}

#[tokio::test]
async fn path_validate_rejects_bad_id() {
    let harness = Harness::new();
    let reply = harness.get("/v1/validate/01-1-USA-0001-P-2509-0-82").await;
    assert_eq!(reply.json["valid"], false);
}

#[tokio::test]
async fn v2_verify_checks_id() {
    let harness = Harness::new();
    let good = harness.post("/api/v2/chittyid/verify", r#"{"chittyId":"03-1-USA-4448-P-2609-0-88"}"#).await;
    assert_eq!(good.json["valid"], true);
    let bad = harness.post("/api/v2/chittyid/verify", r#"{"chittyId":"CP-A-001-1234-P-2509-I-82"}"#).await;
    assert_eq!(bad.json["valid"], false);
}
