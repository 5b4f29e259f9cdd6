//! The server's configuration.

use std::path::PathBuf;
use std::time::Duration;

use chittyid::Token;

/// The default limit on request bodies: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// The default interval between keep-alive comments on `/health/stream`: 15 s.
pub const DEFAULT_STREAM_KEEPALIVE: Duration = Duration::from_secs(15);

/// The default time a client has to send a request's headers: 30 s, as hyper 1 uses.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The default time a client has to send a whole request body: 30 s.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The default maximum of idempotency keys claimed by running requests at once: 10,000.
pub const DEFAULT_MAX_KEYS_IN_FLIGHT: usize = 10_000;

/// How the server stores data, checks tokens and limits requests.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use chittyid_server::ServerConfig;
///
/// let config = ServerConfig::new("/var/lib/chittyid")
///     .token(chittyid::Token::new("s3cret"))
///     .stream_keepalive(Duration::from_secs(5));
/// assert_eq!(config.tokens.len(), 1);
/// assert!(!config.enable_admin);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The directory of the database file (`chittyid.redb`); created if missing.
    pub data_dir: PathBuf,
    /// The bearer tokens that may mint. Empty means minting is open to anyone. Default is empty.
    pub tokens: Vec<Token>,
    /// The largest accepted request body in bytes; larger bodies get 413. Default is 64 KiB.
    pub body_limit: usize,
    /// The interval between keep-alive comments on `/health/stream`. Default is 15 s.
    pub stream_keepalive: Duration,
    /// Whether `/admin/faults` (fault injection for tests) is served. Default is `false`.
    pub enable_admin: bool,
    /// How long a client may take to send a request's headers, counted from the connection's start or from the
    /// end of its previous request, before the server closes the connection. Default is 30 s.
    ///
    /// NOTE: on HTTP/2 connections the deadline covers only the first request, because hyper 1.13 has no
    /// per-stream header timeout.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a whole request body, counted once the headers are in. A slower
    /// client gets 408 and the connection is closed. Default is 30 s.
    pub body_read_timeout: Duration,
    /// How many idempotency keys running requests may claim at once. A request over the limit gets 503 with
    /// `Retry-After`, so that memory stays bounded under a flood of distinct keys. Default is 10,000.
    pub max_keys_in_flight: usize,
}

impl ServerConfig {
    /// Creates a configuration with the defaults above and data in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            data_dir: data_dir.into(),
            tokens: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            stream_keepalive: DEFAULT_STREAM_KEEPALIVE,
            enable_admin: false,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            max_keys_in_flight: DEFAULT_MAX_KEYS_IN_FLIGHT,
        }
    }

    /// Adds a bearer token that may mint. Once one token is set, minting requires a token. Default is none.
    pub fn token(mut self, token: Token) -> ServerConfig {
        self.tokens.push(token);
        self
    }

    /// Sets the largest accepted request body in bytes. Default is 64 KiB.
    pub fn body_limit(mut self, bytes: usize) -> ServerConfig {
        self.body_limit = bytes;
        self
    }

    /// Sets the interval between keep-alive comments on `/health/stream`. Default is 15 s.
    pub fn stream_keepalive(mut self, interval: Duration) -> ServerConfig {
        self.stream_keepalive = interval;
        self
    }

    /// Serves the fault-injection endpoint `/admin/faults`. Default is `false`.
    pub fn enable_admin(mut self, enable: bool) -> ServerConfig {
        self.enable_admin = enable;
        self
    }

    /// Sets how long a client may take to send a request's headers before the connection is closed. Default is
    /// 30 s.
    pub fn header_read_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets how long a client may take to send a whole request body before it gets 408. Default is 30 s.
    pub fn body_read_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.body_read_timeout = timeout;
        self
    }

    /// Sets how many idempotency keys running requests may claim at once. Default is 10,000.
    pub fn max_keys_in_flight(mut self, keys: usize) -> ServerConfig {
        self.max_keys_in_flight = keys;
        self
    }

    /// Checks the values that would make the server misbehave.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.stream_keepalive.is_zero() {
            return Err(ConfigError { field: "stream_keepalive", reason: "must be more than zero" });
        }
        if self.body_limit == 0 {
            return Err(ConfigError { field: "body_limit", reason: "must be more than zero" });
        }
        if self.header_read_timeout.is_zero() {
            return Err(ConfigError { field: "header_read_timeout", reason: "must be more than zero" });
        }
        if self.body_read_timeout.is_zero() {
            return Err(ConfigError { field: "body_read_timeout", reason: "must be more than zero" });
        }
        if self.max_keys_in_flight == 0 {
            return Err(ConfigError { field: "max_keys_in_flight", reason: "must be more than zero" });
        }
        if self.tokens.iter().any(|token| token.expose().trim().is_empty()) {
            return Err(ConfigError { field: "tokens", reason: "must not contain an empty token" });
        }
        Ok(())
    }
}

/// A configuration value that the server cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid server configuration: {field} {reason}")]
pub struct ConfigError {
    field: &'static str,
    reason: &'static str,
}

impl ConfigError {
    /// Returns the name of the invalid field.
    pub fn field(&self) -> &'static str {
        self.field
    }
}
