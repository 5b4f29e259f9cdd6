//! The error of a call through the resilient service.

use std::time::Duration;

use crate::client::{Error as ClientError, ErrorKind};
use crate::connection::{ConnectionState, FailureReason};
use crate::resilience::{Rejected, Retryable};

/// Why a call through [`ChittyIdService`](super::ChittyIdService) failed.
///
/// [`CallError::last_error`] reaches the last underlying client error whenever a request was sent.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The connection is not `Connected` and the call chose to fail fast, or the manager gave up.
    #[error("service is not connected (connection state {state})")]
    NotConnected {
        /// The connection state at the time of the call.
        state: ConnectionState,
        /// Why the manager gave up, when it is `Failed`.
        failure: Option<FailureReason>,
    },
    /// The call's deadline passed while it waited for the connection.
    #[error("timed out after {waited:?} waiting for the connection (connection state {state})")]
    ConnectionWaitTimedOut {
        /// The connection state when the wait ended.
        state: ConnectionState,
        /// How long the call waited.
        waited: Duration,
    },
    /// The circuit breaker rejected the call without contacting the service.
    #[error("call rejected by the open circuit breaker")]
    CircuitOpen(#[source] Rejected),
    /// The request was sent and failed; the source is the last attempt's error.
    #[error("request failed after {attempts} attempt(s)")]
    Request {
        /// Attempts made, at least 1.
        attempts: u32,
        /// The last attempt's error.
        #[source]
        source: ClientError,
    },
}

impl CallError {
    /// Returns the last underlying client error, when a request was sent.
    pub fn last_error(&self) -> Option<&ClientError> {
        match self {
            CallError::Request { source, .. } => Some(source),
            _ => None,
        }
    }

    /// Returns the provisional fallback ID the service issued, when that is why the call failed.
    pub fn provisional_id(&self) -> Option<crate::format::ChittyId> {
        match self.last_error()?.kind() {
            ErrorKind::Provisional { id } => Some(*id),
            _ => None,
        }
    }
}

impl Retryable for ClientError {
    fn is_retryable(&self) -> bool {
        ClientError::is_retryable(self)
    }

    fn retry_after(&self) -> Option<Duration> {
        ClientError::retry_after(self)
    }
}
