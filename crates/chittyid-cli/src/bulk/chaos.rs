//! `--chaos`: outages of the embedded service during a bulk job, to show the job riding them out.
//!
//! After 30 % and after 70 % of the records this run mints, the embedded service is killed like a crashed process
//! and started again 3 s later on the same port and data folder. The job should pause, report the outage, and go on
//! by itself with no record failed and none minted twice.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::job::Tally;
use crate::embedded::Embedded;

/// The shares of the pending records after which an outage starts, in percent.
const OUTAGES_AT_PERCENT: [usize; 2] = [30, 70];

/// How long each outage lasts.
const OUTAGE: Duration = Duration::from_secs(3);

/// How often the schedule looks at the job's progress.
const POLL: Duration = Duration::from_millis(20);

/// Runs the schedule against `embedded` while `tally` counts the job's finished records, then waits forever,
/// so that the caller can race it against the job.
///
/// # Cancel safety
///
/// Dropping the future during an outage leaves the service stopped; [`Embedded::shutdown`] then has nothing to
/// stop.
pub(crate) async fn run(embedded: &Embedded, tally: &Tally) {
    for percent in OUTAGES_AT_PERCENT {
        let threshold = loop {
            let pending = tally.pending.load(Ordering::Relaxed);
            if pending != usize::MAX {
                break (pending * percent).div_ceil(100).max(1);
            }
            tokio::time::sleep(POLL).await;
        };
        while tally.done.load(Ordering::Relaxed) < threshold {
            tokio::time::sleep(POLL).await;
        }
        tracing::info!(after_records = threshold, outage_s = OUTAGE.as_secs(), "chaos: killing the embedded service");
        let _ = std::io::Write::write_all(
            &mut std::io::stderr().lock(),
            format!("chittyid: chaos: killing the embedded service for {} s\n", OUTAGE.as_secs()).as_bytes(),
        );
        embedded.kill().await;
        tokio::time::sleep(OUTAGE).await;
        if let Err(error) = embedded.restart().await {
            tracing::error!(error = %format!("{error:#}"), "chaos: the embedded service did not restart");
        }
    }
    std::future::pending::<()>().await;
}
