//! The service's own dashboard over real HTTP, beside a real service on loopback.

use std::time::Duration;

use chittyid_server::dashboard::DashboardServer;
use chittyid_server::{RunningServer, Server, ServerConfig};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

/// The upper bound of every wait below; reaching it fails the test.
const LIMIT: Duration = Duration::from_secs(10);

/// The service's token, which no dashboard reply may contain.
const TOKEN: &str = "dashboard-test-secret-91c2";

struct Setup {
    _data: tempfile::TempDir,
    service: RunningServer,
    dashboard: DashboardServer,
    http: reqwest::Client,
}

impl Setup {
    async fn start() -> Setup {
        let data = tempfile::tempdir().unwrap();
        let config = ServerConfig::new(data.path()).token(chittyid::Token::new(TOKEN)).enable_admin(true);
        let server = Server::bind(config, ([127, 0, 0, 1], 0).into()).await.expect("loopback binds");
        let state = server.state().clone();
        let service = server.spawn();
        let dashboard = DashboardServer::bind(state, ([127, 0, 0, 1], 0).into()).await.expect("loopback binds");
        Setup { _data: data, service, dashboard, http: reqwest::Client::new() }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.dashboard.local_addr())
    }

    async fn snapshot(&self) -> Value {
        let reply = self.http.get(self.url("/api/snapshot")).send().await.expect("dashboard reachable");
        assert_eq!(reply.status(), StatusCode::OK);
        reply.json().await.expect("JSON")
    }

    async fn mint(&self) {
        let url = format!("http://{}/mint", self.service.local_addr());
        let reply = self
            .http
            .post(url)
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"entityType": "P"}))
            .send()
            .await
            .expect("service reachable");
        assert_eq!(reply.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn snapshot_counts_a_mint() {
    let setup = Setup::start().await;
    assert_eq!(setup.snapshot().await["metrics"]["idsMinted"], 0);

    setup.mint().await;

    let after = setup.snapshot().await;
    assert_eq!(after["metrics"]["idsMinted"], 1);
    assert!(after["metrics"]["requests"]["2xx"].as_u64().unwrap() >= 1, "{after}");
}

#[tokio::test]
async fn snapshot_lists_active_faults() {
    let setup = Setup::start().await;
    let url = format!("http://{}/admin/faults", setup.service.local_addr());
    let plan = serde_json::json!({"mode": "status", "status": 503});
    let reply = setup.http.post(url).bearer_auth(TOKEN).json(&plan).send().await.unwrap();
    assert!(reply.status().is_success(), "fault not accepted: {}", reply.status());

    let faults = setup.snapshot().await["activeFaults"].clone();

    let faults = faults.as_array().expect("a list");
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert_eq!(faults[0]["mode"], "status");
}

#[tokio::test]
async fn event_stream_starts_with_a_snapshot() {
    let setup = Setup::start().await;
    let mut reply = setup.http.get(setup.url("/events")).send().await.expect("dashboard reachable");
    assert!(reply.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));

    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(LIMIT, reply.chunk()).await.expect("an event within the limit");
        text.push_str(std::str::from_utf8(&chunk.unwrap().expect("stream open")).unwrap());
    }

    assert!(text.contains("event: snapshot\n"), "{text}");
    let data = text.lines().find_map(|line| line.strip_prefix("data: ")).expect("a data line");
    let snapshot: Value = serde_json::from_str(data).expect("JSON data");
    assert!(snapshot["metrics"]["idsMinted"].is_u64(), "{snapshot}");
}

#[tokio::test]
async fn page_and_replies_never_contain_the_token() {
    let setup = Setup::start().await;
    setup.mint().await;
    for path in ["/", "/api/snapshot"] {
        let text = setup.http.get(setup.url(path)).send().await.unwrap().text().await.unwrap();
        assert!(!text.contains(TOKEN), "{path} contains the token");
    }
}

#[tokio::test]
async fn page_loads_nothing_from_elsewhere() {
    let setup = Setup::start().await;
    let reply = setup.http.get(setup.url("/")).send().await.unwrap();
    let policy = reply.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let page = reply.text().await.unwrap();
    assert!(page.contains(r#"EventSource("/events")"#));
    assert!(!page.contains("http://"), "the page names an external URL");
    assert!(!page.contains("https://"), "the page names an external URL");
}

#[tokio::test]
async fn other_methods_are_rejected() {
    let setup = Setup::start().await;
    for path in ["/", "/api/snapshot", "/events"] {
        let reply = setup.http.post(setup.url(path)).body("x").send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::METHOD_NOT_ALLOWED, "POST {path}");
    }
}

#[tokio::test]
async fn shutdown_ends_open_event_streams() {
    let Setup { _data, service: _service, dashboard, http } = Setup::start().await;
    let mut reply = http.get(format!("http://{}/events", dashboard.local_addr())).send().await.unwrap();
    tokio::time::timeout(LIMIT, reply.chunk()).await.expect("a first event").unwrap();

    tokio::time::timeout(LIMIT, dashboard.shutdown()).await.expect("shutdown within the limit").expect("clean stop");

    // Events sent before the stop may still be buffered; the stream must end right after them.
    let mut buffered = 0;
    while tokio::time::timeout(LIMIT, reply.chunk()).await.expect("the stream ends").unwrap_or(None).is_some() {
        buffered += 1;
        assert!(buffered < 5, "the stream goes on after the shutdown");
    }
}

#[tokio::test]
async fn foreign_host_is_rejected_on_loopback() {
    let setup = Setup::start().await;

    let foreign = setup.http.get(setup.url("/api/snapshot")).header("host", "rebound.example").send().await.unwrap();
    let local = setup.http.get(setup.url("/api/snapshot")).header("host", "localhost").send().await.unwrap();

    assert_eq!(foreign.status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(local.status(), StatusCode::OK);
}
