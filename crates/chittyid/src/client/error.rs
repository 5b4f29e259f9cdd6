//! The client's error type: which operation failed, on which URL, what kind of failure, and its cause.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use url::Url;

use crate::format::{ChittyId, ParseError};

/// The client operation that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Building the client ([`ClientBuilder::build`](super::ClientBuilder::build)).
    Build,
    /// `POST /mint`.
    Mint,
    /// `POST /v1/mint/batch`.
    BatchMint,
    /// `POST /api/validate`.
    Validate,
    /// `POST /api/validate` with a fallback ID, to have it replaced.
    Reconcile,
    /// `GET /health`.
    Health,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Build => "build",
            Operation::Mint => "mint",
            Operation::BatchMint => "batch mint",
            Operation::Validate => "validate",
            Operation::Reconcile => "reconcile",
            Operation::Health => "health",
        })
    }
}

/// The kind of failure, with the data that belongs to it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration or the request is invalid, so nothing was sent: a bad URL, a missing token, a field out of
    /// range.
    Config {
        /// The problem and how to fix it.
        reason: String,
    },
    /// The TCP or TLS connection could not be established.
    Connect,
    /// The operation did not finish within its timeout.
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection closed before the reply was complete. A mint may still have been applied by the service.
    ConnectionClosed,
    /// The service replied with a status other than 2xx, 401 or 403.
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// The delay the service asked for in `Retry-After`, if any.
        retry_after: Option<Duration>,
        /// The `message` or `error` of the JSON error body, if any.
        message: Option<String>,
    },
    /// The service replied 401: the token is missing or not accepted.
    Unauthorized {
        /// The `message` or `error` of the JSON error body, if any.
        message: Option<String>,
    },
    /// The service replied 403: the token is valid but lacks permission.
    Forbidden {
        /// The `message` or `error` of the JSON error body, if any.
        message: Option<String>,
    },
    /// The service replied 2xx with `success: false`.
    Rejected {
        /// The service's reason.
        message: String,
    },
    /// The reply body exceeded the size limit; the client stopped reading it.
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The reply is not JSON, has the wrong content type, or lacks a required field.
    Decode {
        /// The problem with the reply.
        reason: String,
    },
    /// The service returned an ID that fails local validation; the cause is the [`ParseError`].
    InvalidId {
        /// The returned text, truncated to 64 characters.
        raw: String,
    },
    /// The service issued a provisional fallback ID instead of a final one.
    Provisional {
        /// The provisional ID, to be replaced later with [`Client::reconcile`](super::Client::reconcile).
        id: ChittyId,
    },
    /// Any other HTTP failure, such as a redirect or an error while sending the request body.
    Transport,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Config { reason } => f.write_str(reason),
            ErrorKind::Connect => f.write_str("could not connect"),
            ErrorKind::Timeout { after } => write!(f, "timed out after {after:?}"),
            ErrorKind::ConnectionClosed => f.write_str("connection closed before the reply was complete"),
            ErrorKind::Status { status, message, .. } => {
                write!(f, "service returned {status}")?;
                match message {
                    Some(message) => write!(f, ": {message}"),
                    None => Ok(()),
                }
            }
            ErrorKind::Unauthorized { .. } => {
                f.write_str("401 unauthorized: the token is missing or not accepted (set CHITTY_ID_TOKEN)")
            }
            ErrorKind::Forbidden { .. } => f.write_str("403 forbidden: the token lacks permission for this operation"),
            ErrorKind::Rejected { message } => write!(f, "service rejected the request: {message}"),
            ErrorKind::BodyTooLarge { limit } => write!(f, "reply body exceeds the limit of {limit} bytes"),
            ErrorKind::Decode { reason } => write!(f, "invalid reply: {reason}"),
            ErrorKind::InvalidId { .. } => f.write_str("service returned an ID that fails local validation"),
            ErrorKind::Provisional { id } => write!(f, "service issued provisional fallback ID {id}, not a final ID"),
            ErrorKind::Transport => f.write_str("HTTP request failed"),
        }
    }
}

type Source = Arc<dyn StdError + Send + Sync + 'static>;

/// A failed client operation: which one, on which URL, what kind of failure, and its cause.
///
/// The URL is the request URL without query, never a token. [`Error::source`](StdError::source) returns the
/// underlying cause (an I/O, HTTP, JSON or ID parse error) when there is one; the `Display` output does not repeat it.
///
/// `Error` is cheap to clone, so that a retry layer can keep the last error and a connection manager can publish it.
#[derive(Clone)]
pub struct Error {
    // Boxed so that `Result<T, Error>` stays one pointer wide on the error side.
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    operation: Operation,
    url: Option<Url>,
    kind: ErrorKind,
    source: Option<Source>,
}

impl Error {
    pub(crate) fn new(operation: Operation, url: Option<Url>, kind: ErrorKind) -> Error {
        Error { inner: Box::new(Inner { operation, url, kind, source: None }) }
    }

