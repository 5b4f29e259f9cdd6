//! Mint, batch, spec, stats and health routes.

use chittyid::format::ChittyId;
use serde_json::json;

use crate::Harness;

fn parse(value: &serde_json::Value) -> ChittyId {
    value.as_str().expect("chittyId is a string").parse().expect("chittyId is a valid ID")
}

#[tokio::test]
async fn health_aliases_report_ok() {
    let harness = Harness::new();
    for path in ["/health", "/api/health", "/v1/health", "/api/v1/health"] {
        let reply = harness.get(path).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.json["status"], "ok", "{path}");
        assert_eq!(reply.json["service"], "chittyid-local", "{path}");
        assert!(reply.json["uptime"].is_number(), "{path}");
    }
}

#[tokio::test]
async fn mint_returns_valid_id() {
    let harness = Harness::new();
    let reply = harness.post("/mint", r#"{"entityType":"person"}"#).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["success"], true);
    let id = parse(&reply.json["chittyId"]);
    assert_eq!(id.entity_type().letter(), 'P');
    assert_eq!((id.region(), id.jurisdiction(), id.trust()), (1, "USA", 0));
    assert_eq!(reply.json["components"]["sequence"], format!("{:04}", id.sequence()));
    assert_eq!(reply.json["mintedBy"], "chittyid-local");
    assert!(reply.json["timestamp"].is_string());
}

#[tokio::test]
async fn query_sets_region_jurisdiction_trust() {
    let harness = Harness::new();
    let reply = harness.post("/mint?region=3&jurisdiction=gbr&trust=2", r#"{"entityType":"L"}"#).await;
    let id = parse(&reply.json["chittyId"]);
    assert_eq!((id.region(), id.jurisdiction(), id.trust()), (3, "GBR", 2));
}

#[tokio::test]
async fn post_aliases_mint() {
    let harness = Harness::new();
    for path in ["/v1/mint", "/api/v1/mint", "/api/v2/chittyid/mint"] {
        let reply = harness.post(path, r#"{"entityType":"event"}"#).await;
        assert_eq!(reply.json["success"], true, "{path}");
        assert_eq!(parse(&reply.json["chittyId"]).entity_type().letter(), 'E', "{path}");
    }
}

#[tokio::test]
async fn v2_reply_carries_snake_case_id() {
    let harness = Harness::new();
    let reply = harness.post("/api/v2/chittyid/mint", r#"{"entityType":"thing"}"#).await;
    assert_eq!(reply.json["chitty_id"], reply.json["chittyId"]);
}

#[tokio::test]
async fn get_aliases_take_type_from_query() {
    let harness = Harness::new();
    for path in ["/api/get-chittyid?type=place", "/generate?type=A"] {
        let reply = harness.get(path).await;
        assert_eq!(reply.json["success"], true, "{path}");
        assert!(reply.json["chittyId"].is_string(), "{path}");
    }
}

#[tokio::test]
async fn legacy_entity_field_maps_to_type() {
    let harness = Harness::new();
    let expected = [("PEO", 'P'), ("PLACE", 'L'), ("PROP", 'T'), ("INFO", 'T'), ("CONTEXT", 'P'), ("AUTH", 'A')];
    for (code, letter) in expected {
        let reply = harness.post("/mint", &json!({ "entity": code, "metadata": { "a": 1 } }).to_string()).await;
        assert_eq!(parse(&reply.json["chittyId"]).entity_type().letter(), letter, "{code}");
    }
}

#[tokio::test]
async fn sequences_increase_per_key() {
    let harness = Harness::new();
    let first = parse(&harness.post("/mint", r#"{"entityType":"person"}"#).await.json["chittyId"]);
    let second = parse(&harness.post("/mint", r#"{"entityType":"person"}"#).await.json["chittyId"]);
    assert_eq!(second.sequence(), first.sequence() + 1);
}

#[tokio::test]
async fn unknown_entity_type_is_rejected_with_200() {
    let harness = Harness::new();
    let reply = harness.post("/mint", r#"{"entityType":"vehicle"}"#).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["success"], false);
    assert_eq!(reply.json["error"], "Invalid entityType: vehicle");
}

#[tokio::test]
async fn invalid_query_values_are_rejected() {
    let harness = Harness::new();
    for (query, prefix) in
        [("region=0", "Invalid region"), ("jurisdiction=US", "Invalid jurisdiction"), ("trust=9", "Invalid trust")]
    {
        let reply = harness.post(&format!("/mint?{query}"), r#"{"entityType":"P"}"#).await;
        assert_eq!(reply.json["success"], false, "{query}");
        assert!(reply.json["error"].as_str().unwrap().starts_with(prefix), "{query}: {}", reply.json);
    }
}

#[tokio::test]
async fn batch_mints_entries_with_overrides() {
    let harness = Harness::new();
    let body = json!({ "requests": [
        { "entityType": "person" },
        { "entityType": "place", "region": 4, "jurisdiction": "JPN", "trust": 3 },
        { "entity": "EVNT" }
    ]});
    for path in ["/v1/mint/batch", "/api/v1/mint/batch", "/api/v2/chittyid/mint/batch"] {
        let reply = harness.post(&format!("{path}?jurisdiction=CAN"), &body.to_string()).await;
        assert_eq!(reply.json["success"], true, "{path}");
        let ids: Vec<ChittyId> = reply.json["chittyIds"].as_array().unwrap().iter().map(parse).collect();
        assert_eq!(ids.len(), 3, "{path}");
        assert_eq!(ids[0].jurisdiction(), "CAN", "{path}");
        assert_eq!((ids[1].region(), ids[1].jurisdiction(), ids[1].trust()), (4, "JPN", 3), "{path}");
        assert_eq!(ids[2].entity_type().letter(), 'E', "{path}");
        assert_eq!(reply.json["results"].as_array().unwrap().len(), 3, "{path}");
    }
}

#[tokio::test]
async fn batch_invalid_entry_fails_alone() {
    let harness = Harness::new();
    let body = json!({ "requests": [{ "entityType": "person" }, { "entityType": "vehicle" }, { "entityType": "T" }] });
    let reply = harness.post("/v1/mint/batch", &body.to_string()).await;
    assert_eq!(reply.json["chittyIds"].as_array().unwrap().len(), 2);
    assert_eq!(reply.json["results"][1]["success"], false);
    assert_eq!(reply.json["results"][1]["error"], "Invalid entityType: vehicle");
    assert_eq!(reply.json["results"][2]["success"], true);
}

#[tokio::test]
async fn batch_over_1000_entries_is_rejected() {
    let harness = Harness::with(|config| config.body_limit(1024 * 1024));
    let entries: Vec<_> = (0..1_001).map(|_| json!({ "entityType": "P" })).collect();
    let reply = harness.post("/v1/mint/batch", &json!({ "requests": entries }).to_string()).await;
    assert_eq!(reply.json["success"], false);
    assert_eq!(reply.json["error"], "BATCH_TOO_LARGE");
    assert_eq!(harness.state.minted(), 0);
}

#[tokio::test]
async fn batch_of_1000_entries_mints_all() {
    let harness = Harness::with(|config| config.body_limit(1024 * 1024));
    let entries: Vec<_> = (0..1_000).map(|_| json!({ "entityType": "P" })).collect();
    let reply = harness.post("/v1/mint/batch", &json!({ "requests": entries }).to_string()).await;
    assert_eq!(reply.json["chittyIds"].as_array().unwrap().len(), 1_000);
    assert_eq!(harness.state.minted(), 1_000);
}

#[tokio::test]
async fn stats_count_minted_ids() {
    let harness = Harness::new();
    harness.post("/mint", r#"{"entityType":"person"}"#).await;
    harness.post("/v1/mint/batch", r#"{"requests":[{"entityType":"P"},{"entityType":"L"}]}"#).await;
    let reply = harness.get("/api/stats").await;
    assert_eq!(reply.json["success"], true);
    assert_eq!(reply.json["minted"], 3);
    assert_eq!(reply.json["idempotentReplays"], 0);
}

#[tokio::test]
async fn spec_lists_types_and_trust_levels() {
    let harness = Harness::new();
    let reply = harness.get("/api/spec").await;
    assert_eq!(reply.json["format"], "VV-G-LLL-SSSS-T-YYMM-C-XX");
    assert_eq!(reply.json["entityTypes"].as_array().unwrap().len(), 5);
    assert_eq!(reply.json["trustLevels"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn health_stream_starts_with_health_event() {
    use futures_util::StreamExt;

    let harness = Harness::new();
    let request = axum::http::Request::get("/health/stream").body(axum::body::Body::empty()).unwrap();
    let response = tower::ServiceExt::oneshot(chittyid_server::router(harness.state.clone()), request).await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body().into_data_stream();
    let first = body.next().await.unwrap().unwrap();
    let text = String::from_utf8(first.to_vec()).unwrap();
    assert!(text.starts_with("event: health\ndata: {"), "{text}");
    assert!(text.contains("\"status\":\"ok\""), "{text}");
}
