//! The bulk mint job: read every record, mint with bounded concurrency, write the output in input order.
//!
//! Records that cannot be minted (malformed, an unknown entity type, a field out of range, or rejected by the
//! service) are set aside with their line number and do not stop the job. A failure of the service as a whole
//! (unreachable, overloaded past the client's retries, or a rejected token) stops the job instead, because every
//! later record would fail the same way. The previous output, if any, is then left untouched.
//!
//! Before a failure counts, a mint is retried with backoff when the client says another attempt may succeed. Each
//! retry resends the record's idempotency key, so a mint whose reply was lost is not minted twice, and a shared
//! retry budget keeps a struggling service from receiving a retry storm from all the requests in flight.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use chittyid::client::Error as ClientError;
use chittyid::format::{ChittyId, EntityType};
use chittyid::resilience::{BudgetConfig, RetryBudget, RetryPolicy, Retryable, retry};
use chittyid::{Client, Mint};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use super::key::InputIdentity;
use super::reader::{self, Format, Rejected};
use super::record::Record;
use super::writer::{self, OutputWriter};
use crate::exit::is_rejection;

/// A validated bulk mint job.
#[derive(Debug, Clone)]
pub(crate) struct BulkJob {
    /// The input file.
    pub(crate) input: PathBuf,
    /// The input's format.
    pub(crate) input_format: Format,
    /// The output file.
    pub(crate) output: PathBuf,
    /// The output's format.
    pub(crate) output_format: Format,
    /// The entity type of records that name none.
    pub(crate) default_entity: Option<EntityType>,
    /// Maximum number of mint requests in flight, at least 1.
    pub(crate) concurrency: usize,
}

/// The counts and files of a finished job.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    /// Records read, minted or not.
    pub(crate) total: usize,
    /// Records written to the output with an ID.
    pub(crate) minted: usize,
    /// Records set aside, in line order.
    pub(crate) rejected: Vec<Rejected>,
    /// Wall-clock time of the whole job.
    pub(crate) elapsed: Duration,
    /// The output file.
    pub(crate) output: PathBuf,
    /// The rejects file, when there were rejects.
    pub(crate) rejects: Option<PathBuf>,
}

impl BulkJob {
    /// Runs the job against `client`.
    ///
    /// # Errors
    ///
    /// Fails when the input cannot be read, the output cannot be written, or the service fails as a whole. The
    /// error then names the line being minted.
    pub(crate) async fn run(&self, client: &Client) -> anyhow::Result<Summary> {
        let started = Instant::now();
        let bytes = reader::read_bytes(&self.input)?;
        let identity = InputIdentity::new(&self.input, &bytes);
        let input = reader::parse(&bytes, self.input_format)
            .with_context(|| format!("cannot read input file {}", self.input.display()))?;
        drop(bytes);

        let mut rejected = input.rejected;
        let total = input.records.len() + rejected.len();
        let mut mints: Vec<(&Record, Mint)> = Vec::with_capacity(input.records.len());
        for record in &input.records {
            match record.mint_fields(self.default_entity) {
                Ok(fields) => {
                    let mut mint = Mint::new(fields.entity).idempotency_key(identity.key_for_line(record.line));
                    if let Some(region) = fields.region {
                        mint = mint.region(region);
                    }
                    if let Some(jurisdiction) = fields.jurisdiction {
                        mint = mint.jurisdiction(jurisdiction);
                    }
                    if let Some(trust) = fields.trust {
                        mint = mint.trust(trust);
                    }
                    mints.push((record, mint));
                }
                Err(error) => rejected.push(Rejected::of_record(record, error.to_string())),
            }
        }

        let mut output = OutputWriter::create(&self.output, self.output_format, &input.header, &input.records)?;
        let progress = progress_bar(mints.len());
        let mut minted = 0;
        let policy = RetryPolicy::default().max_attempts(MAX_ATTEMPTS);
        let budget = RetryBudget::new(BudgetConfig::default());
        let (policy, budget) = (&policy, &budget);
        let mut results = futures_util::stream::iter(mints)
            .map(|(record, mint)| async move { (record, mint_with_retries(client, &mint, policy, budget).await) })
            .buffered(self.concurrency.max(1));
        while let Some((record, result)) = results.next().await {
            progress.inc(1);
            match result {
                Ok(id) => {
                    output.write(record, &id.to_string())?;
                    minted += 1;
                }
                Err(error) if is_rejection(&error) => {
                    tracing::warn!(line = record.line, %error, "service rejected a record");
                    rejected.push(Rejected::of_record(record, format!("{:#}", anyhow::Error::new(error))));
                }
                Err(error) => {
                    progress.finish_and_clear();
                    let message = format!("minting the record on line {} failed, so the job stopped", record.line);
                    return Err(anyhow::Error::new(error).context(message));
                }
            }
        }
        progress.finish_and_clear();
        output.finish()?;

        rejected.sort_by_key(|entry| entry.line);
        let rejects_path = writer::rejects_path(&self.output);
        writer::write_rejects(&rejects_path, &rejected)?;
        let rejects = (!rejected.is_empty()).then_some(rejects_path);
        Ok(Summary { total, minted, rejected, elapsed: started.elapsed(), output: self.output.clone(), rejects })
    }
}

/// Attempts per record, the first included.
const MAX_ATTEMPTS: u32 = 4;

/// A client error wrapped for the retry loop, which needs its own trait on the error type.
struct Attempt(ClientError);

impl Retryable for Attempt {
    fn is_retryable(&self) -> bool {
        self.0.is_retryable()
    }

    fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after()
    }
}

/// Mints one record, retrying failures that another attempt may cure, with the same idempotency key each time.
async fn mint_with_retries(
    client: &Client,
    mint: &Mint,
    policy: &RetryPolicy,
    budget: &RetryBudget,
) -> Result<ChittyId, ClientError> {
    let outcome = retry(policy, Some(budget), None, |_| async { client.mint(mint).await.map_err(Attempt) }).await;
    if outcome.attempts > 1 {
        tracing::info!(attempts = outcome.attempts, key = mint.key(), "mint retried");
    }
    outcome.result.map_err(|Attempt(error)| error)
}

/// Creates a progress bar on stderr, which indicatif hides when stderr is not a terminal.
fn progress_bar(length: usize) -> ProgressBar {
    let bar = ProgressBar::new(length as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} minted, {per_sec}, eta {eta}") {
        bar.set_style(style);
    }
    bar
}
