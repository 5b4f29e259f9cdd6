//! `chittyid mint`: one ID to stdout, or one ID per record of an input file.

use std::io::Write;

use chittyid::{Client, Mint};
use serde_json::json;

use crate::bulk::{BulkJob, Summary};
use crate::config::MintOne;
use crate::exit::Exit;
use crate::output::print_line;

/// The most rejected lines listed on stderr; the rejects file has them all.
const MAX_LISTED_REJECTS: usize = 20;

/// Mints one ID and prints it, or with `json` its fields as a JSON object.
///
/// # Errors
///
/// Returns the client's error; a request the service rejects maps to exit code 1.
pub(crate) async fn run_one(client: &Client, request: &MintOne, json: bool) -> anyhow::Result<Exit> {
    let mut mint = Mint::new(request.entity);
    if let Some(region) = request.region {
        mint = mint.region(region);
    }
    if let Some(jurisdiction) = &request.jurisdiction {
        mint = mint.jurisdiction(jurisdiction.clone());
    }
    if let Some(trust) = request.trust {
        mint = mint.trust(trust);
    }
    let id = client.mint(&mint).await?;
    if json {
        let reply = json!({
            "chittyId": id.to_string(),
            "entityType": id.entity_type().word(),
            "region": id.region(),
            "jurisdiction": id.jurisdiction(),
            "sequence": id.sequence(),
            "trust": id.trust(),
        });
        print_line(&reply.to_string())?;
    } else {
        print_line(&id.to_string())?;
    }
    Ok(Exit::Success)
}

/// Runs a bulk job and prints its summary: on stderr, or with `json` as a JSON object on stdout.
///
/// # Errors
///
/// Returns the job's error when it stopped; see [`BulkJob::run`].
pub(crate) async fn run_bulk(client: &Client, job: &BulkJob, json: bool) -> anyhow::Result<Exit> {
    tracing::info!(input = %job.input.display(), output = %job.output.display(), "bulk mint started");
    let summary = job.run(client).await?;
    tracing::info!(minted = summary.minted, rejected = summary.rejected.len(), "bulk mint finished");
    report_rejects(&summary);
    if json {
        print_line(&summary_json(&summary).to_string())?;
    } else {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(
            stderr,
            "minted {} of {} records, rejected {}, in {:.2} s; output: {}",
            summary.minted,
            summary.total,
            summary.rejected.len(),
            summary.elapsed.as_secs_f64(),
            summary.output.display()
        );
    }
    Ok(if summary.rejected.is_empty() { Exit::Success } else { Exit::Rejected })
}

fn report_rejects(summary: &Summary) {
    let mut stderr = std::io::stderr().lock();
    for entry in summary.rejected.iter().take(MAX_LISTED_REJECTS) {
        let _ = writeln!(stderr, "line {}: {}", entry.line, entry.error);
    }
    if summary.rejected.len() > MAX_LISTED_REJECTS {
        let _ = writeln!(stderr, "… and {} more rejected lines", summary.rejected.len() - MAX_LISTED_REJECTS);
    }
    if let Some(path) = &summary.rejects {
        let _ = writeln!(stderr, "rejected records written to {}", path.display());
    }
}

fn summary_json(summary: &Summary) -> serde_json::Value {
    let rejected: Vec<_> =
        summary.rejected.iter().map(|entry| json!({ "line": entry.line, "error": entry.error })).collect();
    json!({
        "total": summary.total,
        "minted": summary.minted,
        "rejected": summary.rejected.len(),
        "elapsedSeconds": summary.elapsed.as_secs_f64(),
        "output": summary.output.display().to_string(),
        "rejectsFile": summary.rejects.as_ref().map(|path| path.display().to_string()),
        "rejectedLines": rejected,
    })
}
