//! The monitoring endpoint's routes over real HTTP, for a service connected to the real local service on loopback.

use std::time::Duration;

use chittyid::format::EntityType;
use chittyid::monitor::{Monitor, MonitorServer};
use chittyid::service::{ChittyIdService, ServiceBuilder};
use chittyid::{Backoff, Mint, Token};
use chittyid_test_support::InProcessService;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

/// The upper bound of every wait below; reaching it fails the test.
const LIMIT: Duration = Duration::from_secs(10);

/// A token the local service ignores (it has none configured), so that the tests can check no reply leaks it.
const TOKEN: &str = "monitor-test-secret-7f3a";

/// A connected service and its monitor, served on a free loopback port.
struct Setup {
    local: InProcessService,
    service: ChittyIdService,
    server: MonitorServer,
    http: reqwest::Client,
}

impl Setup {
    async fn start() -> Setup {
        let local = InProcessService::start().await;
        let backoff = Backoff::new().base(Duration::from_millis(50)).cap(Duration::from_millis(200)).jitter(false);
        let service = ServiceBuilder::new(local.url())
            .token(Token::new(TOKEN))
            .connection(move |manager| manager.backoff(backoff))
            .build()
            .expect("valid settings");
        let server = Monitor::new(service.clone()).bind(([127, 0, 0, 1], 0).into()).await.expect("loopback binds");
        service.connect().await.expect("the local service is up");
        Setup { local, service, server, http: reqwest::Client::new() }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.local_addr())
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("monitor reachable")
    }

    async fn snapshot(&self) -> Value {
        let reply = self.get("/api/snapshot").await;
        assert_eq!(reply.status(), StatusCode::OK);
        reply.json().await.expect("snapshot is JSON")
    }

    async fn events(&self) -> EventReader {
        let reply = self.get("/events").await;
        assert_eq!(reply.status(), StatusCode::OK);
        let content_type = reply.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/event-stream"), "{content_type}");
        EventReader { reply, buffer: String::new() }
    }
}

/// One server-sent event: its name, its data, and its `retry` field when it has one.
#[derive(Debug)]
struct SseEvent {
    name: String,
    data: String,
    retry: Option<String>,
}

/// Reads server-sent events from a streaming reply, skipping keep-alive comments.
struct EventReader {
    reply: reqwest::Response,
    buffer: String,
}

impl EventReader {
    /// Returns the next event, or `None` when the stream ends.
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent { name: "message".into(), data: String::new(), retry: None };
                let mut has_fields = false;
                for line in block.lines() {
                    let Some((field, value)) = line.split_once(':') else { continue };
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "event" => event.name = value.to_owned(),
                        "data" => event.data.push_str(value),
                        "retry" => event.retry = Some(value.to_owned()),
                        _ => continue,
                    }
                    has_fields = true;
                }
                if has_fields {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout(LIMIT, self.reply.chunk()).await.expect("an event within the limit");
            match chunk.expect("stream readable") {
                Some(bytes) => self.buffer.push_str(std::str::from_utf8(&bytes).expect("UTF-8 events")),
                None => return None,
            }
        }
    }
}

fn call_count(snapshot: &Value, operation: &str, outcome: &str) -> u64 {
    let calls = snapshot["metrics"]["calls"].as_array().expect("metrics carry calls");
    calls
        .iter()
        .filter(|entry| entry["operation"] == operation && entry["outcome"] == outcome)
        .map(|entry| entry["count"].as_u64().expect("a count"))
        .sum()
}

#[tokio::test]
async fn snapshot_counts_move_after_a_mint() {
    let setup = Setup::start().await;
    let before = setup.snapshot().await;
    assert_eq!(before["state"], "CONNECTED");
    assert_eq!(call_count(&before, "mint", "success"), 0);

    setup.service.mint(&Mint::new(EntityType::Person)).await.expect("mint succeeds");

    let after = setup.snapshot().await;
    assert_eq!(call_count(&after, "mint", "success"), 1);
    assert_eq!(after["breaker"]["permittedCalls"], 1);
    assert_eq!(after["breaker"]["state"], "CLOSED");
    assert!(after["connection"]["successfulHealthChecks"].as_u64().unwrap() >= 1, "{after}");
    let timeline = after["timeline"].as_array().expect("a timeline");
    assert_eq!(timeline.last().expect("the connect is recorded")["to"], "CONNECTED");
}

#[tokio::test]
async fn metrics_route_serves_openmetrics_text() {
    let setup = Setup::start().await;
    setup.service.mint(&Mint::new(EntityType::Place)).await.expect("mint succeeds");

    let reply = setup.get("/metrics").await;
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(reply.headers()[CONTENT_TYPE], chittyid::metrics::CONTENT_TYPE);
    let text = reply.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(text.contains("chittyid_calls_total{"), "{text}");
}

