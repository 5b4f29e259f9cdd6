//! [`ChittyIdService`]: mint, batch mint, validate and reconcile through the connection gate, the circuit breaker
//! and the retry loop.

use std::sync::Arc;

use serde_json::Value;

use super::error::CallError;
use super::options::CallOptions;
use super::pipeline::CallSpec;
use crate::client::{Client, EntryError, Error as ClientError, ErrorKind, Mint, MintOutcome, Validation};
use crate::connection::{ConnectError, ConnectionManager};
use crate::format::{ChittyId, EntityType};
use crate::metrics::{CallOperation, Metrics, Readings, ReadingsSource};
use crate::resilience::{CircuitBreaker, RetryBudget, RetryPolicy, TtlCache};

/// A resilient ChittyID client: a [`Client`] behind a connection gate, a circuit breaker and safe retries, with a
/// validation cache. Cloning is cheap and clones share everything.
///
/// Each call first checks the [`ConnectionManager`]: connected, go on; otherwise wait or fail fast, as set in the call's
/// [`CallOptions`]. Then the breaker grants a permit or rejects at once. The request is retried only for
/// failures a retry can cure, within the retry budget and the call's deadline; a mint keeps one idempotency key
/// across every attempt, so the service mints at most once. Connection-level failures are reported to the manager,
/// which checks the service at once instead of waiting for its next tick.
#[derive(Debug, Clone)]
pub struct ChittyIdService {
    pub(crate) layers: Arc<Layers>,
}

#[derive(Debug)]
pub(crate) struct Layers {
    pub(crate) client: Client,
    pub(crate) manager: ConnectionManager,
    pub(crate) breaker: CircuitBreaker,
    pub(crate) budget: RetryBudget,
    pub(crate) retry: RetryPolicy,
    pub(crate) cache: TtlCache<Validation>,
    pub(crate) options: CallOptions,
    pub(crate) metrics: Metrics,
}

impl ReadingsSource for Layers {
    fn readings(&self) -> Readings {
        Readings {
            connection: self.manager.stats(),
            breaker: self.breaker.stats(),
            budget: self.budget.stats(),
            cache: self.cache.stats(),
        }
    }
}

impl ChittyIdService {
    /// Starts the connection manager and waits for its first attempt.
    ///
    /// # Errors
    ///
    /// As [`ConnectionManager::connect`]: the manager keeps retrying in the background unless it failed for good.
    pub async fn connect(&self) -> Result<(), ConnectError> {
        self.layers.manager.connect().await
    }

    /// Stops the connection manager's background work.
    pub async fn disconnect(&self) {
        self.layers.manager.disconnect().await;
    }

    /// Returns the connection manager, for its state, statistics and events.
    pub fn connection(&self) -> &ConnectionManager {
        &self.layers.manager
    }

    /// Returns the circuit breaker, for its state, statistics and transitions.
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.layers.breaker
    }

    /// Returns the service's metrics, for rendering as Prometheus text or reading as numbers.
    pub fn metrics(&self) -> &Metrics {
        &self.layers.metrics
    }

    /// Returns the underlying client, which has no resilience layers.
    pub fn client(&self) -> &Client {
        &self.layers.client
    }

    /// Mints one final ID for `entity` with optional metadata, with the default call options.
    ///
    /// # Errors
    ///
    /// See [`ChittyIdService::mint_with`].
    pub async fn generate(&self, entity: EntityType, metadata: Option<Value>) -> Result<ChittyId, CallError> {
        let mut mint = Mint::new(entity);
        if let Some(metadata) = metadata {
            mint = mint.metadata(metadata);
        }
        self.mint(&mint).await
    }

    /// Mints one final ID with the default call options.
    ///
    /// # Errors
    ///
    /// See [`ChittyIdService::mint_with`].
    pub async fn mint(&self, mint: &Mint) -> Result<ChittyId, CallError> {
        self.mint_with(mint, self.layers.options).await
    }

    /// Mints one final ID. A provisional fallback ID is an error that keeps it ([`CallError::provisional_id`]).
    ///
    /// # Errors
    ///
    /// [`CallError::NotConnected`] or [`CallError::ConnectionWaitTimedOut`] from the connection gate,
    /// [`CallError::CircuitOpen`] from the breaker, and [`CallError::Request`] with the last attempt's error.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may leave a minted ID unclaimed on the service. Call again with the same `Mint` (the
    /// same idempotency key) to get that ID back.
    pub async fn mint_with(&self, mint: &Mint, options: CallOptions) -> Result<ChittyId, CallError> {
        match self.mint_outcome_with(mint, options).await? {
            MintOutcome::Final(id) => Ok(id),
            MintOutcome::Provisional { id, .. } => {
                let error = ClientError::new(crate::client::Operation::Mint, None, ErrorKind::Provisional { id });
                Err(CallError::Request { attempts: 1, source: error })
            }
        }
    }

    /// Mints one ID and returns it as final or provisional; reconcile a provisional one later with
    /// [`ChittyIdService::reconcile`].
    ///
    /// # Errors
    ///
    /// As [`ChittyIdService::mint_with`], except for provisional IDs.
    pub async fn mint_outcome_with(&self, mint: &Mint, options: CallOptions) -> Result<MintOutcome, CallError> {
        let client = &self.layers.client;
        let spec = CallSpec { operation: CallOperation::Mint, idempotency_key: Some(mint.key()), retryable: true };
        self.call(options, spec, |_| client.mint_outcome(mint)).await
    }

    /// Mints several IDs in one request, with one idempotency key for the batch across every attempt.
    ///
    /// # Errors
    ///
    /// As [`ChittyIdService::mint_with`] for the batch as a whole; entries that fail alone are errors in the list.
    pub async fn mint_batch(&self, mints: &[Mint]) -> Result<Vec<Result<ChittyId, EntryError>>, CallError> {
        let client = &self.layers.client;
        let key = crate::client::batch_key(mints);
        let spec = CallSpec { operation: CallOperation::MintBatch, idempotency_key: Some(&key), retryable: true };
        self.call(self.layers.options, spec, |_| client.mint_batch(mints)).await
    }

    /// Asks the service to replace a provisional fallback ID with a final one. Not retried, because the request
    /// carries no idempotency key and a retry could mint twice.
    ///
    /// # Errors
    ///
    /// As [`ChittyIdService::mint_with`].
    pub async fn reconcile(&self, id: &ChittyId) -> Result<ChittyId, CallError> {
        let client = &self.layers.client;
        let spec = CallSpec { operation: CallOperation::Reconcile, idempotency_key: None, retryable: false };
        self.call(self.layers.options, spec, |_| client.reconcile(id)).await
    }

    /// Validates an ID: locally first (an ID that fails the format is invalid without a request), then remotely,
    /// with results cached by ID.
    ///
    /// # Errors
    ///
    /// As [`ChittyIdService::mint_with`].
    pub async fn validate(&self, id: &str) -> Result<Validation, CallError> {
        if let Err(error) = ChittyId::parse(id) {
            let reason = Some(error.to_string());
            return Ok(Validation { valid: false, reason, components: None, replaced_by: None });
        }
        if let Some(cached) = self.layers.cache.get(id) {
            return Ok(cached);
        }
        let client = &self.layers.client;
        let spec = CallSpec { operation: CallOperation::Validate, idempotency_key: None, retryable: true };
        let validation = self.call(self.layers.options, spec, |_| client.validate(id)).await?;
        // Validating a fallback ID made the service mint a replacement, so the result must not be served from the cache.
        if validation.replaced_by.is_none() {
            self.layers.cache.insert(id.to_owned(), validation.clone());
        }
        Ok(validation)
    }
}
