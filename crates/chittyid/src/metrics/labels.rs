//! Label values of the metrics: small closed sets, so that no series is created per ID, key or URL.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use serde::Serialize;

use crate::client::ErrorKind;
use crate::connection::ConnectionState;
use crate::resilience::BreakerState;
use crate::service::CallError;

/// Writes a label value. Every label enum below uses it.
fn write_label(encoder: &mut LabelValueEncoder<'_>, value: &str) -> Result<(), std::fmt::Error> {
    std::fmt::Write::write_str(encoder, value)
}

/// The service operation a call made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOperation {
    /// One mint.
    Mint,
    /// A batch mint.
    MintBatch,
    /// A remote validation.
    Validate,
    /// The replacement of a provisional ID.
    Reconcile,
}

impl CallOperation {
    pub(crate) const ALL: [CallOperation; 4] =
        [CallOperation::Mint, CallOperation::MintBatch, CallOperation::Validate, CallOperation::Reconcile];

    /// Returns the label value, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOperation::Mint => "mint",
            CallOperation::MintBatch => "mint_batch",
            CallOperation::Validate => "validate",
            CallOperation::Reconcile => "reconcile",
        }
    }
}

impl EncodeLabelValue for CallOperation {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        write_label(encoder, self.as_str())
    }
}

/// The end of a call, as the `outcome` label names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// The call returned its value.
    Success,
    /// The service issued a provisional fallback ID.
    Provisional,
    /// The manager was not connected and the call did not wait, or the manager gave up.
    NotConnected,
    /// The call's deadline passed while it waited for the connection or an attempt.
    DeadlineExceeded,
    /// The circuit breaker rejected the call without contacting the service.
    CircuitOpen,
    /// The TCP or TLS connection failed or closed, or the transport failed.
    ConnectionError,
    /// The request timed out.
    Timeout,
    /// The service replied 5xx or 429.
    ServerError,
    /// The service replied with another error status, or rejected the request in its reply body.
    Rejected,
    /// The service rejected the token (401 or 403).
    Unauthorized,
    /// The reply was too large, not valid JSON, or carried an invalid ID.
    InvalidReply,
    /// The request was invalid, so nothing was sent.
    InvalidRequest,
}

impl CallOutcome {
    pub(crate) const ALL: [CallOutcome; 12] = [
        CallOutcome::Success,
        CallOutcome::Provisional,
        CallOutcome::NotConnected,
        CallOutcome::DeadlineExceeded,
        CallOutcome::CircuitOpen,
        CallOutcome::ConnectionError,
        CallOutcome::Timeout,
        CallOutcome::ServerError,
        CallOutcome::Rejected,
        CallOutcome::Unauthorized,
        CallOutcome::InvalidReply,
        CallOutcome::InvalidRequest,
    ];

    /// Classifies a call's result.
    pub fn of<T>(result: &Result<T, CallError>) -> CallOutcome {
        let error = match result {
            Ok(_) => return CallOutcome::Success,
            Err(error) => error,
        };
        let source = match error {
            CallError::NotConnected { .. } => return CallOutcome::NotConnected,
            CallError::ConnectionWaitTimedOut { .. } => return CallOutcome::DeadlineExceeded,
            CallError::CircuitOpen(_) => return CallOutcome::CircuitOpen,
            CallError::Request { source, .. } => source,
        };
        CallOutcome::of_request(source)
    }

    /// Classifies a failed request.
    pub(crate) fn of_request(error: &crate::client::Error) -> CallOutcome {
        match error.kind() {
            ErrorKind::Config { .. } => CallOutcome::InvalidRequest,
            ErrorKind::Connect | ErrorKind::ConnectionClosed | ErrorKind::Transport => CallOutcome::ConnectionError,
            ErrorKind::Timeout { .. } => CallOutcome::Timeout,
            ErrorKind::Status { status, .. } if status.is_server_error() || status.as_u16() == 429 => {
                CallOutcome::ServerError
            }
            ErrorKind::Status { .. } | ErrorKind::Rejected { .. } => CallOutcome::Rejected,
            ErrorKind::Unauthorized { .. } | ErrorKind::Forbidden { .. } => CallOutcome::Unauthorized,
            ErrorKind::BodyTooLarge { .. } | ErrorKind::Decode { .. } | ErrorKind::InvalidId { .. } => {
                CallOutcome::InvalidReply
            }
            ErrorKind::Provisional { .. } => CallOutcome::Provisional,
        }
    }

    /// Returns the label value, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Success => "success",
            CallOutcome::Provisional => "provisional",
            CallOutcome::NotConnected => "not_connected",
            CallOutcome::DeadlineExceeded => "deadline_exceeded",
            CallOutcome::CircuitOpen => "circuit_open",
            CallOutcome::ConnectionError => "connection_error",
            CallOutcome::Timeout => "timeout",
            CallOutcome::ServerError => "server_error",
            CallOutcome::Rejected => "rejected",
            CallOutcome::Unauthorized => "unauthorized",
            CallOutcome::InvalidReply => "invalid_reply",
            CallOutcome::InvalidRequest => "invalid_request",
        }
    }
}

impl EncodeLabelValue for CallOutcome {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        write_label(encoder, self.as_str())
    }
}

/// A connection or breaker state as a label value: the lower-case state name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum StateLabel {
    Connection(ConnectionState),
    Breaker(BreakerState),
}

impl StateLabel {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StateLabel::Connection(ConnectionState::Disconnected) => "disconnected",
            StateLabel::Connection(ConnectionState::Connecting) => "connecting",
            StateLabel::Connection(ConnectionState::Connected) => "connected",
            StateLabel::Connection(ConnectionState::Reconnecting) => "reconnecting",
            StateLabel::Connection(ConnectionState::Failed) => "failed",
            StateLabel::Breaker(BreakerState::Closed) => "closed",
            StateLabel::Breaker(BreakerState::Open) => "open",
            StateLabel::Breaker(BreakerState::HalfOpen) => "half_open",
        }
    }
}

impl EncodeLabelValue for StateLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        write_label(encoder, self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct CallLabels {
    pub(crate) operation: CallOperation,
    pub(crate) outcome: CallOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct OperationLabels {
    pub(crate) operation: CallOperation,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct TransitionLabels {
    pub(crate) from: StateLabel,
    pub(crate) to: StateLabel,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct StateLabels {
    pub(crate) state: StateLabel,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct CheckLabels {
    pub(crate) outcome: &'static str,
}
