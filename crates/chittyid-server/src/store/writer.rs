//! Group commit: one thread owns the store, takes every pending mint job and commits them in one transaction.
//!
//! # Why
//!
//! A durable commit waits for fsync. Committing each mint alone would bound the service by the disk's fsync rate,
//! one mint per fsync. Committing whatever queued up during the previous fsync costs one fsync per group instead. A job gets its reply only after its group's commit returned, so no reply ever carries a sequence
//! number that a crash could hand out again.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chittyid::format::{CURRENT_VERSION, ChittyId, IdParts};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot, watch};

use super::{IDEMPOTENCY_RETENTION_SECS, IdempotencyRecord, MintStore, MintTransaction, SequenceKey, StoreError};
use chittyid::error_chain;

pub(crate) use super::job::{
    IdempotencyClaim, MintJob, MintOutcome, MintRefusal, MintResult, MintSpec, Render, Rendered, WriteError,
};

/// The maximum number of jobs in one transaction, so that a flood of requests still gets replies in slices.
const MAX_GROUP_JOBS: usize = 512;
/// How many jobs may wait for the writer before senders wait too.
const QUEUE_CAPACITY: usize = 4096;

enum Command {
    Mint(MintJob, oneshot::Sender<Result<MintOutcome, WriteError>>),
    Purge(oneshot::Sender<Result<u64, WriteError>>),
    Close,
}

/// The async side of the writer thread. Clones share the thread.
#[derive(Debug, Clone)]
pub(crate) struct StoreHandle {
    commands: mpsc::Sender<Command>,
    minted: Arc<AtomicU64>,
    closed: watch::Receiver<bool>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Mint(..) => "Mint",
            Command::Purge(..) => "Purge",
            Command::Close => "Close",
        })
    }
}

impl StoreHandle {
    /// Purges expired idempotency records, then starts the writer thread that owns `store`.
    pub(crate) fn spawn(mut store: Box<dyn MintStore>) -> Result<StoreHandle, StoreError> {
        let minted = Arc::new(AtomicU64::new(store.minted()?));
        let purged = store.purge_idempotency(expiry_cutoff(OffsetDateTime::now_utc()))?;
        tracing::debug!(purged, "purged expired idempotency records");

        let (commands, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let (closed_sender, closed) = watch::channel(false);
        let thread_minted = Arc::clone(&minted);
        std::thread::Builder::new()
            .name("chittyid-store".into())
            .spawn(move || run(store, receiver, &thread_minted, closed_sender))
            .map_err(StoreError::Thread)?;
        Ok(StoreHandle { commands, minted, closed })
    }

    /// Runs a job and returns its outcome once its transaction is durable.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw a job already queued: it may still commit.
    pub(crate) async fn mint(&self, job: MintJob) -> Result<MintOutcome, WriteError> {
        let (reply, outcome) = oneshot::channel();
        self.commands.send(Command::Mint(job, reply)).await.map_err(|_| WriteError::Closed)?;
        outcome.await.map_err(|_| WriteError::Closed)?
    }

    /// Deletes expired idempotency records and returns how many were deleted.
    pub(crate) async fn purge(&self) -> Result<u64, WriteError> {
        let (reply, outcome) = oneshot::channel();
        self.commands.send(Command::Purge(reply)).await.map_err(|_| WriteError::Closed)?;
        outcome.await.map_err(|_| WriteError::Closed)?
    }

    /// Returns the durable total of IDs minted, as of the last commit.
    pub(crate) fn minted(&self) -> u64 {
        self.minted.load(Ordering::Relaxed)
    }

    /// Stops the writer after the jobs queued before this call and waits until the store is released.
    ///
    /// Jobs queued after this call fail with [`WriteError::Closed`]. Calling it again returns at once.
    pub(crate) async fn close(&self) {
        // A failed send means the thread already stopped; waiting below then returns at once.
        let _ = self.commands.send(Command::Close).await;
        let mut closed = self.closed.clone();
        // An error means the thread ended without a signal, which also means the store is released.
        let _ = closed.wait_for(|closed| *closed).await;
    }
}

/// Computes the creation time (Unix seconds) before which idempotency records are expired.
fn expiry_cutoff(now: OffsetDateTime) -> u64 {
    unix_seconds(now).saturating_sub(IDEMPOTENCY_RETENTION_SECS)
}

fn unix_seconds(now: OffsetDateTime) -> u64 {
    u64::try_from(now.unix_timestamp()).unwrap_or(0)
}

/// Runs the writer thread: takes a group of commands, commits its mints and replies to them. Stops on `Close` or
/// when every handle is gone.
fn run(
    mut store: Box<dyn MintStore>,
    mut commands: mpsc::Receiver<Command>,
    minted: &AtomicU64,
    closed: watch::Sender<bool>,
) {
    let mut closing = false;
    while !closing {
        let Some(first) = commands.blocking_recv() else { break };
        let mut group = Vec::new();
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Mint(job, reply) => group.push((job, reply)),
                Command::Purge(reply) => {
                    let _ = reply.send(purge(store.as_mut()));
                }
                Command::Close => {
                    closing = true;
                    break;
                }
            }
            if group.len() < MAX_GROUP_JOBS {
                next = commands.try_recv().ok();
            }
        }
        if !group.is_empty() {
            commit_group(store.as_mut(), group, minted);
        }
    }
    drop(store);
    closed.send_replace(true);
    tracing::debug!("store closed");
}

