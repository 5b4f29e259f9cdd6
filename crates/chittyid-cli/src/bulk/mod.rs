//! Bulk minting: one ID per record of a JSON Lines or CSV file, written beside the record in input order, exactly
//! once however the service and the client fail on the way.
//!
//! - [`reader`] parses the input and keeps each record's line number, setting malformed lines aside.
//! - [`record`] reads the mint parameters of a record (`entityType`, `region`, `jurisdiction`, `trust`).
//! - [`key`] derives each record's idempotency key from the input's identity and the record's line.
//! - [`journal`] records minted records beside the output, so a rerun of the same command skips them.
//! - [`worker`] mints one record through the resilient service, waiting out outages and retrying with its key.
//! - [`job`] drives the workers with bounded concurrency and handles Ctrl-C and fatal failures.
//! - [`progress`] shows progress and connection changes on stderr and counts outages.
//! - [`summary`] holds what the job reports.
//! - [`tally`] counts finished records and holds the workers back while a `--chaos` outage starts.
//! - [`chaos`] kills and restarts the embedded service during a job, for `--chaos`.
//! - [`writer`] writes the output and the rejects file through temporary files renamed at the end.

pub(crate) mod chaos;
pub(crate) mod job;
pub(crate) mod journal;
pub(crate) mod key;
pub(crate) mod progress;
pub(crate) mod reader;
pub(crate) mod record;
pub(crate) mod summary;
pub(crate) mod tally;
pub(crate) mod worker;
pub(crate) mod writer;

pub(crate) use job::BulkJob;
pub(crate) use reader::Format;
pub(crate) use summary::{Ending, Report, Summary};
pub(crate) use tally::Tally;
pub(crate) use worker::Minter;
