//! Bulk minting: one ID per record of a JSON Lines or CSV file, written beside the record in input order.
//!
//! - [`reader`] parses the input and keeps each record's line number, setting malformed lines aside.
//! - [`record`] reads the mint parameters of a record (`entityType`, `region`, `jurisdiction`, `trust`).
//! - [`key`] derives each record's idempotency key from the input's identity and the record's line.
//! - [`job`] mints with bounded concurrency and stops on a failure of the service as a whole.
//! - [`writer`] writes the output and the rejects file through temporary files renamed at the end.

pub(crate) mod job;
pub(crate) mod key;
pub(crate) mod reader;
pub(crate) mod record;
pub(crate) mod writer;

pub(crate) use job::{BulkJob, Summary};
pub(crate) use reader::Format;
