//! The report of a bulk job: its ending, and the counts the summary prints.

use std::path::PathBuf;
use std::time::Duration;

use super::reader::Rejected;
use crate::exit::Exit;

/// The way a job ended.
#[derive(Debug)]
pub(crate) enum Ending {
    /// Every record was minted or rejected, and the output is written.
    Finished,
    /// Ctrl-C stopped the job; the journal is synced and the same command resumes it.
    Interrupted,
    /// The service failed in a way that stops the job; the journal is synced and the same command resumes it.
    Stopped {
        /// The failure, naming the record's line.
        error: anyhow::Error,
        /// The exit code it maps to.
        exit: Exit,
    },
}

/// A finished, interrupted or stopped job.
#[derive(Debug)]
pub(crate) struct Report {
    /// The counts.
    pub(crate) summary: Summary,
    /// The way the job ended.
    pub(crate) ending: Ending,
}

/// The counts and files of a job.
///
/// When the job finished, the output contains `minted + already_present` records and the rejects file
/// contains `rejected`, so `total` is the sum of the three.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    /// Records read, minted or not, malformed lines included.
    pub(crate) total: usize,
    /// Records minted by this run.
    pub(crate) minted: usize,
    /// Records the journal of an earlier run already had an ID for.
    pub(crate) already_present: usize,
    /// Records set aside, in line order.
    pub(crate) rejected: Vec<Rejected>,
    /// Mint attempts after a failed attempt, over all records.
    pub(crate) retries: u64,
    /// Times the connection was lost during the job.
    pub(crate) outages: u32,
    /// Time the connection was not `Connected` during the job, the first connection included.
    pub(crate) waiting: Duration,
    /// Wall-clock time of the whole job.
    pub(crate) elapsed: Duration,
    /// The output file.
    pub(crate) output: PathBuf,
    /// The rejects file, when the job finished with rejects.
    pub(crate) rejects: Option<PathBuf>,
}
