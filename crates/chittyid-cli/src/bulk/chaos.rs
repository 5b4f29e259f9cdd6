//! `--chaos`: outages of the embedded service during a bulk job, to show the job riding them out.
//!
//! After 30 % and after 70 % of the records this run mints, the embedded service is killed like a crashed process
//! and started again 3 s later on the same port and data folder. The job should pause, report the outage, and go on
//! by itself with no record failed and none minted twice.
//!
//! The job triggers each outage itself (see [`Tally`]): the record that crosses a threshold puts a hold on the
//! workers, and this schedule kills the service before it lifts the hold. The next threshold is armed only once
//! the connection is back, so the two outages never merge into one.

use std::time::Duration;

use chittyid::connection::ConnectionState;
use tokio::sync::watch;

use super::tally::Tally;
use crate::embedded::Embedded;

/// The shares of the pending records after which an outage starts, in percent.
pub(crate) const OUTAGES_AT_PERCENT: [usize; 2] = [30, 70];

/// How long each outage lasts.
const OUTAGE: Duration = Duration::from_secs(3);

/// Runs the schedule against `embedded` while the job counts its records in `tally` (created with
/// [`OUTAGES_AT_PERCENT`]) and `states` follows the job's connection, then waits forever, so that the caller can
/// race it against the job.
///
/// # Cancel safety
///
/// Dropping the future during an outage leaves the service stopped; [`Embedded::shutdown`] then has nothing to
/// stop.
pub(crate) async fn run(embedded: &Embedded, tally: &Tally, mut states: watch::Receiver<ConnectionState>) {
    loop {
        tally.wait_held().await;
        // An error means the connection manager is gone, because the job is ending.
        let _ = states.wait_for(|state| *state == ConnectionState::Connected).await;
        tracing::info!(
            after_records = tally.done(),
            outage_s = OUTAGE.as_secs(),
            "chaos: killing the embedded service"
        );
        let _ = std::io::Write::write_all(
            &mut std::io::stderr().lock(),
            format!("chittyid: chaos: killing the embedded service for {} s\n", OUTAGE.as_secs()).as_bytes(),
        );
        let killed_at = tokio::time::Instant::now();
        embedded.kill().await;
        tally.release();
        // The workers' failed requests show the outage to the connection manager.
        let seen = tokio::time::timeout(OUTAGE, states.wait_for(|state| *state != ConnectionState::Connected))
            .await
            .is_ok_and(|changed| changed.is_ok());
        tokio::time::sleep_until(killed_at + OUTAGE).await;
        if let Err(error) = embedded.restart().await {
            tracing::error!(error = %format!("{error:#}"), "chaos: the embedded service did not restart");
        }
        if seen {
            let _ = states.wait_for(|state| *state == ConnectionState::Connected).await;
        }
        if !tally.arm_next() {
            break;
        }
    }
    std::future::pending::<()>().await;
}