fn purge(store: &mut dyn MintStore) -> Result<u64, WriteError> {
    store.purge_idempotency(expiry_cutoff(OffsetDateTime::now_utc())).map_err(|error| {
        tracing::error!(error = %error_chain(&error), "failed to purge expired idempotency records");
        WriteError::Failed
    })
}

type Reply = oneshot::Sender<Result<MintOutcome, WriteError>>;

fn commit_group(store: &mut dyn MintStore, group: Vec<(MintJob, Reply)>, minted: &AtomicU64) {
    let (jobs, replies): (Vec<MintJob>, Vec<Reply>) = group.into_iter().unzip();
    let jobs_in_group = jobs.len();
    // A panicking render closure must not end the writer thread, because every later mint would then fail. The
    // transaction unwinds uncommitted, so nothing of the group is kept.
    let applied = std::panic::catch_unwind(AssertUnwindSafe(|| apply_group(store, jobs, OffsetDateTime::now_utc())))
        .unwrap_or_else(|_| Err(StoreError::Panicked));
    match applied {
        Ok((outcomes, count)) => {
            minted.fetch_add(count, Ordering::Relaxed);
            tracing::trace!(jobs = jobs_in_group, minted = count, "committed mint group");
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                // The requester may have gone away; its IDs are committed all the same.
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(error) => {
            tracing::error!(error = %error_chain(&error), jobs = jobs_in_group, "failed to commit mint group");
            for reply in replies {
                let _ = reply.send(Err(WriteError::Failed));
            }
        }
    }
}

/// Runs every job in one transaction and commits it; returns each job's outcome and the number of IDs minted.
fn apply_group(
    store: &mut dyn MintStore,
    jobs: Vec<MintJob>,
    now: OffsetDateTime,
) -> Result<(Vec<MintOutcome>, u64), StoreError> {
    let mut transaction = store.begin()?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut total = 0;
    for job in jobs {
        let (outcome, count) = apply_job(transaction.as_mut(), job, now)?;
        outcomes.push(outcome);
        total += count;
    }
    transaction.add_minted(total)?;
    transaction.commit()?;
    Ok((outcomes, total))
}

fn apply_job(
    transaction: &mut dyn MintTransaction,
    job: MintJob,
    now: OffsetDateTime,
) -> Result<(MintOutcome, u64), StoreError> {
    let now_unix = unix_seconds(now);
    if let Some(claim) = &job.idempotency {
        let stored = transaction.idempotency_record(&claim.key)?;
        match stored {
            Some(record) if record.is_expired(now_unix, IDEMPOTENCY_RETENTION_SECS) => {}
            Some(record) if record.fingerprint == claim.fingerprint => {
                let replay = Rendered { status: record.status, body: record.body };
                return Ok((MintOutcome::Replayed(replay), 0));
            }
            Some(_) => return Ok((MintOutcome::KeyReused, 0)),
            None => {}
        }
    }

    let year = u8::try_from(now.year().rem_euclid(100)).unwrap_or(0);
    let month = u8::from(now.month());
    let mut results = Vec::with_capacity(job.specs.len());
    for spec in &job.specs {
        results.push(mint_one(transaction, spec, year, month)?);
    }
    let count = results.iter().filter(|result| result.is_ok()).count() as u64;
    let rendered = (job.render)(&results, now);

    // A reply that minted nothing (every entry refused) is not stored: sending the request again may succeed.
    if let (Some(claim), true) = (&job.idempotency, count > 0) {
        let record = IdempotencyRecord {
            fingerprint: claim.fingerprint,
            created_unix: now_unix,
            status: rendered.status,
            body: rendered.body.clone(),
        };
        transaction.put_idempotency_record(&claim.key, &record)?;
    }
    Ok((MintOutcome::Minted(rendered), count))
}

fn mint_one(
    transaction: &mut dyn MintTransaction,
    spec: &MintSpec,
    year: u8,
    month: u8,
) -> Result<MintResult, StoreError> {
    let key = SequenceKey::new(spec.region, &spec.jurisdiction, spec.entity, year, month);
    let Some(sequence) = transaction.next_sequence(&key)? else {
        return Ok(Err(MintRefusal::SequenceExhausted { key }));
    };
    let parts = IdParts {
        version: CURRENT_VERSION,
        region: spec.region,
        jurisdiction: &spec.jurisdiction,
        sequence,
        entity: spec.entity,
        year,
        month,
        trust: spec.trust,
    };
    Ok(ChittyId::new(parts).map_err(|error| MintRefusal::Invalid(error.to_string())))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use chittyid::format::EntityType;

    use super::*;
    use crate::store::RedbStore;

    fn spec() -> MintSpec {
        MintSpec { region: 1, jurisdiction: "USA".to_owned(), entity: EntityType::Person, trust: 0 }
    }

    fn job(render: Render) -> MintJob {
        MintJob { specs: vec![spec()], idempotency: None, render }
    }

    fn plain_render() -> Render {
        Box::new(|results: &[MintResult], _| Rendered {
            status: 200,
            body: Bytes::from(results.iter().flatten().map(ToString::to_string).collect::<String>()),
        })
    }

    #[tokio::test]
    async fn panicking_job_leaves_writer_running() {
        let dir = tempfile::tempdir().unwrap();
        let handle = StoreHandle::spawn(Box::new(RedbStore::open(dir.path()).unwrap())).unwrap();

        let failed = handle.mint(job(Box::new(|_, _| panic!("render failed")))).await;
        assert_eq!(failed.unwrap_err(), WriteError::Failed);

        let outcome = handle.mint(job(plain_render())).await.unwrap();
        assert!(matches!(outcome, MintOutcome::Minted(_)), "{outcome:?}");
        assert_eq!(handle.minted(), 1, "the panicked group was not committed");
        handle.close().await;
    }

    #[tokio::test]
    async fn closed_writer_rejects_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let handle = StoreHandle::spawn(Box::new(RedbStore::open(dir.path()).unwrap())).unwrap();
        handle.close().await;
        assert_eq!(handle.mint(job(plain_render())).await.unwrap_err(), WriteError::Closed);
        assert!(RedbStore::open(dir.path()).is_ok(), "close released the file");
    }
}
