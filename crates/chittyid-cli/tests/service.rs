//! `chittyid serve` and `chittyid health`: the process lifecycle and the health check's exit codes.

mod common;

use std::net::TcpListener;

use chittyid_test_support::ServiceProcess;
use common::{chittyid, run, stderr, stdout};

#[test]
fn health_of_a_running_service_exits_zero() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &[]);
    let output = run(chittyid().args(["health", "--json", "--service-url", &service.url().to_string()]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let reply: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("--json prints JSON");
    assert_eq!(reply["healthy"], true);
}

#[test]
fn health_of_a_closed_port_exits_three() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let output = run(chittyid().args(["health", "--service-url", &format!("http://127.0.0.1:{port}")]));
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("caused by") || stderr(&output).contains("connect"), "{}", stderr(&output));
}

#[test]
fn embedded_health_needs_no_setup() {
    let output = run(chittyid().args(["--embedded", "health"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn sigterm_stops_the_service_gracefully() {
    let data = tempfile::tempdir().unwrap();
    let mut service = ServiceProcess::start(data.path(), &[]);
    let status = service.stop().expect("the service exits on SIGTERM");
    assert!(status.success(), "exit status {status}");
    assert!(service.log().contains("stopped"), "the stop is logged: {}", service.log());
}

#[test]
fn insecure_remote_url_is_a_usage_error() {
    let output = run(chittyid().args(["health", "--service-url", "http://example.com"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
