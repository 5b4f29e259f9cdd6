//! The server's configuration.

use std::path::PathBuf;
use std::time::Duration;

use chittyid::Token;

/// The default limit on request bodies: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// The default interval between keep-alive comments on `/health/stream`: 15 s.
pub const DEFAULT_STREAM_KEEPALIVE: Duration = Duration::from_secs(15);

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

    /// Checks the values that would make the server misbehave.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.stream_keepalive.is_zero() {
            return Err(ConfigError { field: "stream_keepalive", reason: "must be more than zero" });
        }
        if self.body_limit == 0 {
            return Err(ConfigError { field: "body_limit", reason: "must be more than zero" });
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
