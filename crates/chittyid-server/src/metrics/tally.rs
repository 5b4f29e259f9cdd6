//! Counting minted IDs only after their transaction has committed.
//!
//! The writer thread hands a job's results only to the job's render closure, and renders before it commits. So
//! [`tally_render`] wraps that closure to copy out what the metrics need, and the route applies the copy with
//! [`MintTally::apply`] once the outcome shows that the job's transaction committed. A group whose commit failed is never
//! counted.

use std::sync::{Arc, Mutex, PoisonError};

use chittyid::format::EntityType;

use super::{Conflict, ServerMetrics};
use crate::store::SequenceKey;
use crate::store::writer::{MintOutcome, MintRefusal, MintResult, Render, WriteError};

/// The IDs one mint job issued, filled in by the writer thread and read by the route afterwards.
#[derive(Debug, Clone, Default)]
pub(crate) struct MintTally {
    issued: Arc<Mutex<Issued>>,
}

#[derive(Debug, Default)]
struct Issued {
    /// Entity type, sequence key and sequence number of every minted ID.
    minted: Vec<(EntityType, String, u16)>,
    exhausted: u64,
}

/// Wraps `render` so that the job's results are also copied into the returned [`MintTally`].
pub(crate) fn tally_render(render: Render) -> (Render, MintTally) {
    let tally = MintTally::default();
    let sink = tally.clone();
    let wrapped: Render = Box::new(move |results: &[MintResult], now| {
        sink.copy(results);
        render(results, now)
    });
    (wrapped, tally)
}

impl MintTally {
    fn copy(&self, results: &[MintResult]) {
        let mut issued = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        for result in results {
            match result {
                Ok(id) => {
                    let key = SequenceKey::new(id.region(), id.jurisdiction(), id.entity_type(), id.year(), id.month());
                    issued.minted.push((id.entity_type(), key.encode(), id.sequence()));
                }
                Err(MintRefusal::SequenceExhausted { .. }) => issued.exhausted += 1,
                Err(MintRefusal::Invalid(_)) => {}
            }
        }
    }

    /// Counts the job's outcome: its IDs when it minted, a replay, or a reused key.
    pub(crate) fn apply(&self, outcome: &Result<MintOutcome, WriteError>, metrics: &ServerMetrics) {
        match outcome {
            Ok(MintOutcome::Minted(_)) => {
                let issued = std::mem::take(&mut *self.issued.lock().unwrap_or_else(PoisonError::into_inner));
                for (entity, key, sequence) in issued.minted {
                    metrics.count_minted(entity);
                    metrics.record_sequence(key, sequence);
                }
                if issued.exhausted > 0 {
                    metrics.count_exhausted(issued.exhausted);
                }
            }
            Ok(MintOutcome::Replayed(_)) => metrics.count_replay(),
            Ok(MintOutcome::KeyReused) => metrics.count_conflict(Conflict::Reused),
            Err(_) => {}
        }
    }
}
