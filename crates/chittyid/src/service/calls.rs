//! [`ChittyIdService`]: mint, batch mint, validate and reconcile through the connection gate, the circuit breaker
//! and the retry loop.

use std::sync::Arc;

use serde_json::Value;
use tokio::time::Instant;
use tracing::Instrument;

use super::error::CallError;
use super::options::{CallOptions, ConnectionPolicy};
use crate::client::{Client, EntryError, Error as ClientError, ErrorKind, Mint, MintOutcome, Validation};
use crate::connection::{ConnectError, ConnectionManager, ConnectionState, WaitError};
use crate::format::{ChittyId, EntityType};
use crate::metrics::{CallOperation, CallOutcome, Metrics, Readings, ReadingsSource};
use crate::resilience::{CircuitBreaker, Outcome, RetryBudget, RetryPolicy, TtlCache, retry};

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

/// The description of one logical call, for its span, its metrics and the retry loop.
struct CallSpec<'a> {
    operation: CallOperation,
    idempotency_key: Option<&'a str>,
    /// Whether a failed attempt may be sent again; false for requests without an idempotency key.
    retryable: bool,
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

    /// Runs one logical call in a `chittyid.call` span, and records it in the metrics.
    async fn call<T, F, Fut>(&self, options: CallOptions, spec: CallSpec<'_>, send: F) -> Result<T, CallError>
    where
        T: CallValue,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let span = tracing::info_span!(
            "chittyid.call",
            operation = spec.operation.as_str(),
            idempotency_key = spec.idempotency_key,
            attempts = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let started = Instant::now();
        let operation = spec.operation;
        let (result, attempts) = self.call_in_span(options, spec, send).instrument(span.clone()).await;
        let outcome = match &result {
            Ok(value) => value.outcome(),
            Err(_) => CallOutcome::of(&result),
        };
        span.record("attempts", i64::from(attempts));
        span.record("outcome", outcome.as_str());
        self.layers.metrics.record_call(operation, outcome, attempts, started.elapsed());
        result
    }

    /// Runs one logical call through the gate, the breaker and, when the call is retryable, the retry loop.
    /// Returns the result and the number of attempts sent.
    async fn call_in_span<T, F, Fut>(
        &self,
        options: CallOptions,
        spec: CallSpec<'_>,
        mut send: F,
    ) -> (Result<T, CallError>, u32)
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let started = Instant::now();
        let deadline = started + options.deadline;
        if let Err(error) = self.pass_gate(options.connection, started, deadline).await {
            return (Err(error), 0);
        }

        let layers = &self.layers;
        let policy = if spec.retryable { layers.retry.clone() } else { layers.retry.clone().max_attempts(1) };
        let outcome = retry(&policy, Some(&layers.budget), Some(deadline), |attempt| {
            let permit = layers.breaker.try_acquire();
            // Numbers go in as i64: tracing-opentelemetry 0.34 exports a u64 or u32 field as a string.
            let span =
                tracing::debug_span!("chittyid.attempt", attempt = i64::from(attempt), outcome = tracing::field::Empty);
            let request = permit.map(|permit| (permit, send(attempt).instrument(span.clone())));
            async move {
                let (permit, request) = match request {
                    Ok(granted) => granted,
                    Err(rejected) => {
                        span.record("outcome", CallOutcome::CircuitOpen.as_str());
                        return Err(Attempt::Rejected(rejected));
                    }
                };
                let remaining = deadline.saturating_duration_since(Instant::now());
                let result = match tokio::time::timeout(remaining, request).await {
                    Ok(result) => result,
                    Err(_) => {
                        span.record("outcome", CallOutcome::DeadlineExceeded.as_str());
                        permit.record(Outcome::Ignored);
                        return Err(Attempt::DeadlinePassed);
                    }
                };
                span.record("outcome", attempt_outcome(&result).as_str());
                permit.record(breaker_outcome(&result));
                if let Err(error) = &result
                    && error.is_connection_level()
                {
                    layers.manager.report_connection_failure();
                }
                result.map_err(Attempt::Failed)
            }
        })
        .await;
        let attempts = outcome.attempts;
        let result = outcome.result.map_err(|attempt| match attempt {
            Attempt::Rejected(rejected) => CallError::CircuitOpen(rejected),
            Attempt::Failed(source) => CallError::Request { attempts, source },
            Attempt::DeadlinePassed => {
                CallError::ConnectionWaitTimedOut { state: layers.manager.state(), waited: started.elapsed() }
            }
        });
        (result, attempts)
    }

    async fn pass_gate(&self, policy: ConnectionPolicy, started: Instant, deadline: Instant) -> Result<(), CallError> {
        let manager = &self.layers.manager;
        let state = manager.state();
        match (state, policy) {
            (ConnectionState::Connected, _) => return Ok(()),
            (ConnectionState::Failed, _) => return Err(CallError::NotConnected { state, failure: manager.failure() }),
            (ConnectionState::Disconnected, _) => {
                // The first call starts the manager; a fail-fast call does not wait for the attempt to end.
                let starting = manager.clone();
                tokio::spawn(async move { starting.connect().await });
            }
            _ => {}
        }
        if policy == ConnectionPolicy::FailFast {
            return Err(CallError::NotConnected { state, failure: None });
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        match manager.wait_for_state(ConnectionState::Connected, remaining).await {
            Ok(()) => Ok(()),
            Err(WaitError::Failed { .. }) => {
                Err(CallError::NotConnected { state: manager.state(), failure: manager.failure() })
            }
            Err(_) => Err(CallError::ConnectionWaitTimedOut { state: manager.state(), waited: started.elapsed() }),
        }
    }
}

