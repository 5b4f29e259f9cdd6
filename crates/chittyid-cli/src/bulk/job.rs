//! The bulk mint job: read every record, skip those the journal lists as done, mint the rest with bounded
//! concurrency, and write the output in input order once every record is done.
//!
//! Records that cannot be minted (malformed, an unknown entity type, a field out of range, or rejected by the
//! service) are set aside with their line number and do not stop the job. An outage does not stop it either: the
//! workers wait at the service's connection gate and go on when the connection manager is `Connected` again. Only a
//! rejected token, or a service that stays unreachable for longer than `--max-outage`, stops the job.
//!
//! Ctrl-C stops taking new records, gives the requests in flight a few seconds to finish (a second Ctrl-C abandons
//! them at once), and syncs the journal. Abandoning a request is safe, because the next run sends the same
//! idempotency key. In every case but success the previous output, if any, is left untouched.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use chittyid::Mint;
use chittyid::format::{ChittyId, EntityType};
use futures_util::StreamExt;
use tokio::time::Instant;

use super::journal::{Journal, JournalHeader, journal_path};
use super::key::InputIdentity;
use super::progress::Progress;
use super::reader::{self, Format, Rejected};
use super::record::Record;
use super::summary::{Ending, Report, Summary};
use super::tally::Tally;
use super::worker::{MintResult, Minter};
use super::writer::{self, OutputWriter};

/// How long the requests in flight may take to finish after Ctrl-C before they are abandoned.
const INTERRUPT_GRACE: Duration = Duration::from_secs(10);

/// The message printed after the first Ctrl-C.
const INTERRUPT_NOTE: &str =
    "Ctrl-C: taking no new records; waiting for the requests in flight (Ctrl-C again to abandon them)";

/// Time between progress refreshes and journal syncs.
const TICK: Duration = Duration::from_millis(200);

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
    /// How long the job waits for an unreachable or failing service before it stops.
    pub(crate) max_outage: Duration,
    /// Whether to schedule outages of the embedded service.
    pub(crate) chaos: bool,
}

/// A record to mint and its request, which carries the record's idempotency key.
struct Pending<'a> {
    record: &'a Record,
    mint: Mint,
}

impl BulkJob {
    /// Returns the journal file of this job's output.
    pub(crate) fn journal_path(&self) -> PathBuf {
        journal_path(&self.output)
    }

