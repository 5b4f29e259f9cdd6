//! The unit of work of the writer thread: a mint job, its results and its reply.

use bytes::Bytes;
use chittyid::format::{ChittyId, EntityType};
use time::OffsetDateTime;

use super::SequenceKey;

/// One ID to mint; its fields were validated by the route.
#[derive(Debug, Clone)]
pub(crate) struct MintSpec {
    pub(crate) region: u8,
    pub(crate) jurisdiction: String,
    pub(crate) entity: EntityType,
    pub(crate) trust: u8,
}

/// The reason one ID of a job was not minted.
#[derive(Debug, Clone)]
pub(crate) enum MintRefusal {
    /// Every sequence number of the key is spent.
    SequenceExhausted { key: SequenceKey },
    /// The parts did not form an ID. The message names the wrong part.
    Invalid(String),
}

/// The outcome of one [`MintSpec`].
pub(crate) type MintResult = Result<ChittyId, MintRefusal>;

/// A reply body with its HTTP status, as sent and as stored for replays.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

/// Builds the reply of a job from its results and the time of minting.
pub(crate) type Render = Box<dyn FnOnce(&[MintResult], OffsetDateTime) -> Rendered + Send>;

/// The idempotency key of a job and the fingerprint of its request.
#[derive(Debug, Clone)]
pub(crate) struct IdempotencyClaim {
    pub(crate) key: String,
    pub(crate) fingerprint: [u8; 32],
}

/// A request to mint one or more IDs and store the reply in the same transaction.
pub(crate) struct MintJob {
    pub(crate) specs: Vec<MintSpec>,
    pub(crate) idempotency: Option<IdempotencyClaim>,
    pub(crate) render: Render,
}

/// The outcome of a job.
#[derive(Debug)]
pub(crate) enum MintOutcome {
    /// The job minted (or was refused with nothing minted); this is its reply.
    Minted(Rendered),
    /// A stored reply with the same key and fingerprint.
    Replayed(Rendered),
    /// The key is stored with a different fingerprint.
    KeyReused,
}

/// The reason the writer did not process a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WriteError {
    /// The store is closed because the server is shutting down.
    #[error("the store is closed")]
    Closed,
    /// The transaction failed; the writer logged the cause.
    #[error("the store failed to commit")]
    Failed,
}
