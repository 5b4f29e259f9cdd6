//! How a bulk job treats the service's failures: retryable ones are retried with the record's key and never
//! become rejects, rejections go to the rejects file, and a rejected token stops the job.

mod bulk_support;
mod common;

use bulk_support::{assert_distinct_valid_ids, inject_fault, mint_command, output_ids, service_minted};
use chittyid_test_support::ServiceProcess;
use common::{run, stderr, stdout};
use serde_json::Value;

/// Records in each job.
const RECORDS: usize = 60;

/// Runs a job over `RECORDS` generated records against `service`, one request at a time so that the first
/// requests meet the injected fault, and returns the process output and the output file.
fn mint_all(service: &ServiceProcess, folder: &std::path::Path) -> (std::process::Output, std::path::PathBuf) {
    let input = folder.join("records.jsonl");
    bulk_support::write_jsonl_records(&input, RECORDS);
    let output = folder.join("minted.jsonl");
    let url = service.url().to_string();
    let result = run(mint_command(&url, &input, &output).args(["--concurrency", "1"]));
    (result, output)
}

fn summary(result: &std::process::Output) -> Value {
    serde_json::from_str(stdout(result).trim()).expect("--json prints the summary")
}

#[test]
fn unavailable_replies_are_retried() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &["--enable-admin"]);
    inject_fault(service.addr(), r#"{"mode":"status","status":503,"count":5}"#);
    let folder = tempfile::tempdir().unwrap();

    let (result, output) = mint_all(&service, folder.path());
    assert!(result.status.success(), "exit {:?}: {}", result.status.code(), stderr(&result));
    assert_distinct_valid_ids(&output_ids(&output), RECORDS);
    assert_eq!(service_minted(service.addr()), RECORDS as u64);
    let summary = summary(&result);
    assert_eq!(summary["rejected"], 0, "a 503 never rejects a record");
    assert!(summary["retries"].as_u64().unwrap() >= 5, "each 503 was retried: {summary}");
}

#[test]
fn lost_replies_do_not_mint_twice() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &["--enable-admin"]);
    inject_fault(service.addr(), r#"{"mode":"dropAfterCommit","count":5}"#);
    let folder = tempfile::tempdir().unwrap();

    let (result, output) = mint_all(&service, folder.path());
    assert!(result.status.success(), "exit {:?}: {}", result.status.code(), stderr(&result));
    assert_distinct_valid_ids(&output_ids(&output), RECORDS);
    assert_eq!(service_minted(service.addr()), RECORDS as u64, "a retried mint returned the committed ID");
}

#[test]
fn service_rejections_go_to_the_rejects_file() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &["--enable-admin"]);
    inject_fault(service.addr(), r#"{"mode":"rejected","count":3}"#);
    let folder = tempfile::tempdir().unwrap();

    let (result, output) = mint_all(&service, folder.path());
    assert_eq!(result.status.code(), Some(1), "some records rejected: {}", stderr(&result));
    assert_eq!(output_ids(&output).len(), RECORDS - 3);
    let rejects = std::fs::read_to_string(folder.path().join("minted.jsonl.rejects.jsonl")).unwrap();
    let lines: Vec<Value> = rejects.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    for entry in &lines {
        assert!(entry["error"].as_str().unwrap().contains("injected fault"), "the reason is kept: {entry}");
    }
    let summary = summary(&result);
    assert_eq!(summary["minted"], RECORDS - 3);
    assert_eq!(summary["rejected"], 3);
}

#[test]
fn rejected_token_stops_the_job() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &["--token", "s3cret"]);
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("records.jsonl");
    bulk_support::write_jsonl_records(&input, RECORDS);
    let output = folder.path().join("minted.jsonl");
    let url = service.url().to_string();

    let result = run(mint_command(&url, &input, &output).args(["--token", "wrong-token"]));
    let errors = stderr(&result);
    assert_eq!(result.status.code(), Some(4), "a rejected token has its own exit code: {errors}");
    assert!(!errors.contains("wrong-token"), "the token is never printed: {errors}");
    assert!(errors.contains("needs a valid token"), "the message asks for a valid token: {errors}");
    assert!(!errors.contains("to resume"), "nothing was minted, so there is nothing to resume: {errors}");
    assert!(!bulk_support::journal_of(&output).exists(), "nothing was minted, so no journal is kept");
    assert!(!output.exists(), "a stopped job writes no output");
    assert_eq!(service_minted(service.addr()), 0);
}

#[test]
fn unreachable_stop_offers_no_resume() {
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("records.jsonl");
    bulk_support::write_jsonl_records(&input, RECORDS);
    let output = folder.path().join("minted.jsonl");
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");

    let result = run(mint_command(&url, &input, &output).args(["--max-outage", "3s"]));
    let errors = stderr(&result);
    assert_eq!(result.status.code(), Some(3), "a long outage stops the job: {errors}");
    assert!(!errors.contains("to resume"), "nothing was minted, so there is nothing to resume: {errors}");
    assert!(!bulk_support::journal_of(&output).exists(), "nothing was minted, so no journal is kept");
    assert_eq!(summary(&result)["resumeCommand"], Value::Null);
}
