//! `GET /metrics` over sockets: valid OpenMetrics text whose counters move with mints, replays and conflicts,
//! route templates in place of raw paths, and the same authentication as every other route.

use std::collections::BTreeMap;
use std::time::Duration;

use chittyid::Token;
use chittyid::format::{ChittyId, EntityType};
use chittyid_server::store::{MintStore, RedbStore, SequenceKey};
use chittyid_server::{METRICS_CONTENT_TYPE, RunningServer, Server, ServerConfig};
use serde_json::Value;

use crate::{client, mint, start, url};

/// One sample line of the exposition: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses OpenMetrics text, panicking with the line on anything that is neither a comment nor a sample, and
/// checks that it ends with `# EOF`.
fn parse_exposition(text: &str) -> Vec<Sample> {
    assert!(text.ends_with("# EOF\n"), "the exposition does not end with `# EOF`: {text:?}");
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") || line.starts_with("# UNIT ") || line == "# EOF"
        {
            continue;
        }
        samples.push(parse_sample(line).unwrap_or_else(|| panic!("not an exposition line: {line:?}")));
    }
    samples
}

fn parse_sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = &line[..name_end];
    let name_is_valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !name_is_valid {
        return None;
    }

    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(after_brace) = rest.strip_prefix('{') {
        rest = after_brace;
        while !rest.starts_with('}') {
            let (key, after_key) = rest.split_once("=\"")?;
            let mut value = String::new();
            let mut chars = after_key.char_indices();
            let closing = loop {
                match chars.next()? {
                    (_, '\\') => value.push(chars.next()?.1),
                    (index, '"') => break index,
                    (_, c) => value.push(c),
                }
            };
            labels.insert(key.to_owned(), value);
            rest = &after_key[closing + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
        rest = &rest[1..];
    }

    let value = rest.strip_prefix(' ')?.parse().ok()?;
    Some(Sample { name: name.to_owned(), labels, value })
}

/// Returns the value of the sample `name` whose labels include every pair of `labels`, or 0 when there is none.
fn value_of(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .find(|sample| {
            sample.name == name
                && labels.iter().all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
        })
        .map_or(0.0, |sample| sample.value)
}

async fn scrape(client: &reqwest::Client, server: &RunningServer) -> Vec<Sample> {
    let response = client.get(url(server, "/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    parse_exposition(&response.text().await.unwrap())
}

async fn post(client: &reqwest::Client, server: &RunningServer, path: &str, key: &str, body: &str) -> Value {
    let request = client.post(url(server, path)).header("idempotency-key", key).body(body.to_owned());
    request.send().await.unwrap().json().await.unwrap()
}

fn sequence_key(id: &ChittyId) -> SequenceKey {
    SequenceKey::new(id.region(), id.jurisdiction(), id.entity_type(), id.year(), id.month())
}

#[tokio::test]
async fn metrics_reply_is_openmetrics_text() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;

    let response = client.get(url(&server, "/metrics")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], METRICS_CONTENT_TYPE);
    let samples = parse_exposition(&response.text().await.unwrap());
    for entity in EntityType::ALL {
        let exists = samples.iter().any(|sample| {
            sample.name == "chittyid_server_ids_minted_total"
                && sample.labels.get("entity_type").map(String::as_str) == Some(entity.word())
        });
        assert!(exists, "no ids_minted_total series for {} before the first mint", entity.word());
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn counters_move_with_mints_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;
    let before = scrape(&client, &server).await;

    for _ in 0..3 {
        mint(&client, &server).await;
    }
    let batch = r#"{"requests":[{"entityType":"place"},{"entityType":"thing"},{"entityType":"place"}]}"#;
    let first = post(&client, &server, "/v1/mint/batch", "batch-key", batch).await;
    let replayed = post(&client, &server, "/v1/mint/batch", "batch-key", batch).await;
    let reused = post(&client, &server, "/v1/mint/batch", "batch-key", r#"{"requests":[{"entityType":"P"}]}"#).await;
    let after = scrape(&client, &server).await;

    assert_eq!(first["chittyIds"], replayed["chittyIds"]);
    assert_eq!(reused["error"], "IDEMPOTENCY_KEY_REUSED");
    let moved = |name: &str, labels: &[(&str, &str)]| value_of(&after, name, labels) - value_of(&before, name, labels);
    assert_eq!(moved("chittyid_server_ids_minted_total", &[("entity_type", "person")]), 3.0);
    assert_eq!(moved("chittyid_server_ids_minted_total", &[("entity_type", "place")]), 2.0);
    assert_eq!(moved("chittyid_server_ids_minted_total", &[("entity_type", "thing")]), 1.0);
    assert_eq!(moved("chittyid_server_ids_minted_total", &[("entity_type", "event")]), 0.0);
    assert_eq!(moved("chittyid_server_idempotent_replays_total", &[]), 1.0);
    assert_eq!(moved("chittyid_server_idempotency_conflicts_total", &[("reason", "reused")]), 1.0);
    assert_eq!(moved("chittyid_server_idempotency_conflicts_total", &[("reason", "in_use")]), 0.0);
    let batch_requests = [("route", "/v1/mint/batch"), ("method", "POST"), ("status", "200")];
    assert_eq!(moved("chittyid_server_request_duration_seconds_count", &batch_requests), 2.0);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn sequence_last_follows_minted_ids() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;

    let mut last = mint(&client, &server).await;
    for _ in 0..4 {
        last = mint(&client, &server).await;
    }
    let samples = scrape(&client, &server).await;

    let key = sequence_key(&last).encode();
    let value = value_of(&samples, "chittyid_server_sequence_last", &[("key", &key)]);
    assert_eq!(value, f64::from(last.sequence()), "sequence_last of {key}");
    let series = samples.iter().filter(|sample| sample.name == "chittyid_server_sequence_last").count();
    assert_eq!(series, 1, "one key was minted, so one series");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn exhausted_sequence_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    // A first server mints one ID to learn the current sequence key, which is then spent directly in the store.
    // NOTE: a month that ends between the two mints gives the second one a fresh key, and the test fails once.
    let probe = start(dir.path()).await;
    let key = sequence_key(&mint(&client, &probe).await);
    probe.shutdown().await.unwrap();
    {
        let mut store = RedbStore::open(dir.path()).unwrap();
        let mut transaction = store.begin().unwrap();
        transaction.set_last_sequence(&key, 9_999).unwrap();
        transaction.commit().unwrap();
    }
    let server = start(dir.path()).await;

    let reply = client.post(url(&server, "/mint")).body(r#"{"entityType":"person"}"#).send().await.unwrap();
    let reply: Value = reply.json().await.unwrap();
    let samples = scrape(&client, &server).await;

    assert_eq!(reply["error"], "SEQUENCE_EXHAUSTED");
    assert_eq!(value_of(&samples, "chittyid_server_sequence_exhausted_total", &[]), 1.0);
    assert_eq!(value_of(&samples, "chittyid_server_ids_minted_total", &[("entity_type", "person")]), 0.0);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn running_key_counts_as_in_use_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;
    let slow = client.post(url(&server, "/admin/faults")).body(r#"{"mode":"slowMint","delayMs":3600000,"count":1}"#);
    slow.send().await.unwrap();

    let held_request = {
        let (client, endpoint) = (client.clone(), url(&server, "/mint"));
        tokio::spawn(async move {
            client.post(endpoint).header("idempotency-key", "held-key").body(r#"{"entityType":"person"}"#).send().await
        })
    };
    // The slowMint fault is used up once the held request has claimed its key.
    loop {
        let list: Value = client.get(url(&server, "/admin/faults")).send().await.unwrap().json().await.unwrap();
        if list["faults"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        tokio::task::yield_now().await;
    }
    let second = client.post(url(&server, "/mint")).header("idempotency-key", "held-key");
    let second = second.body(r#"{"entityType":"person"}"#).send().await.unwrap();
    let samples = scrape(&client, &server).await;

    assert_eq!(second.status(), 409);
    assert_eq!(value_of(&samples, "chittyid_server_idempotency_conflicts_total", &[("reason", "in_use")]), 1.0);
    let conflict = [("route", "/mint"), ("status", "409")];
    assert_eq!(value_of(&samples, "chittyid_server_request_duration_seconds_count", &conflict), 1.0);
    tokio::time::timeout(Duration::from_secs(10), server.shutdown()).await.expect("shutdown is not held up").unwrap();
    let _ = held_request.await;
}

#[tokio::test]
async fn path_with_id_is_recorded_under_template() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;
    let id = mint(&client, &server).await.to_string();

    let validated = client.get(url(&server, &format!("/v1/validate/{id}"))).send().await.unwrap();
    let unknown = client.get(url(&server, &format!("/no/such/route/{id}"))).send().await.unwrap();
    let text = client.get(url(&server, "/metrics")).send().await.unwrap().text().await.unwrap();
    let samples = parse_exposition(&text);

    assert_eq!(validated.status(), 200);
    assert_eq!(unknown.status(), 404);
    let template = [("route", "/v1/validate/{id}"), ("method", "GET"), ("status", "200")];
    assert_eq!(value_of(&samples, "chittyid_server_request_duration_seconds_count", &template), 1.0);
    let unmatched = [("route", "unmatched"), ("method", "GET"), ("status", "404")];
    assert_eq!(value_of(&samples, "chittyid_server_request_duration_seconds_count", &unmatched), 1.0);
    assert!(!text.contains(&id), "the raw ID {id} appears in the metrics");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn extension_method_is_labelled_other() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;

    let method = reqwest::Method::from_bytes(b"PURGE").unwrap();
    let response = client.request(method, url(&server, "/mint")).send().await.unwrap();
    let samples = scrape(&client, &server).await;

    assert_eq!(response.status(), 405);
    let labels = [("route", "/mint"), ("method", "other"), ("status", "405")];
    assert_eq!(value_of(&samples, "chittyid_server_request_duration_seconds_count", &labels), 1.0);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn active_faults_gauge_follows_admin_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;

    let fault = client.post(url(&server, "/admin/faults")).body(r#"{"mode":"status","status":503}"#);
    assert!(fault.send().await.unwrap().status().is_success());
    let with_fault = scrape(&client, &server).await;
    assert!(client.delete(url(&server, "/admin/faults")).send().await.unwrap().status().is_success());
    let cleared = scrape(&client, &server).await;

    assert_eq!(value_of(&with_fault, "chittyid_server_active_faults", &[]), 1.0);
    assert_eq!(value_of(&cleared, "chittyid_server_active_faults", &[]), 0.0);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn metrics_need_token_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let config = ServerConfig::new(dir.path()).token(Token::new("metrics-test-token"));
    let server = Server::bind(config, "127.0.0.1:0".parse().unwrap()).await.unwrap().spawn();
    let endpoint = url(&server, "/metrics");

    let without = client.get(&endpoint).send().await.unwrap();
    let wrong = client.get(&endpoint).bearer_auth("not-the-token").send().await.unwrap();
    let right = client.get(&endpoint).bearer_auth("metrics-test-token").send().await.unwrap();

    assert_eq!(without.status(), 401);
    assert_eq!(wrong.status(), 403);
    assert_eq!(right.status(), 200);
    let without_body: Value = without.json().await.unwrap();
    assert_eq!(without_body["error"], "UNAUTHORIZED");
    parse_exposition(&right.text().await.unwrap());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn snapshot_matches_served_requests() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let bound = Server::bind(ServerConfig::new(dir.path()), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let state = bound.state().clone();
    let server = bound.spawn();

    mint(&client, &server).await;
    post(&client, &server, "/mint", "snapshot-key", r#"{"entityType":"event"}"#).await;
    post(&client, &server, "/mint", "snapshot-key", r#"{"entityType":"event"}"#).await;
    client.get(url(&server, "/no-such-route")).send().await.unwrap();
    let snapshot = state.metrics().snapshot();
    let json = serde_json::to_value(&snapshot).unwrap();

    assert_eq!(snapshot.ids_minted, 2);
    assert_eq!(snapshot.ids_minted_by_entity_type["event"], 1);
    assert_eq!(snapshot.idempotent_replays, 1);
    assert_eq!(snapshot.requests.success, 3);
    assert_eq!(snapshot.requests.client_error, 1);
    assert_eq!(snapshot.request_duration_count, 4);
    assert_eq!(json["idsMinted"], 2);
    assert_eq!(json["requests"]["4xx"], 1);
    server.shutdown().await.unwrap();
}
