//! A bulk job whose own process is killed with SIGKILL at random points, or stopped with Ctrl-C, and then resumed
//! with the same command: every record gets exactly one ID, and the service minted exactly one ID per record.

mod bulk_support;
mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use bulk_support::{assert_distinct_valid_ids, count_lines, journal_of, mint_command, output_ids, service_minted};
use chittyid_test_support::ServiceProcess;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

/// Records in each job.
const RECORDS: usize = 2_000;

/// Runs killed before the run that is left to finish.
const KILLED_RUNS: usize = 5;

/// Seed of the kill delays, so a failure can be replayed.
const SEED: u64 = 0x5eed_0005;

/// Bound on one run, so a job that hangs fails the test instead of blocking it.
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < RUN_LIMIT, "the job did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn resumed_job_mints_each_record_once() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &[]);
    let url = service.url().to_string();
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("records.jsonl");
    bulk_support::write_jsonl_records(&input, RECORDS);
    let output = folder.path().join("minted.jsonl");
    let journal = journal_of(&output);
    let mut rng = fastrand::Rng::with_seed(SEED);

    let mut killed_mid_run = 0;
    for run in 0..KILLED_RUNS {
        let mut job = mint_command(&url, &input, &output).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let delay = Duration::from_millis(rng.u64(100..500));
        std::thread::sleep(delay);
        if job.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        // Child::kill sends SIGKILL.
        job.kill().unwrap();
        job.wait().unwrap();
        assert!(!output.exists(), "run {run}: no output is written before every record is done");
    }
    assert_eq!(killed_mid_run, KILLED_RUNS, "every kill landed while the job ran");
    assert!(count_lines(&journal) > 1, "the killed runs left journal entries");

    let mut job = mint_command(&url, &input, &output).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let status = wait_for_exit(&mut job);
    let finished = job.wait_with_output().unwrap();
    assert!(status.success(), "exit {:?}: {}", status.code(), String::from_utf8_lossy(&finished.stderr));

    assert_distinct_valid_ids(&output_ids(&output), RECORDS);
    assert_eq!(service_minted(service.addr()), RECORDS as u64, "the service minted one ID per record");
    let summary: Value = serde_json::from_slice(&finished.stdout).expect("--json prints the summary");
    let already = summary["alreadyPresent"].as_u64().unwrap();
    assert!(already > 0, "the last run skipped the records of the killed runs: {summary}");
    assert_eq!(already + summary["minted"].as_u64().unwrap(), RECORDS as u64, "{summary}");
}

#[test]
fn ctrl_c_prints_resume_command() {
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &[]);
    let url = service.url().to_string();
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("records.jsonl");
    bulk_support::write_jsonl_records(&input, RECORDS);
    let output = folder.path().join("minted.jsonl");
    let journal = journal_of(&output);

    let mut job = mint_command(&url, &input, &output).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while count_lines(&journal) < 100 {
        assert!(job.try_wait().unwrap().is_none(), "the job ended before it was interrupted");
        assert!(started.elapsed() < RUN_LIMIT, "the journal did not grow");
        std::thread::sleep(Duration::from_millis(5));
    }
    kill(Pid::from_raw(i32::try_from(job.id()).unwrap()), Signal::SIGINT).unwrap();
    let status = wait_for_exit(&mut job);
    let interrupted = job.wait_with_output().unwrap();
    let errors = String::from_utf8_lossy(&interrupted.stderr);
    assert_eq!(status.code(), Some(130), "Ctrl-C has its own exit code: {errors}");
    assert!(errors.contains("to resume, run:"), "the resume command is printed: {errors}");
    assert!(errors.contains("--service-url"), "the command is the one that ran: {errors}");
    assert!(!output.exists(), "an interrupted job writes no output");

    let mut job = mint_command(&url, &input, &output).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let status = wait_for_exit(&mut job);
    let resumed = job.wait_with_output().unwrap();
    assert!(status.success(), "exit {:?}: {}", status.code(), String::from_utf8_lossy(&resumed.stderr));
    assert_distinct_valid_ids(&output_ids(&output), RECORDS);
    assert_eq!(service_minted(service.addr()), RECORDS as u64, "the service minted one ID per record");
    let summary: Value = serde_json::from_slice(&resumed.stdout).expect("--json prints the summary");
    assert!(summary["alreadyPresent"].as_u64().unwrap() >= 99, "the resumed run skipped finished records");
}