    pub(crate) fn config(operation: Operation, url: Option<Url>, reason: impl Into<String>) -> Error {
        Error::new(operation, url, ErrorKind::Config { reason: reason.into() })
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Error {
        self.inner.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn invalid_id(operation: Operation, url: Url, raw: &str, source: ParseError) -> Error {
        let raw = raw.chars().take(64).collect();
        Error::new(operation, Some(url), ErrorKind::InvalidId { raw }).with_source(source)
    }

    /// Returns the operation that failed.
    pub fn operation(&self) -> Operation {
        self.inner.operation
    }

    /// Returns the request URL, or `None` when the client could not be built from its URL.
    pub fn url(&self) -> Option<&Url> {
        self.inner.url.as_ref()
    }

    /// Returns what went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// Returns the delay the service asked for with `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.inner.kind {
            ErrorKind::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Tells whether the same request may succeed if sent again: connect failures, timeouts, connections closed
    /// before the reply, and the statuses 429, 502, 503 and 504. For a mint or batch mint, 409 counts too, because
    /// a service that honours `Idempotency-Key` returns it while the first request with the same key still runs.
    ///
    /// A mint retried after a timeout or a closed connection may already have been applied, so a retry must resend
    /// the same [`Mint`](super::Mint), which carries the same idempotency key.
    pub fn is_retryable(&self) -> bool {
        match &self.inner.kind {
            ErrorKind::Connect | ErrorKind::Timeout { .. } | ErrorKind::ConnectionClosed => true,
            ErrorKind::Status { status, .. } => match status.as_u16() {
                429 | 502 | 503 | 504 => true,
                409 => matches!(self.inner.operation, Operation::Mint | Operation::BatchMint),
                _ => false,
            },
            _ => false,
        }
    }

    /// Tells whether the failure is at the connection level (connect failure, timeout, connection closed), which
    /// suggests the service is unreachable rather than unwilling.
    pub fn is_connection_level(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Connect | ErrorKind::Timeout { .. } | ErrorKind::ConnectionClosed)
    }

    /// Tells whether the failure will repeat until the configuration changes: 401, 403 and configuration errors.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Config { .. } | ErrorKind::Unauthorized { .. } | ErrorKind::Forbidden { .. }
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.inner.operation, &self.inner.url) {
            (Operation::Build, Some(url)) => write!(f, "building the client for {url} failed: {}", self.inner.kind),
            (Operation::Build, None) => write!(f, "building the client failed: {}", self.inner.kind),
            // A configuration error stops the request before it is sent, so "request … failed" would mislead.
            (operation, Some(url)) if matches!(self.inner.kind, ErrorKind::Config { .. }) => {
                write!(f, "{operation} request to {url} not sent: {}", self.inner.kind)
            }
            (operation, None) if matches!(self.inner.kind, ErrorKind::Config { .. }) => {
                write!(f, "{operation} request not sent: {}", self.inner.kind)
            }
            (operation, Some(url)) => write!(f, "{operation} request to {url} failed: {}", self.inner.kind),
            (operation, None) => write!(f, "{operation} request failed: {}", self.inner.kind),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("operation", &self.inner.operation)
            .field("url", &self.inner.url.as_ref().map(Url::as_str))
            .field("kind", &self.inner.kind)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.source.as_deref().map(|source| source as &(dyn StdError + 'static))
    }
}

/// The failure of one entry of a batch mint that succeeded as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// The service rejected this entry.
    #[error("entry rejected: {message}")]
    Rejected {
        /// The service's reason.
        message: String,
    },
    /// The service returned an ID for this entry that fails local validation.
    #[error("entry returned an ID that fails local validation")]
    InvalidId {
        /// The returned text, truncated to 64 characters.
        raw: String,
        /// The parse failure.
        #[source]
        source: ParseError,
    },
    /// The service issued a provisional fallback ID for this entry.
    #[error("entry got provisional fallback ID {id}, not a final ID")]
    Provisional {
        /// The provisional ID, to be replaced later with [`Client::reconcile`](super::Client::reconcile).
        id: ChittyId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_static<T: Send + Sync + 'static>() {}

    #[test]
    fn error_crosses_tasks() {
        // Compiles only while `Error` can be sent to another task and kept behind an `Arc`.
        assert_send_sync_static::<Error>();
        assert_send_sync_static::<EntryError>();
    }

    #[test]
    fn display_names_operation_and_url() {
        let url = Url::parse("http://127.0.0.1:1/mint").unwrap();
        let error = Error::new(Operation::Mint, Some(url), ErrorKind::Connect);

        assert_eq!(error.to_string(), "mint request to http://127.0.0.1:1/mint failed: could not connect");
    }

    #[test]
    fn config_error_says_nothing_was_sent() {
        let url = Url::parse("http://127.0.0.1:1/mint").unwrap();
        let error = Error::config(Operation::Mint, Some(url), "invalid region 0: expected 1-9");

        assert_eq!(
            error.to_string(),
            "mint request to http://127.0.0.1:1/mint not sent: invalid region 0: expected 1-9"
        );
    }

    #[test]
    fn build_error_without_url_names_the_build() {
        let error = Error::config(Operation::Build, None, "invalid base URL (CHITTYID_SERVICE_URL)");

        assert_eq!(error.to_string(), "building the client failed: invalid base URL (CHITTYID_SERVICE_URL)");
    }
}
