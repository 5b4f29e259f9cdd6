//! [`ClientBuilder`]: the base URL, token, timeouts, size limit and HTTP pool of a [`Client`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::Client;
use super::api::{Shared, Timeouts, TokenField};
use super::error::{Error, Operation};
use super::transport::Transport;
use crate::endpoint::{DEFAULT_SERVICE_URL, ServiceUrl, UrlError};
use crate::token::Token;

/// The default limit on a reply body: 1 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Configures and builds a [`Client`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use chittyid::{Client, ServiceUrl, Token};
///
/// let client = Client::builder()
///     .base_url(ServiceUrl::parse("http://127.0.0.1:8080")?)
///     .token(Token::new("s3cret"))
///     .mint_timeout(Duration::from_secs(3))
///     .build()?;
/// assert!(!format!("{client:?}").contains("s3cret"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ClientBuilder {
    base_url: Result<ServiceUrl, UrlError>,
    token: Option<Token>,
    timeouts: Timeouts,
    connect_timeout: Duration,
    max_response_bytes: usize,
    http_client: Option<reqwest::Client>,
    root_certificates: Vec<Vec<u8>>,
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// Starts from the defaults: [`DEFAULT_SERVICE_URL`], no token.
    pub fn new() -> ClientBuilder {
        ClientBuilder {
            base_url: ServiceUrl::parse(DEFAULT_SERVICE_URL),
            token: None,
            timeouts: Timeouts::default(),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            http_client: None,
            root_certificates: Vec::new(),
        }
    }

    /// Starts from the environment: the base URL from `CHITTYID_SERVICE_URL` (or [`DEFAULT_SERVICE_URL`] when it is
    /// unset) and the token from `CHITTY_ID_TOKEN` (or none). An invalid URL is reported by [`ClientBuilder::build`].
    pub fn from_env() -> ClientBuilder {
        let mut builder = ClientBuilder::new();
        builder.base_url = ServiceUrl::from_env();
        builder.token = Token::from_env();
        builder
    }

    /// Sets the service's base URL. Default is [`DEFAULT_SERVICE_URL`].
    pub fn base_url(mut self, url: ServiceUrl) -> ClientBuilder {
        self.base_url = Ok(url);
        self
    }

    /// Sets the bearer token sent with every request. Default is none, which only a loopback service accepts for
    /// minting.
    pub fn token(mut self, token: Token) -> ClientBuilder {
        self.token = Some(token);
        self
    }

    /// Sets the time limit of one mint, batch mint or reconcile request, from sending to the end of the reply.
    /// Default is 10 s.
    pub fn mint_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeouts.mint = timeout;
        self
    }

    /// Sets the time limit of one health request. Default is 5 s.
    pub fn health_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeouts.health = timeout;
        self
    }

    /// Sets the time limit of one validate request. Default is 10 s.
    pub fn validate_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeouts.validate = timeout;
        self
    }

    /// Sets the time limit for opening a connection, TLS included. Default is 5 s. Ignored when
    /// [`ClientBuilder::http_client`] is set, because that client carries its own.
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the largest reply body the client reads, in bytes; a larger one fails with
    /// [`ErrorKind::BodyTooLarge`](super::ErrorKind::BodyTooLarge). Default is 1 MiB.
    pub fn max_response_bytes(mut self, limit: usize) -> ClientBuilder {
        self.max_response_bytes = limit;
        self
    }

    /// Uses an existing reqwest client, so that several clients share one connection pool. Default is a new
    /// client with the connect timeout, no redirects, and the added root certificates.
    ///
    /// NOTE: a shared client follows its own redirect policy. reqwest's default follows up to 10 redirects and
    /// drops the `Authorization` header when a redirect leaves the original host.
    pub fn http_client(mut self, client: reqwest::Client) -> ClientBuilder {
        self.http_client = Some(client);
        self
    }

    /// Trusts a PEM-encoded root certificate in addition to the system's, for a service with a private CA.
    /// Default is the system's roots only. Ignored when [`ClientBuilder::http_client`] is set.
    pub fn add_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> ClientBuilder {
        self.root_certificates.push(pem.into());
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// Returns a configuration error when the base URL is invalid, such as plain `http://` to a host that is not
    /// loopback in `CHITTYID_SERVICE_URL`. The same holds when a timeout or the size limit is zero, when a root
    /// certificate is not PEM, and when the HTTP client cannot be created.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = self.base_url.map_err(|error| {
            Error::config(Operation::Build, None, "invalid base URL (CHITTYID_SERVICE_URL)").with_source(error)
        })?;
        let url = Some(base_url.as_url().clone());
        let fail = |reason: &str| Error::config(Operation::Build, url.clone(), reason);
        let timeouts = [self.timeouts.mint, self.timeouts.health, self.timeouts.validate, self.connect_timeout];
        if timeouts.contains(&Duration::ZERO) {
            return Err(fail("timeouts must be greater than zero"));
        }
        if self.max_response_bytes == 0 {
            return Err(fail("max_response_bytes must be greater than zero"));
        }
        let http = match self.http_client {
            Some(http) => http,
            None => {
                let mut builder = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("chittyid-rs/", env!("CARGO_PKG_VERSION")));
                let mut certificates = Vec::new();
                for pem in &self.root_certificates {
                    // Parsed as a bundle because a single-certificate parse defers every check to the first use.
                    let parsed = reqwest::Certificate::from_pem_bundle(pem)
                        .map_err(|error| fail("invalid PEM root certificate").with_source(error))?;
                    if parsed.is_empty() {
                        return Err(fail("root certificate has no PEM CERTIFICATE block"));
                    }
                    certificates.extend(parsed);
                }
                if !certificates.is_empty() {
                    builder = builder.tls_certs_merge(certificates);
                }
                builder.build().map_err(|error| fail("could not create the HTTP client").with_source(error))?
            }
        };
        let transport = Transport { http, token: self.token, max_response_bytes: self.max_response_bytes };
        Ok(Client { shared: Arc::new(Shared { base_url, transport, timeouts: self.timeouts }) })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &TokenField(&self.token))
            .field("timeouts", &self.timeouts)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("shared_http_client", &self.http_client.is_some())
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}
