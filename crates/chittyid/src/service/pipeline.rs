//! The path of one logical call: its span and metrics, the connection gate, the circuit breaker and the retry loop.

use tokio::time::Instant;
use tracing::Instrument;

use super::ChittyIdService;
use super::error::CallError;
use super::options::{CallOptions, ConnectionPolicy};
use crate::client::{EntryError, Error as ClientError, ErrorKind, MintOutcome, Validation};
use crate::connection::{ConnectionState, WaitError};
use crate::format::ChittyId;
use crate::metrics::{CallOperation, CallOutcome};
use crate::resilience::{Outcome, retry};

/// The description of one logical call, for its span, its metrics and the retry loop.
pub(super) struct CallSpec<'a> {
    pub(super) operation: CallOperation,
    pub(super) idempotency_key: Option<&'a str>,
    /// Whether a failed attempt may be sent again; false for requests without an idempotency key.
    pub(super) retryable: bool,
}

impl ChittyIdService {
    /// Runs one logical call in a `chittyid.call` span, and records it in the metrics.
    pub(super) async fn call<T, F, Fut>(
        &self,
        options: CallOptions,
        spec: CallSpec<'_>,
        send: F,
    ) -> Result<T, CallError>
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
pub(super) trait CallValue {
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
