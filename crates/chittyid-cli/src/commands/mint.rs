//! `chittyid mint --input FILE --output FILE`: one ID per record of an input file, with a summary of the bulk job.
//! Minting one ID is in `mint_one`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chittyid::resilience::{BreakerConfig, RetryPolicy};
use chittyid::service::ServiceBuilder;
use serde_json::json;

use crate::bulk::{BulkJob, Ending, Minter, Report, Summary, Tally, chaos, reader};
use crate::config::{ServiceConfig, Target};
use crate::dashboard;
use crate::embedded::Embedded;
use crate::exit::Exit;
use crate::output::{self, print_line};

/// The most rejected lines listed on stderr; the rejects file has them all.
const MAX_LISTED_REJECTS: usize = 20;

/// Runs a bulk job against the configured service (starting the embedded one, and its `--chaos` outages, when
/// asked) and prints its summary: on stderr, or with `json` as a JSON object on stdout. With `listen`, it serves
/// the dashboard and metrics of the job's service meanwhile.
///
/// # Errors
///
/// Returns an error when the input cannot be read, the output cannot be written, or the service cannot be set
/// up. A job stopped by the service or by Ctrl-C is reported here and returns its exit code.
pub(crate) async fn run_bulk(
    service: &ServiceConfig,
    job: &BulkJob,
    json: bool,
    listen: Option<SocketAddr>,
) -> anyhow::Result<Exit> {
    // Checked before the embedded service creates its data folder, so an unusable input leaves nothing behind.
    reader::check_input(&job.input)?;
    let listener = match listen {
        Some(addr) => Some(dashboard::bind(addr).await?),
        None => None,
    };
    let embedded = match &service.target {
        Target::Embedded => Some(Embedded::start_in(&embedded_data_path(&job.output)).await?),
        Target::Url(_) => None,
    };
    let (url, service_name) = match (&service.target, &embedded) {
        (Target::Url(url), _) => (url.clone(), url.to_string()),
        (Target::Embedded, Some(embedded)) => (embedded.url().clone(), "embedded".to_owned()),
        (Target::Embedded, None) => unreachable!("the embedded service was started above"),
    };

    // The job retries each record itself, so the service makes one attempt per call and the job counts them all.
    // The breaker reopens for trials after 1 s instead of 5 s, because the connection gate already keeps the
    // workers back during an outage.
    let mut builder = ServiceBuilder::new(url)
        .retry(RetryPolicy::default().max_attempts(1))
        .breaker(BreakerConfig::default().open_duration(Duration::from_secs(1)));
    if let Some(token) = &service.token {
        builder = builder.token(token.clone());
    }
    let resilient = builder.build()?;
    let monitor = listener.map(|listener| dashboard::start(&resilient, listener)).transpose()?;
    if let (Some(embedded), Some(_)) = (&embedded, listen) {
        // The embedded service's port is ephemeral, so its own metrics can be scraped only if the port is shown.
        let url = embedded.url().join("/metrics");
        eprintln!("chittyid: embedded service metrics at {url} (reset when --chaos restarts it)");
    }
    if let Err(error) = resilient.connect().await {
        // The manager keeps retrying in the background; the workers wait for it at the connection gate.
        tracing::info!(error = %format!("{error:#}"), "first connection attempt failed");
    }

    tracing::info!(input = %job.input.display(), output = %job.output.display(), "bulk mint started");
    let minter = Minter::new(resilient.clone(), job.max_outage);
    let chaos_embedded = embedded.as_ref().filter(|_| job.chaos);
    let tally = match chaos_embedded {
        Some(_) => Tally::with_pauses(&chaos::OUTAGES_AT_PERCENT),
        None => Tally::new(),
    };
    let states = resilient.connection().watch_state();
    let chaos = async {
        if let Some(embedded) = chaos_embedded {
            chaos::run(embedded, &tally, states).await;
        }
        std::future::pending::<()>().await;
    };
    let result = tokio::select! {
        result = job.run(&minter, service_name, &tally) => result,
        () = chaos => unreachable!("the chaos schedule never ends"),
    };
    resilient.disconnect().await;
    dashboard::stop(monitor).await;

    let finished = matches!(&result, Ok(Report { ending: Ending::Finished, .. }));
    if let Some(embedded) = embedded {
        if finished {
            embedded.shutdown_and_remove_data().await?;
        } else {
            embedded.shutdown().await;
        }
    }
    let Report { summary, ending } = result?;
    tracing::info!(minted = summary.minted, rejected = summary.rejected.len(), "bulk mint ended");

    report_rejects(&summary);
    let exit = match &ending {
        Ending::Finished if summary.rejected.is_empty() => Exit::Success,
        Ending::Finished => Exit::Rejected,
        Ending::Interrupted => Exit::Interrupted,
        Ending::Stopped { error, exit } => {
            output::report_error(error);
            *exit
        }
    };
    if matches!(ending, Ending::Stopped { exit: Exit::Unauthorized, .. }) {
        let mut stderr = std::io::stderr().lock();
        let _ =
            writeln!(stderr, "chittyid: the service needs a valid token: pass --token TOKEN or set CHITTY_ID_TOKEN");
    }
    // A job that stopped before minting anything has no journal, so there is nothing to resume.
    let resume = (!finished && job.journal_path().exists()).then(resume_command);
    if json {
        print_line(&summary_json(&summary, &ending, resume.as_deref()).to_string())?;
    } else {
        print_summary(&summary, &ending);
    }
    if let Some(resume) = resume {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "chittyid: progress is saved in {}; to resume, run:", job.journal_path().display());
        let _ = writeln!(stderr, "  {resume}");
    }
    Ok(exit)
}

