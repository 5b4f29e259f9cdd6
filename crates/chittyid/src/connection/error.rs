//! The errors of the connection manager: failed health checks, why the manager gave up, and configuration.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use super::ConnectionState;
use crate::{BackoffError, UrlError};

/// A health check that did not find a healthy service.
///
/// [`HealthCheckError::is_permanent`] separates failures that retrying cannot fix (the token is rejected) from
/// transient ones (connection refused, timeout, 5xx, 429). The error is `Clone`, because one check's outcome goes
/// to several waiting callers.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum HealthCheckError {
    /// The request did not reach the service or the reply was cut off: refused, reset, DNS or TLS failure.
    #[error("health check request failed")]
    Transport {
        /// The underlying transport error.
        #[source]
        source: Arc<dyn StdError + Send + Sync>,
    },
    /// The check got no reply within the timeout.
    #[error("health check timed out after {timeout:?}")]
    TimedOut {
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The service rejected the token with 401 or 403.
    #[error("service rejected the token with HTTP {status}: check CHITTY_ID_TOKEN")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
    },
    /// The service returned a status other than 2xx, 401 and 403, such as 429 or 503.
    #[error("health check returned HTTP {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// The service returned 2xx, but its body reports a status other than `ok`.
    #[error("service reports status {status:?}")]
    Unhealthy {
        /// The reported status, up to 64 characters.
        status: String,
    },
    /// The reply body is not a health reply.
    #[error("invalid health reply body")]
    InvalidBody {
        /// The decoding error.
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// The reply body is larger than the limit.
    #[error("health reply body exceeds {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request could not be built, for example because the URL cannot carry it.
    #[error("invalid health check request")]
    InvalidRequest {
        /// The underlying error.
        #[source]
        source: Arc<dyn StdError + Send + Sync>,
    },
    /// The manager was disconnected or dropped before the check finished.
    #[error("health check cancelled because the manager stopped")]
    Cancelled,
}

impl HealthCheckError {
    /// Tells whether retrying cannot help: the token was rejected (401/403) or the request cannot be built.
    pub fn is_permanent(&self) -> bool {
        matches!(self, HealthCheckError::Unauthorized { .. } | HealthCheckError::InvalidRequest { .. })
    }
}

/// Why a manager moved to [`ConnectionState::Failed`].
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FailureReason {
    /// Every allowed reconnect attempt failed; the source is the last attempt's error.
    #[error("gave up after {attempts} reconnect attempts")]
    MaxReconnectAttempts {
        /// How many reconnect attempts were made.
        attempts: u32,
        /// The error of the last attempt.
        #[source]
        last_error: HealthCheckError,
    },
    /// A health check failed in a way that retrying cannot fix.
    #[error("stopped retrying after a permanent failure")]
    Permanent {
        /// The failed check.
        #[source]
        error: HealthCheckError,
    },
}

impl FailureReason {
    /// Returns the health check error behind the failure.
    pub fn health_check_error(&self) -> &HealthCheckError {
        match self {
            FailureReason::MaxReconnectAttempts { last_error, .. } => last_error,
            FailureReason::Permanent { error } => error,
        }
    }
}

/// The outcome of a [`ConnectionManager::connect`](super::ConnectionManager::connect) that did not connect.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The attempt failed with a transient error; the manager is `Reconnecting` and keeps trying in the background.
    #[error("service unavailable, reconnecting in the background")]
    Unavailable {
        /// The failed attempt's error.
        #[source]
        error: HealthCheckError,
    },
    /// The manager gave up and is `Failed`.
    #[error("connection manager failed")]
    Failed {
        /// The reason it gave up.
        #[source]
        reason: FailureReason,
    },
    /// The manager was disconnected or dropped before the attempt ended.
    #[error("connection manager was disconnected before the attempt ended")]
    Disconnected,
}

/// A wait for a state that did not end in that state.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The state was not reached within the timeout.
    #[error("state {expected} not reached within {timeout:?}, state is {actual}")]
    TimedOut {
        /// The awaited state.
        expected: ConnectionState,
        /// The state when the wait ended.
        actual: ConnectionState,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The manager moved to `Failed` while the caller waited for another state.
    #[error("connection manager failed while waiting for state {expected}")]
    Failed {
        /// The awaited state.
        expected: ConnectionState,
        /// The reason the manager gave up, when known.
        #[source]
        reason: Option<FailureReason>,
    },
}

/// A manager configuration that cannot be used; the variant names the setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A duration setting is zero.
    #[error("{setting} must be greater than zero")]
    ZeroDuration {
        /// The setting's name, as its builder method is called.
        setting: &'static str,
    },
    /// The event buffer has no room.
    #[error("event_capacity must be at least 1")]
    ZeroEventCapacity,
    /// The backoff settings are invalid.
    #[error("invalid reconnect backoff")]
    Backoff(#[source] BackoffError),
    /// The service URL from the environment is invalid.
    #[error("invalid service URL in the environment")]
    Url(#[source] UrlError),
    /// The default HTTP client could not be built.
    #[error("failed to build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}
