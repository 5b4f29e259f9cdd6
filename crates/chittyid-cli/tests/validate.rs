//! `chittyid validate`: offline checks with their exit codes, and `--remote` against a running service.

mod common;

use std::io::Read;
use std::process::Stdio;

use chittyid_test_support::ServiceProcess;
use common::{chittyid, run, stderr, stdout};

const VALID: &str = "03-1-USA-4448-P-2609-0-88";
const FALLBACK: &str = "03-0-ERR-0001-P-2609-0-24";
const BAD_CHECK: &str = "03-1-USA-1234-P-2601-3-42";

#[test]
fn valid_ids_exit_zero() {
    let output = run(chittyid().args(["validate", VALID, FALLBACK]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains(&format!("{VALID}: valid")), "{}", stdout(&output));
    assert!(stdout(&output).contains("provisional"), "a fallback ID is flagged: {}", stdout(&output));
}

#[test]
fn invalid_id_exits_one_and_names_the_field() {
    let output = run(chittyid().args(["validate", VALID, BAD_CHECK, "CP-A-001-1234-P-2509-I-82"]));
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains(&format!("{BAD_CHECK}: invalid: check value")), "{text}");
    assert!(text.contains("expected 86"), "{text}");
}

#[test]
fn json_output_has_one_object_per_id() {
    let output = run(chittyid().args(["validate", "--json", VALID, BAD_CHECK]));
    let verdicts: Vec<serde_json::Value> =
        stdout(&output).lines().map(|line| serde_json::from_str(line).expect("one JSON object per line")).collect();
    assert_eq!(verdicts.len(), 2);
    assert_eq!(verdicts[0]["valid"], true);
    assert_eq!(verdicts[1]["valid"], false);
}

#[test]
fn missing_ids_is_a_usage_error() {
    assert_eq!(run(chittyid().arg("validate")).status.code(), Some(2));
}

#[test]
fn closed_stdout_is_not_an_error() {
    let ids = vec![VALID; 20_000];
    let mut child = chittyid()
        .arg("validate")
        .args(&ids)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut first = [0_u8; 16];
    child.stdout.take().expect("piped").read_exact(&mut first).expect("some output");
    // The read end is dropped here, like `| head -c 16`; the next write fails with a broken pipe.
    let output = child.wait_with_output().expect("the binary exits");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "", "a broken pipe prints nothing");
}

#[test]
fn remote_validation_asks_the_service() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &[]);
    let url = service.url().to_string();

    let minted = run(chittyid().args(["--service-url", &url, "mint", "person"]));
    assert!(minted.status.success(), "{}", stderr(&minted));
    let id = stdout(&minted).trim().to_owned();

    let good = run(chittyid().args(["validate", "--remote", &id, "--service-url", &url]));
    assert_eq!(good.status.code(), Some(0), "{}", stderr(&good));
    assert!(stdout(&good).contains(&format!("{id}: valid")), "{}", stdout(&good));

    let bad = run(chittyid().args(["validate", "--remote", BAD_CHECK, "--service-url", &url]));
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    assert!(stdout(&bad).contains("invalid"), "{}", stdout(&bad));
}
