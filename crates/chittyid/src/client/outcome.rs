//! The values the client's operations return, and the conversion of each decoded reply into them.
//!
//! Every ID the service returns is parsed locally before it is handed out, and fallback IDs are kept apart from
//! final ones, because the service reports both with status 200.

use std::time::Duration;

use url::Url;

use super::error::{EntryError, Error, ErrorKind, Operation};
use crate::format::{ChittyId, Components, FallbackReason};
use crate::wire::{BatchReply, BatchResult, HealthReply, MintReply, ValidateReply};

/// The result of a mint for callers that accept provisional IDs ([`Client::mint_outcome`](super::Client::mint_outcome)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MintOutcome {
    /// A final ID.
    Final(ChittyId),
    /// A provisional fallback ID, issued while the service's upstream mint was down. Replace it later with
    /// [`Client::reconcile`](super::Client::reconcile).
    Provisional {
        /// The provisional ID.
        id: ChittyId,
        /// The reason coded in the ID, or `None` when the service flagged the reply as a fallback but the ID is not
        /// an error-coded `03-0-ERR-…` ID.
        reason: Option<FallbackReason>,
    },
}

impl MintOutcome {
    /// Returns the ID, final or provisional.
    pub fn id(&self) -> ChittyId {
        match self {
            MintOutcome::Final(id) | MintOutcome::Provisional { id, .. } => *id,
        }
    }

    /// Tells whether the ID is final.
    pub fn is_final(&self) -> bool {
        matches!(self, MintOutcome::Final(_))
    }
}

/// The service's verdict on an ID ([`Client::validate`](super::Client::validate)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Validation {
    /// Whether the service considers the ID valid.
    pub valid: bool,
    /// The service's reason for judging the ID invalid.
    pub reason: Option<String>,
    /// The ID's fields, when the service returned them.
    pub components: Option<Components>,
    /// The ID that replaces a fallback ID, when validating it made the service mint a final one.
    pub replaced_by: Option<ChittyId>,
}

/// The service's health report ([`Client::health`](super::Client::health)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Health {
    /// Whether the service reports itself healthy (`status` is `ok` or `healthy`).
    pub healthy: bool,
    /// The reported status.
    pub status: String,
    /// The service's name.
    pub service: Option<String>,
    /// The service's version.
    pub version: Option<String>,
    /// How long the service has run, when it reports it.
    pub uptime: Option<Duration>,
}

/// Interprets a mint reply: checks `success` and `chittyId`, parses the ID, and keeps fallbacks apart.
pub(crate) fn mint_outcome(operation: Operation, url: &Url, reply: MintReply) -> Result<MintOutcome, Error> {
    let fail = |kind| Error::new(operation, Some(url.clone()), kind);
    if !reply.success {
        return Err(fail(ErrorKind::Rejected { message: failure_message(reply.error, reply.message) }));
    }
    let Some(raw) = reply.chitty_id else {
        return Err(fail(ErrorKind::Decode { reason: "reply has success:true but no chittyId".into() }));
    };
    let id = ChittyId::parse(&raw).map_err(|source| Error::invalid_id(operation, url.clone(), &raw, source))?;
    if reply.fallback == Some(true) || id.is_fallback() {
        return Ok(MintOutcome::Provisional { id, reason: id.fallback_reason() });
    }
    Ok(MintOutcome::Final(id))
}

/// Interprets a batch reply: one result per requested entry, in order.
pub(crate) fn batch_results(
    url: &Url,
    expected: usize,
    reply: BatchReply,
) -> Result<Vec<Result<ChittyId, EntryError>>, Error> {
    let fail = |kind| Error::new(Operation::BatchMint, Some(url.clone()), kind);
    if !reply.success && reply.results.is_empty() {
        return Err(fail(ErrorKind::Rejected { message: failure_message(reply.error, None) }));
    }
    // A reply that lists only `chittyIds` reports every entry as minted.
    let mut results = reply.results;
    if results.is_empty() && reply.chitty_ids.len() == expected {
        results = reply
            .chitty_ids
            .into_iter()
            .map(|id| BatchResult { success: true, chitty_id: Some(id), error: None })
            .collect();
    }
    if results.len() != expected {
        let reason = format!("reply has {} results for {expected} requests", results.len());
        return Err(fail(ErrorKind::Decode { reason }));
    }
    let results = results.into_iter().map(|result| {
        if !result.success {
            return Err(EntryError::Rejected { message: failure_message(result.error, None) });
        }
        let raw = result.chitty_id.unwrap_or_default();
        let id = ChittyId::parse(&raw)
            .map_err(|source| EntryError::InvalidId { raw: raw.chars().take(64).collect(), source })?;
        if id.is_fallback() {
            return Err(EntryError::Provisional { id });
        }
        Ok(id)
    });
    Ok(results.collect())
}

/// Interprets a validation reply. The `valid` field decides, whatever `success` contains, because services differ
/// in how they report an invalid ID.
pub(crate) fn validation(operation: Operation, url: &Url, reply: ValidateReply) -> Result<Validation, Error> {
    let fail = |kind| Error::new(operation, Some(url.clone()), kind);
    let replaced_by = match (reply.replaced, &reply.new_id) {
        (Some(true), Some(raw)) => {
            let id = ChittyId::parse(raw).map_err(|source| Error::invalid_id(operation, url.clone(), raw, source))?;
            Some(id)
        }
        (Some(true), None) => {
            return Err(fail(ErrorKind::Decode { reason: "reply has replaced:true but no newId".into() }));
        }
        _ => None,
    };
    let Some(valid) = reply.valid else {
        if !reply.success {
            return Err(fail(ErrorKind::Rejected { message: failure_message(reply.error, None) }));
        }
        return Err(fail(ErrorKind::Decode { reason: "reply has no valid field".into() }));
    };
    Ok(Validation { valid, reason: reply.error, components: reply.components, replaced_by })
}

/// Interprets a health reply.
pub(crate) fn health(reply: HealthReply) -> Health {
    let uptime = reply.uptime.and_then(|seconds| Duration::try_from_secs_f64(seconds).ok());
    Health { healthy: reply.is_healthy(), status: reply.status, service: reply.service, version: reply.version, uptime }
}

fn failure_message(error: Option<String>, message: Option<String>) -> String {
    let text = message.filter(|text| !text.is_empty()).or(error).unwrap_or_default();
    if text.is_empty() {
        return "no reason given".to_owned();
    }
    text.chars().take(200).collect()
}
