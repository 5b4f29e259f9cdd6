//! Scenario 9, bulk job: `chittyid mint --input --output` over 10,000 JSON Lines records against a `chittyid serve`
//! child, once undisturbed and once with three 3 s outages (SIGKILL, then a restart on the same port and data).
//!
//! The outages start 0.2 s into the job and 0.2 s after each restart, so all three fall inside any job that needs
//! more than 0.6 s of work. The row reports how many did.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, ensure};
use tokio::time::Instant;

use crate::report::{Table, Verdict};
use crate::service::{ServiceChild, binary};
use crate::stats::secs;

const RECORDS: usize = 10_000;
const OUTAGES: usize = 3;
const OUTAGE: Duration = Duration::from_secs(3);
const BETWEEN: Duration = Duration::from_millis(200);

pub(crate) async fn run(name: &str, table: &mut Table) -> anyhow::Result<()> {
    let folder = tempfile::tempdir()?;
    let input = folder.path().join("records.jsonl");
    let lines: Vec<String> = (0..RECORDS)
        .map(|line| format!(r#"{{"entityType":"person","jurisdiction":"BA{}"}}"#, letter(line / 5000)))
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n")?;

    let mut child = ServiceChild::start(&[])?;
    let (calm, _) = run_job(&mut child, &input, &folder.path().join("calm.jsonl"), false).await?;
    table.info(name, &format!("{RECORDS} records, no outage: wall time"), secs(calm));

    let mut child = ServiceChild::start(&[])?;
    let (stormy, hit) = run_job(&mut child, &input, &folder.path().join("stormy.jsonl"), true).await?;
    let allowed = calm + OUTAGE * OUTAGES as u32 + Duration::from_secs(2) * OUTAGES as u32;
    let metric = format!("{RECORDS} records, {hit} of {OUTAGES} 3-s outages during the job: wall time");
    table.row(name, &metric, secs(stormy), &format!("≤ {} (calm + 9 s + 2 s each)", secs(allowed)), {
        Verdict::from(hit == OUTAGES && stormy <= allowed)
    });
    Ok(())
}

fn letter(index: usize) -> char {
    char::from(b'A' + (index % 26) as u8)
}

/// Runs the bulk job to its end, with outages when `stormy`; returns its wall time and the outages that began
/// while it ran.
async fn run_job(
    child: &mut ServiceChild,
    input: &Path,
    output: &Path,
    stormy: bool,
) -> anyhow::Result<(Duration, usize)> {
    let started = Instant::now();
    let mut job = tokio::process::Command::new(binary()?)
        .arg("--service-url")
        .arg(child.url().to_string())
        .args(["mint", "--input"])
        .arg(input)
        .arg("--output")
        .arg(output)
        .env_remove("CHITTY_ID_TOKEN")
        .env_remove("CHITTYID_EMBEDDED")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run chittyid mint")?;
    let mut hit = 0;
    if stormy {
        for _ in 0..OUTAGES {
            tokio::time::sleep(BETWEEN).await;
            if job.try_wait()?.is_some() {
                break;
            }
            hit += 1;
            child.kill();
            tokio::time::sleep(OUTAGE).await;
            child.restart()?;
        }
    }
    let finished = job.wait_with_output().await?;
    let wall = started.elapsed();
    ensure!(finished.status.success(), "the bulk job failed: {}", String::from_utf8_lossy(&finished.stderr).trim());
    let written = std::fs::read_to_string(output)?.lines().count();
    ensure!(written == RECORDS, "the bulk job wrote {written} of {RECORDS} records");
    Ok((wall, hit))
}