#[tokio::test]
async fn no_reply_contains_the_token() {
    let setup = Setup::start().await;
    setup.service.mint(&Mint::new(EntityType::Thing)).await.expect("mint succeeds");

    for path in ["/", "/metrics", "/api/snapshot"] {
        let text = setup.get(path).await.text().await.unwrap();
        assert!(!text.contains(TOKEN), "{path} contains the token");
    }
    let first = setup.events().await.next().await.expect("a first event");
    assert!(!first.data.contains(TOKEN), "/events contains the token");
}

#[tokio::test]
async fn event_stream_starts_with_a_full_snapshot() {
    let setup = Setup::start().await;
    let mut events = setup.events().await;

    let first = events.next().await.expect("a first event");

    assert_eq!(first.name, "snapshot");
    assert!(first.retry.is_some(), "the first event sets the reconnect delay");
    let snapshot: Value = serde_json::from_str(&first.data).expect("JSON data");
    assert_eq!(snapshot["state"], "CONNECTED");
    for field in ["takenAt", "serviceUrl", "connection", "breaker", "metrics", "timeline"] {
        assert!(snapshot.get(field).is_some(), "snapshot lacks {field}: {snapshot}");
    }
}

#[tokio::test]
async fn event_stream_repeats_snapshots() {
    let setup = Setup::start().await;
    let mut events = setup.events().await;
    events.next().await.expect("a first event");

    let second = events.next().await.expect("a periodic event");

    assert_eq!(second.name, "snapshot");
    assert!(second.retry.is_none(), "only the first event sets the reconnect delay");
}

#[tokio::test]
async fn lost_service_sends_state_change() {
    let setup = Setup::start().await;
    let mut events = setup.events().await;
    events.next().await.expect("a first event");

    setup.local.kill().await;

    let change = loop {
        let event = events.next().await.expect("the stream stays open");
        if event.name == "stateChange" {
            break event;
        }
    };
    let snapshot: Value = serde_json::from_str(&change.data).expect("JSON data");
    assert_eq!(snapshot["state"], "RECONNECTING");
    let timeline = snapshot["timeline"].as_array().expect("a timeline");
    let last = timeline.last().expect("the change is recorded");
    assert_eq!(last["from"], "CONNECTED");
    assert_eq!(last["to"], "RECONNECTING");
}

#[tokio::test]
async fn dashboard_page_loads_nothing_from_elsewhere() {
    let setup = Setup::start().await;

    let reply = setup.get("/").await;

    assert_eq!(reply.status(), StatusCode::OK);
    assert!(reply.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let policy = reply.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    let page = reply.text().await.unwrap();
    assert!(page.contains(r#"id="state""#));
    assert!(page.contains(r#"EventSource("/events")"#));
    assert!(!page.contains("http://"), "the page names an external URL");
    assert!(!page.contains("https://"), "the page names an external URL");
}

#[tokio::test]
async fn other_methods_are_rejected() {
    let setup = Setup::start().await;
    for path in ["/", "/metrics", "/api/snapshot", "/events"] {
        let reply = setup.http.post(setup.url(path)).body("x").send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::METHOD_NOT_ALLOWED, "POST {path}");
        let reply = setup.http.delete(setup.url(path)).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::METHOD_NOT_ALLOWED, "DELETE {path}");
    }
}

#[tokio::test]
async fn foreign_host_is_rejected_on_loopback() {
    let setup = Setup::start().await;
    let port = setup.server.local_addr().port();
    for host in ["rebound.example".to_owned(), format!("rebound.example:{port}"), format!("10.0.0.1:{port}")] {
        let reply = setup.http.get(setup.url("/api/snapshot")).header("host", &host).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::MISDIRECTED_REQUEST, "Host: {host}");
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let reply = setup.http.get(setup.url("/api/snapshot")).header("host", &host).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::OK, "Host: {host}");
    }
}

#[tokio::test]
async fn unknown_path_is_not_found() {
    let setup = Setup::start().await;
    assert_eq!(setup.get("/admin").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn shutdown_ends_open_event_streams() {
    let Setup { local: _local, service: _service, server, http } = Setup::start().await;
    let url = format!("http://{}/events", server.local_addr());
    let reply = http.get(url).send().await.expect("monitor reachable");
    let mut events = EventReader { reply, buffer: String::new() };
    events.next().await.expect("a first event");

    tokio::time::timeout(LIMIT, server.shutdown()).await.expect("shutdown within the limit").expect("clean stop");

    // Snapshots sent before the stop may still be buffered; the stream must end right after them.
    let mut buffered = 0;
    while events.next().await.is_some() {
        buffered += 1;
        assert!(buffered < 5, "the stream goes on after the shutdown");
    }
}
