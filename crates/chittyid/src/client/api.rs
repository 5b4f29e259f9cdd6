//! [`Client`] and its operations: mint, batch mint, validate, reconcile and health.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use sha2::{Digest, Sha256};
use url::Url;

use super::builder::ClientBuilder;
use super::error::{EntryError, Error, ErrorKind, Operation};
use super::mint::Mint;
use super::outcome::{self, Health, MintOutcome, Validation};
use super::transport::{Call, Transport};
use crate::endpoint::ServiceUrl;
use crate::format::ChittyId;
use crate::token::Token;
use crate::wire::{BatchReply, BatchRequest, HealthReply, MintReply, ValidateReply, ValidateRequest};

/// An async client of a ChittyID service.
///
/// Cloning is cheap and clones share one connection pool. See the [module documentation](crate::client) for what
/// it checks and why.
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) base_url: ServiceUrl,
    pub(crate) transport: Transport,
    pub(crate) timeouts: Timeouts,
}

/// The time limit of each kind of request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) mint: Duration,
    pub(crate) health: Duration,
    pub(crate) validate: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts { mint: Duration::from_secs(10), health: Duration::from_secs(5), validate: Duration::from_secs(10) }
    }
}

impl Client {
    /// Starts configuring a client for [`DEFAULT_SERVICE_URL`](crate::DEFAULT_SERVICE_URL) with no token.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// Returns the service's base URL.
    pub fn base_url(&self) -> &ServiceUrl {
        &self.shared.base_url
    }

    /// Returns the HTTP client, so that a connection manager can share its connection pool.
    pub(crate) fn http_client(&self) -> reqwest::Client {
        self.shared.transport.http.clone()
    }

    /// Mints one final ID.
    ///
    /// The returned ID has passed local validation. A provisional fallback ID is an error of kind
    /// [`ErrorKind::Provisional`] that keeps the ID; use [`Client::mint_outcome`] to accept it as a value.
    ///
    /// # Errors
    ///
    /// Returns [`Error`] for an invalid request or missing token (nothing is sent), a transport failure, a status
    /// other than 2xx, `success: false`, a reply that is not the expected JSON, or an ID that fails local validation.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the request, but the service may still mint the ID. Send the same `Mint` again
    /// to get that ID back from a service that honours its idempotency key.
    pub async fn mint(&self, mint: &Mint) -> Result<ChittyId, Error> {
        match self.mint_outcome(mint).await? {
            MintOutcome::Final(id) => Ok(id),
            MintOutcome::Provisional { id, .. } => {
                let url = self.shared.base_url.join("/mint");
                Err(Error::new(Operation::Mint, Some(url), ErrorKind::Provisional { id }))
            }
        }
    }

    /// Mints one ID and returns it as final or provisional, for callers that accept provisional IDs.
    ///
    /// # Errors
    ///
    /// As [`Client::mint`], except that a fallback ID is returned as [`MintOutcome::Provisional`].
    ///
    /// # Cancel safety
    ///
    /// As [`Client::mint`].
    pub async fn mint_outcome(&self, mint: &Mint) -> Result<MintOutcome, Error> {
        let url = self.shared.base_url.join("/mint");
        mint.check().map_err(|reason| Error::config(Operation::Mint, Some(url.clone()), reason))?;
        self.require_token(Operation::Mint, &url)?;
        let body = encode(Operation::Mint, &url, &mint.body())?;
        let call = Call {
            operation: Operation::Mint,
            method: Method::POST,
            url: url.clone(),
            query: Some(mint.query()),
            body: Some(body),
            idempotency_key: Some(mint.key()),
            timeout: self.shared.timeouts.mint,
        };
        let reply: MintReply = self.shared.transport.send(call).await?;
        outcome::mint_outcome(Operation::Mint, &url, reply)
    }

    /// Mints several IDs in one request (`POST /v1/mint/batch`), returning one result per entry, in order.
    ///
    /// The batch carries one idempotency key, derived from the entries' keys, so sending the same entries again
    /// sends the same key. An empty slice returns an empty list without a request.
    ///
    /// # Errors
    ///
    /// As [`Client::mint`] for the batch as a whole. An entry that fails on its own is an [`EntryError`] in the list.
    ///
    /// # Cancel safety
    ///
    /// As [`Client::mint`]: send the same entries again to get the same IDs back.
    pub async fn mint_batch(&self, mints: &[Mint]) -> Result<Vec<Result<ChittyId, EntryError>>, Error> {
        let url = self.shared.base_url.join("/v1/mint/batch");
        if mints.is_empty() {
            return Ok(Vec::new());
        }
        for (index, mint) in mints.iter().enumerate() {
            mint.check().map_err(|reason| {
                Error::config(Operation::BatchMint, Some(url.clone()), format!("entry {index}: {reason}"))
            })?;
        }
        self.require_token(Operation::BatchMint, &url)?;
        let request = BatchRequest { requests: mints.iter().map(Mint::batch_entry).collect() };
        let key = batch_key(mints);
        let call = Call {
            operation: Operation::BatchMint,
            method: Method::POST,
            url: url.clone(),
            query: None,
            body: Some(encode(Operation::BatchMint, &url, &request)?),
            idempotency_key: Some(&key),
            timeout: self.shared.timeouts.mint,
        };
        let reply: BatchReply = self.shared.transport.send(call).await?;
        outcome::batch_results(&url, mints.len(), reply)
    }

