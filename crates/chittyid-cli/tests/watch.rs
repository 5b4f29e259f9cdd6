//! `chittyid watch` and `chittyid status` against a real `chittyid serve` process.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use chittyid_test_support::ServiceProcess;
use serde_json::Value;

/// A running `chittyid watch --json`, its stdout lines parsed as they arrive.
struct Watch {
    child: Child,
    events: mpsc::Receiver<Value>,
}

impl Watch {
    fn start(url: &str) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
            .args(["watch", "--json", "--health-interval", "30s", "--backoff-base", "100ms", "--backoff-cap", "1s"])
            .args(["--service-url", url])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chittyid watch starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let event = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
                if sender.send(event).is_err() {
                    break;
                }
            }
        });
        Watch { child, events }
    }

    /// Waits for a state change to `state`, returning every event seen on the way.
    fn wait_for_state(&self, state: &str, limit: Duration) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let event = self
                .events
                .recv_timeout(limit)
                .unwrap_or_else(|_| panic!("no change to {state} within {limit:?}; events: {seen:?}"));
            let reached = event["event"] == "stateChange" && event["to"] == state;
            seen.push(event);
            if reached {
                return seen;
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_reports_kill_and_recovery() {
    let data = tempfile::tempdir().unwrap();
    let mut service = ServiceProcess::start(data.path(), &[]);
    let watch = Watch::start(&service.url().to_string());
    let seen = watch.wait_for_state("CONNECTED", Duration::from_secs(10));
    assert!(seen.iter().all(|event| event["timestamp"].as_str().is_some_and(|time| time.ends_with('Z'))));

    service.kill();
    // The health stream breaks at once; the 30 s polling interval would be far too slow for this limit.
    let lost = watch.wait_for_state("RECONNECTING", Duration::from_secs(10));
    assert_eq!(lost.last().unwrap()["from"], "CONNECTED");

    service.restart();
    watch.wait_for_state("CONNECTED", Duration::from_secs(15));
}

#[test]
fn status_json_reports_connected() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &[]);

    let output = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["status", "--json", "--service-url", &service.url().to_string()])
        .output()
        .expect("chittyid status runs");

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(report["connection"]["state"], "CONNECTED");
    assert_eq!(report["resilience"]["circuitBreaker"]["state"], "CLOSED");
    assert_eq!(report["format"], "VV-G-LLL-SSSS-T-YYMM-C-XX");
}

#[test]
fn watch_exits_when_the_manager_gives_up() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["watch", "--json", "--max-attempts", "1", "--backoff-base", "10ms"])
        .args(["--service-url", &format!("http://{closed}")])
        .output()
        .expect("chittyid watch runs");

    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("\"to\":\"FAILED\""), "{stdout}");
    assert!(stdout.contains("maxReconnectAttemptsReached"), "{stdout}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("gave up"));
}

#[test]
fn status_with_a_wrong_token_exits_four() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &["--token", "right-token"]);

    let output = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["status", "--service-url", &service.url().to_string(), "--token", "wrong-token"])
        .output()
        .expect("chittyid status runs");

    assert_eq!(output.status.code(), Some(4), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!printed.contains("wrong-token"), "the token was printed: {printed}");
}
