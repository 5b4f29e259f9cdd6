//! Per-call choices: what to do while the connection is down, and how long the whole call may take.

use std::time::Duration;

/// What a call does while the connection manager is not `Connected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionPolicy {
    /// Waits for the connection, up to the call's deadline. The default, because a bulk job or a request handler
    /// would rather ride out a short outage than fail every call made during it.
    #[default]
    Wait,
    /// Fails at once with [`CallError::NotConnected`](super::CallError::NotConnected), in microseconds.
    FailFast,
}

/// Options of one call. The default waits for the connection and bounds the call at 30 s across all attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallOptions {
    pub(crate) connection: ConnectionPolicy,
    pub(crate) deadline: Duration,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions { connection: ConnectionPolicy::Wait, deadline: Duration::from_secs(30) }
    }
}

impl CallOptions {
    /// Sets what the call does while the connection is down. Default is [`ConnectionPolicy::Wait`].
    pub fn connection(mut self, policy: ConnectionPolicy) -> Self {
        self.connection = policy;
        self
    }

    /// Shorthand for [`ConnectionPolicy::FailFast`].
    pub fn fail_fast(self) -> Self {
        self.connection(ConnectionPolicy::FailFast)
    }

    /// Sets the time the whole call may take: waiting for the connection, every attempt and every backoff.
    /// Default is 30 s.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }
}