/// The outcome of a call that returned a value, for its metrics, because a provisional mint is not a success.
trait CallValue {
    fn outcome(&self) -> CallOutcome {
        CallOutcome::Success
    }
}

impl CallValue for MintOutcome {
    fn outcome(&self) -> CallOutcome {
        match self {
            MintOutcome::Final(_) => CallOutcome::Success,
            MintOutcome::Provisional { .. } => CallOutcome::Provisional,
        }
    }
}

impl CallValue for ChittyId {}
impl CallValue for Validation {}
impl CallValue for Vec<Result<ChittyId, EntryError>> {}

/// Classifies one attempt's result with the words of the call outcomes.
fn attempt_outcome<T>(result: &Result<T, ClientError>) -> CallOutcome {
    match result {
        Ok(_) => CallOutcome::Success,
        Err(error) => CallOutcome::of_request(error),
    }
}

/// One attempt's failure inside the retry loop.
enum Attempt {
    Rejected(crate::resilience::Rejected),
    Failed(ClientError),
    DeadlinePassed,
}

impl crate::resilience::Retryable for Attempt {
    fn is_retryable(&self) -> bool {
        match self {
            Attempt::Failed(error) => error.is_retryable(),
            Attempt::Rejected(_) | Attempt::DeadlinePassed => false,
        }
    }

    fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Attempt::Failed(error) => error.retry_after(),
            _ => None,
        }
    }
}

/// Classifies a result for the circuit breaker: does it reflect the service's health?
fn breaker_outcome<T>(result: &Result<T, ClientError>) -> Outcome {
    let Err(error) = result else { return Outcome::Success };
    match error.kind() {
        ErrorKind::Connect
        | ErrorKind::Timeout { .. }
        | ErrorKind::ConnectionClosed
        | ErrorKind::BodyTooLarge { .. }
        | ErrorKind::Decode { .. }
        | ErrorKind::InvalidId { .. }
        | ErrorKind::Transport => Outcome::Failure,
        ErrorKind::Status { status, .. } if status.is_server_error() || status.as_u16() == 429 => Outcome::Failure,
        // Client errors (400, 409, 422), rejections, auth failures and provisional IDs do not show whether
        // the service is up; 401 and 403 are the connection manager's business.
        _ => Outcome::Ignored,
    }
}