/// Returns the embedded service's data folder of a bulk job: `<output>.embedded`.
fn embedded_data_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".embedded");
    output.with_file_name(name)
}

/// Rebuilds this process's command line, quoted for a POSIX shell, with any `--token` value replaced by a
/// placeholder so the token is never printed.
fn resume_command() -> String {
    let mut words = Vec::new();
    let mut hide_next = false;
    for argument in std::env::args_os() {
        let text = argument.to_string_lossy().into_owned();
        if hide_next {
            words.push("<TOKEN>".to_owned());
            hide_next = false;
        } else if text == "--token" {
            hide_next = true;
            words.push(text);
        } else if text.starts_with("--token=") {
            words.push("--token=<TOKEN>".to_owned());
        } else {
            words.push(shell_quote(&text));
        }
    }
    words.join(" ")
}

fn shell_quote(word: &str) -> String {
    let plain =
        !word.is_empty() && word.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&byte));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', "'\\''")) }
}

fn print_summary(summary: &Summary, ending: &Ending) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", summary_line(summary, ending));
    if matches!(ending, Ending::Finished) {
        let _ = writeln!(stderr, "output: {}", summary.output.display());
    }
}

/// Returns the one-line summary of a job, such as `done: 249 records: minted 249, …; 1 retry, 2 outages (…)`.
fn summary_line(summary: &Summary, ending: &Ending) -> String {
    let status = match ending {
        Ending::Finished => "done",
        Ending::Interrupted => "interrupted",
        Ending::Stopped { .. } => "stopped",
    };
    format!(
        "{status}: {}: minted {}, already present {}, rejected {}; {}, {} ({:.1} s waiting for the service); {:.2} s \
         in all",
        count(summary.total as u64, "record", "records"),
        summary.minted,
        summary.already_present,
        summary.rejected.len(),
        count(summary.retries, "retry", "retries"),
        count(u64::from(summary.outages), "outage", "outages"),
        summary.waiting.as_secs_f64(),
        summary.elapsed.as_secs_f64(),
    )
}

/// Returns `number` followed by the singular noun when it is 1, else the plural.
fn count(number: u64, singular: &str, plural: &str) -> String {
    format!("{number} {}", if number == 1 { singular } else { plural })
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

fn summary_json(summary: &Summary, ending: &Ending, resume: Option<&str>) -> serde_json::Value {
    let rejected: Vec<_> =
        summary.rejected.iter().map(|entry| json!({ "line": entry.line, "error": entry.error })).collect();
    let status = match ending {
        Ending::Finished => "finished",
        Ending::Interrupted => "interrupted",
        Ending::Stopped { .. } => "stopped",
    };
    json!({
        "status": status,
        "total": summary.total,
        "minted": summary.minted,
        "alreadyPresent": summary.already_present,
        "rejected": summary.rejected.len(),
        "retries": summary.retries,
        "outages": summary.outages,
        "waitingSeconds": summary.waiting.as_secs_f64(),
        "elapsedSeconds": summary.elapsed.as_secs_f64(),
        "output": summary.output.display().to_string(),
        "rejectsFile": summary.rejects.as_ref().map(|path| path.display().to_string()),
        "rejectedLines": rejected,
        "resumeCommand": resume,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(total: usize, retries: u64, outages: u32) -> Summary {
        Summary {
            total,
            minted: total,
            already_present: 0,
            rejected: Vec::new(),
            retries,
            outages,
            waiting: Duration::ZERO,
            elapsed: Duration::ZERO,
            output: PathBuf::from("out.jsonl"),
            rejects: None,
        }
    }

    #[test]
    fn summary_uses_the_singular_for_one() {
        let line = summary_line(&summary(1, 1, 1), &Ending::Finished);
        assert!(line.contains("1 record:"), "{line}");
        assert!(line.contains("1 retry,"), "{line}");
        assert!(line.contains("1 outage ("), "{line}");
    }

    #[test]
    fn summary_uses_the_plural_for_other_counts() {
        let line = summary_line(&summary(2, 0, 2), &Ending::Finished);
        assert!(line.contains("2 records:"), "{line}");
        assert!(line.contains("0 retries,"), "{line}");
        assert!(line.contains("2 outages ("), "{line}");
    }
}
