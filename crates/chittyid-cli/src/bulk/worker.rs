//! Minting one record through the resilient service until it is minted, rejected for good, or the job must stop.
//!
//! The service's connection gate makes a call wait while the connection manager is not `Connected`, so an outage
//! pauses every worker at the gate instead of failing records. A failure that another attempt may cure is retried
//! here, after a jittered backoff, with the record's idempotency key, so a lost reply never mints a second ID. Only
//! a failure that retrying cannot fix becomes a reject, and a rejected token stops the whole job.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chittyid::connection::{FailureReason, HealthCheckError};
use chittyid::format::ChittyId;
use chittyid::service::{CallError, CallOptions, ChittyIdService, ConnectionPolicy};
use chittyid::{Backoff, Mint};
use tokio::time::Instant;

use crate::exit::{Exit, classify_client, is_rejection};

/// The result of minting one record.
#[derive(Debug)]
pub(crate) enum MintResult {
    /// The service returned the record's ID (a new one, or the one stored under its key).
    Minted(ChittyId),
    /// The service rejected the record for a reason that retrying cannot fix.
    Rejected(String),
    /// The job cannot go on: the token was rejected, or the service failed for longer than allowed.
    Fatal {
        /// The failure, naming the record's line.
        error: anyhow::Error,
        /// The exit code it maps to.
        exit: Exit,
    },
}

/// The state every worker shares: the service, the call options and the retry counter.
#[derive(Debug)]
pub(crate) struct Minter {
    service: ChittyIdService,
    options: CallOptions,
    max_outage: Duration,
    retries: AtomicU64,
}

impl Minter {
    /// Mints through `service`, waiting up to `max_outage` for the connection and retrying one record for up to
    /// `max_outage` before the job stops.
    pub(crate) fn new(service: ChittyIdService, max_outage: Duration) -> Minter {
        let options = CallOptions::default().connection(ConnectionPolicy::Wait).deadline(max_outage);
        Minter { service, options, max_outage, retries: AtomicU64::new(0) }
    }

    /// Returns the service.
    pub(crate) fn service(&self) -> &ChittyIdService {
        &self.service
    }

    /// Returns the attempts made after a first failed attempt, over all records.
    pub(crate) fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Mints the record on `line`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the record safely: the next run sends the same idempotency key.
    pub(crate) async fn mint(&self, line: u64, mint: &Mint) -> MintResult {
        let mut delays = Backoff::new().base(Duration::from_millis(250)).cap(Duration::from_secs(5)).delays();
        let mut failing_since: Option<Instant> = None;
        loop {
            let error = match self.service.mint_with(mint, self.options).await {
                Ok(id) => return MintResult::Minted(id),
                Err(error) => error,
            };
            let wait = match self.decide(line, error) {
                Decision::Retry(wait) => wait,
                Decision::Done(result) => return result,
            };
            let since = *failing_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= self.max_outage {
                let error = anyhow::anyhow!(
                    "minting the record on line {line} kept failing for {}, so the job stopped",
                    humantime::format_duration(self.max_outage)
                );
                return MintResult::Fatal { error, exit: Exit::Fatal };
            }
            let delay = delays.next().unwrap_or(Duration::from_secs(5));
            tracing::debug!(line, delay_ms = delay.as_millis() as u64, "mint will be retried");
            tokio::time::sleep(wait.unwrap_or_default().max(delay)).await;
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Classifies a failed call: retry (after at least the given wait), reject the record, or stop the job.
    fn decide(&self, line: u64, error: CallError) -> Decision {
        let stopped = format!("minting the record on line {line} failed, so the job stopped");
        let exit = match &error {
            CallError::CircuitOpen(rejected) => return Decision::Retry(rejected.retry_after),
            CallError::NotConnected { failure, .. } => match failure {
                Some(FailureReason::Permanent { error: HealthCheckError::Unauthorized { .. } }) => Exit::Unauthorized,
                _ => Exit::Fatal,
            },
            CallError::ConnectionWaitTimedOut { .. } => {
                let outage = humantime::format_duration(self.max_outage);
                let error = anyhow::Error::new(error).context(format!(
                    "the service was unreachable for {outage} while minting the record on line {line}, so the job \
                     stopped"
                ));
                return Decision::Done(MintResult::Fatal { error, exit: Exit::Fatal });
            }
            CallError::Request { source, .. } if source.is_permanent() => classify_client(source),
            CallError::Request { source, .. } if is_rejection(source) && !source.is_retryable() => {
                return Decision::Done(MintResult::Rejected(format!("{:#}", anyhow::Error::new(source.clone()))));
            }
            // Everything else (connection failures, timeouts, 5xx, 429, a garbled reply) may pass on another
            // attempt, and the idempotency key makes that attempt safe.
            CallError::Request { source, .. } => return Decision::Retry(source.retry_after()),
            _ => return Decision::Retry(None),
        };
        Decision::Done(MintResult::Fatal { error: anyhow::Error::new(error).context(stopped), exit })
    }
}

/// The next step after a failed call.
enum Decision {
    Retry(Option<Duration>),
    Done(MintResult),
}
