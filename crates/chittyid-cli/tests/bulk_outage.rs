//! A bulk job rides out a `chittyid serve` killed with SIGKILL and restarted three times during the run: every
//! record gets exactly one ID, and the service minted exactly one ID per record.

mod bulk_support;
mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use bulk_support::{assert_distinct_valid_ids, count_lines, journal_of, mint_command, output_ids, service_minted};
use chittyid_test_support::ServiceProcess;
use serde_json::Value;

/// Records in the job.
const RECORDS: usize = 5_000;

/// Journal lengths (header included) at which the service is killed.
const KILL_AT: [usize; 3] = [800, 2_200, 3_600];

/// Bound on the whole job, so a job that hangs fails the test instead of blocking it.
const JOB_LIMIT: Duration = Duration::from_secs(120);

#[test]
fn job_survives_three_service_kills() {
    let data = tempfile::tempdir().unwrap();
    let mut service = ServiceProcess::start(data.path(), &[]);
    let url = service.url().to_string();
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("records.jsonl");
    bulk_support::write_jsonl_records(&input, RECORDS);
    let output = folder.path().join("minted.jsonl");
    let journal = journal_of(&output);

    let mut job = mint_command(&url, &input, &output).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    for threshold in KILL_AT {
        while count_lines(&journal) < threshold {
            assert!(job.try_wait().unwrap().is_none(), "the job ended before {threshold} journal lines");
            assert!(started.elapsed() < JOB_LIMIT, "the journal did not reach {threshold} lines");
            std::thread::sleep(Duration::from_millis(5));
        }
        let at_kill = count_lines(&journal);
        service.kill();
        assert!(at_kill <= RECORDS, "the kill at {at_kill} journal lines landed before the job's end");
        assert!(job.try_wait().unwrap().is_none(), "the job is still running when the service dies");
        std::thread::sleep(Duration::from_millis(300));
        service.restart();
    }

    let result = loop {
        if let Some(status) = job.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < JOB_LIMIT, "the job did not finish");
        std::thread::sleep(Duration::from_millis(20));
    };
    let finished = job.wait_with_output().unwrap();
    let errors = String::from_utf8_lossy(&finished.stderr);
    assert!(result.success(), "exit {:?}: {errors}", result.code());

    assert_distinct_valid_ids(&output_ids(&output), RECORDS);
    assert_eq!(service_minted(service.addr()), RECORDS as u64, "the service minted one ID per record");
    let summary: Value = serde_json::from_slice(&finished.stdout).expect("--json prints the summary");
    assert_eq!(summary["minted"], RECORDS);
    assert_eq!(summary["rejected"], 0);
    assert!(summary["outages"].as_u64().unwrap() >= 1, "the job saw the outages: {summary}");
    assert!(!journal.exists(), "the journal is removed once the output is written");
}