    /// Asks the service whether `id` is a valid ChittyID (`POST /api/validate`).
    ///
    /// The text is sent as given, without local checks, so the service's verdict is what comes back. Posting a
    /// fallback ID requests its replacement, which is in [`Validation::replaced_by`] when the service minted one.
    ///
    /// # Errors
    ///
    /// Returns [`Error`] for a transport failure, a status other than 2xx, or a reply without a verdict.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop and repeat, except with a fallback ID, where the service may already have replaced it.
    pub async fn validate(&self, id: &str) -> Result<Validation, Error> {
        let url = self.shared.base_url.join("/api/validate");
        let body = encode(Operation::Validate, &url, &ValidateRequest { id: id.to_owned() })?;
        let reply = self.post_validate(Operation::Validate, &url, body).await?;
        outcome::validation(Operation::Validate, &url, reply)
    }

    /// Replaces a provisional fallback ID with a final one (`POST /api/validate` with the fallback ID).
    ///
    /// # Errors
    ///
    /// Returns a configuration error when `id` is not a fallback ID, [`ErrorKind::Rejected`] when the service did
    /// not replace it (its upstream mint may still be down), [`ErrorKind::Provisional`] when the replacement is
    /// itself a fallback ID, and the errors of [`Client::validate`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may leave the ID replaced on the service without the caller learning the new ID.
    pub async fn reconcile(&self, id: &ChittyId) -> Result<ChittyId, Error> {
        let url = self.shared.base_url.join("/api/validate");
        if !id.is_fallback() {
            return Err(Error::config(Operation::Reconcile, Some(url), format!("{id} is not a fallback ID")));
        }
        self.require_token(Operation::Reconcile, &url)?;
        let body = encode(Operation::Reconcile, &url, &ValidateRequest { id: id.to_string() })?;
        let reply = self.post_validate(Operation::Reconcile, &url, body).await?;
        let fail = |kind| Error::new(Operation::Reconcile, Some(url.clone()), kind);
        match outcome::validation(Operation::Reconcile, &url, reply)?.replaced_by {
            Some(new_id) if new_id.is_fallback() => Err(fail(ErrorKind::Provisional { id: new_id })),
            Some(new_id) => Ok(new_id),
            None => Err(fail(ErrorKind::Rejected { message: "the service did not replace the fallback ID".into() })),
        }
    }

    /// Fetches the service's health report (`GET /health`), sending the token when one is set.
    ///
    /// # Errors
    ///
    /// Returns [`Error`] for a transport failure, a status other than 2xx, or a reply that is not a health report.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop and repeat.
    pub async fn health(&self) -> Result<Health, Error> {
        let url = self.shared.base_url.join("/health");
        let call = Call {
            operation: Operation::Health,
            method: Method::GET,
            url,
            query: None,
            body: None,
            idempotency_key: None,
            timeout: self.shared.timeouts.health,
        };
        let reply: HealthReply = self.shared.transport.send(call).await?;
        Ok(outcome::health(reply))
    }

    async fn post_validate(&self, operation: Operation, url: &Url, body: Vec<u8>) -> Result<ValidateReply, Error> {
        let call = Call {
            operation,
            method: Method::POST,
            url: url.clone(),
            query: None,
            body: Some(body),
            idempotency_key: None,
            timeout: self.shared.timeouts.validate,
        };
        self.shared.transport.send(call).await
    }

    /// Fails before sending when an operation that mints would go to a remote service without a token.
    fn require_token(&self, operation: Operation, url: &Url) -> Result<(), Error> {
        if self.shared.transport.token.is_some() || self.shared.base_url.is_loopback() {
            return Ok(());
        }
        let reason = "missing token: set CHITTY_ID_TOKEN or ClientBuilder::token (only a loopback service runs open)";
        Err(Error::config(operation, Some(url.clone()), reason))
    }
}

fn encode(operation: Operation, url: &Url, body: &impl serde::Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body).map_err(|error| {
        Error::config(operation, Some(url.clone()), "request body cannot be encoded").with_source(error)
    })
}

/// Derives the batch's idempotency key from its entries' keys, so that the same entries always send the same key.
pub(crate) fn batch_key(mints: &[Mint]) -> String {
    let mut hasher = Sha256::new();
    for mint in mints {
        // The length prefix keeps ("ab", "c") and ("a", "bc") apart.
        hasher.update((mint.key().len() as u64).to_be_bytes());
        hasher.update(mint.key().as_bytes());
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect();
    format!("batch-{hex}")
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.shared;
        f.debug_struct("Client")
            .field("base_url", &shared.base_url)
            .field("token", &TokenField(&shared.transport.token))
            .field("mint_timeout", &shared.timeouts.mint)
            .field("health_timeout", &shared.timeouts.health)
            .field("validate_timeout", &shared.timeouts.validate)
            .field("max_response_bytes", &shared.transport.max_response_bytes)
            .finish()
    }
}

/// Shows a token as `<redacted>`, or `None` when there is none.
pub(crate) struct TokenField<'a>(pub(crate) &'a Option<Token>);

impl fmt::Debug for TokenField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "<redacted>" } else { "None" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::EntityType;

    #[test]
    fn batch_key_is_stable_for_the_same_entries() {
        let mints = [Mint::new(EntityType::Person), Mint::new(EntityType::Place)];
        assert_eq!(batch_key(&mints), batch_key(&mints.clone()));
    }

    #[test]
    fn batch_key_differs_for_other_entries() {
        let first = [Mint::new(EntityType::Person)];
        let second = [Mint::new(EntityType::Person)];
        assert_ne!(batch_key(&first), batch_key(&second));
    }
}