    /// Runs the job through `minter`. `service` names the service in the journal; `tally` counts the records of
    /// this run as they finish.
    ///
    /// # Errors
    ///
    /// Fails when the input cannot be read or the output or journal cannot be written. A stop for the service's
    /// sake is no error but [`Ending::Stopped`].
    pub(crate) async fn run(&self, minter: &Minter, service: String, tally: &Tally) -> anyhow::Result<Report> {
        let started = Instant::now();
        let bytes = reader::read_bytes(&self.input)?;
        let identity = InputIdentity::new(&self.input, &bytes).default_entity(self.default_entity);
        let input = reader::parse(&bytes, self.input_format)
            .with_context(|| format!("cannot read input file {}", self.input.display()))?;
        drop(bytes);

        let mut rejected = input.rejected;
        let total = input.records.len() + rejected.len();
        let mut mintable: Vec<Pending<'_>> = Vec::with_capacity(input.records.len());
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
                    mintable.push(Pending { record, mint });
                }
                Err(error) => rejected.push(Rejected::of_record(record, error.to_string())),
            }
        }

        let entity = self.default_entity.map(|entity| entity.word().to_owned());
        let header = JournalHeader::new(&identity, entity, service);
        let opened = Journal::open(&self.journal_path(), &header, |line| identity.key_for_line(line))?;
        let mut journal = opened.journal;
        let mut ids: HashMap<u64, ChittyId> = opened.minted;
        let lines: HashSet<u64> = mintable.iter().map(|pending| pending.record.line).collect();
        ids.retain(|line, _| lines.contains(line));
        let already_present = ids.len();
        let pending: Vec<&Pending<'_>> =
            mintable.iter().filter(|pending| !ids.contains_key(&pending.record.line)).collect();

        let pending_count = pending.len();
        let chaos_note = tally.start(pending_count);
        let mut progress = Progress::new(pending.len(), minter.service().connection().state());
        if let Some(note) = chaos_note {
            progress.note(&note);
        }
        if let Some(reason) = opened.discarded {
            let path = journal.path().display();
            progress.note(&format!("starting over: the journal {path} was discarded, because {reason}"));
        }
        if already_present > 0 {
            progress.note(&format!("resuming: {already_present} records were minted by an earlier run"));
        }

        let stop = AtomicBool::new(false);
        let stop = &stop;
        let mut results = futures_util::stream::iter(pending.into_iter().take_while(|_| !stop.load(Ordering::Relaxed)))
            .map(|pending| async move {
                // During a `--chaos` hold no record starts, so the records after the threshold meet the outage.
                tally.wait_released().await;
                (pending, minter.mint(pending.record.line, &pending.mint).await)
            })
            .buffer_unordered(self.concurrency.max(1));

        let mut minted = 0usize;
        let mut ending = Ending::Finished;
        let mut interrupt_deadline: Option<Instant> = None;
        let mut states = minter.service().connection().watch_state();
        let mut states_open = true;
        let mut ticks = tokio::time::interval(TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
        loop {
            let grace = async {
                match interrupt_deadline {
                    Some(deadline) => tokio::time::sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            };
            // Biased, so a connection change is seen before the next result even when results arrive back to
            // back, and the ticks are not starved by them.
            tokio::select! {
                biased;
                _ = &mut ctrl_c => {
                    stop.store(true, Ordering::Relaxed);
                    if interrupt_deadline.is_some() {
                        progress.note("second Ctrl-C: abandoning the requests in flight");
                        ending = Ending::Interrupted;
                        break;
                    }
                    progress.note(INTERRUPT_NOTE);
                    interrupt_deadline = Some(Instant::now() + INTERRUPT_GRACE);
                    ending = Ending::Interrupted;
                    ctrl_c = Box::pin(tokio::signal::ctrl_c());
                }
                changed = states.changed(), if states_open => {
                    // An error means the manager is gone, which ends its state changes, not the job.
                    states_open = changed.is_ok();
                    let state = *states.borrow_and_update();
                    progress.on_state(state, tally.done() as u64, minter.retries());
                }
                _ = ticks.tick() => {
                    journal.sync()?;
                    progress.tick(tally.done() as u64, minter.retries());
                }
                next = results.next() => {
                    let Some((pending, result)) = next else { break };
                    let line = pending.record.line;
                    match result {
                        MintResult::Minted(id) => {
                            journal.append(line, pending.mint.key(), &id)?;
                            ids.insert(line, id);
                            minted += 1;
                            tally.record_done();
                        }
                        MintResult::Rejected(reason) => {
                            tracing::warn!(line, error = %reason, "service rejected a record");
                            rejected.push(Rejected::of_record(pending.record, reason));
                            tally.record_done();
                        }
                        MintResult::Fatal { error, exit } => {
                            ending = Ending::Stopped { error, exit };
                            break;
                        }
                    }
                }
                () = grace => break,
            }
        }
        drop(results);
        journal.sync()?;
        let (outages, waiting) = progress.finish();
        rejected.sort_by_key(|entry| entry.line);

        // Ctrl-C while the last records were in flight still leaves every record done.
        if matches!(ending, Ending::Interrupted) && tally.done() as u64 == pending_count as u64 {
            ending = Ending::Finished;
        }
        let finished = matches!(ending, Ending::Finished);
        let rejects = if finished {
            self.write_files(&input.header, &input.records, &ids, &rejected, journal)?
        } else {
            if journal.len() == 0 {
                journal.remove()?;
            }
            None
        };
        let summary = Summary {
            total,
            minted,
            already_present,
            rejected,
            retries: minter.retries(),
            outages,
            waiting,
            elapsed: started.elapsed(),
            output: self.output.clone(),
            rejects,
        };
        Ok(Report { summary, ending })
    }

    /// Writes the output and the rejects file, then removes the journal, whose entries the output now holds.
    fn write_files(
        &self,
        header: &[String],
        records: &[Record],
        ids: &HashMap<u64, ChittyId>,
        rejected: &[Rejected],
        journal: Journal,
    ) -> anyhow::Result<Option<PathBuf>> {
        let mut output = OutputWriter::create(&self.output, self.output_format, header, records)?;
        for record in records {
            if let Some(id) = ids.get(&record.line) {
                output.write(record, &id.to_string())?;
            }
        }
        output.finish()?;
        let rejects_path = writer::rejects_path(&self.output);
        writer::write_rejects(&rejects_path, rejected)?;
        journal.remove()?;
        Ok((!rejected.is_empty()).then_some(rejects_path))
    }
}
