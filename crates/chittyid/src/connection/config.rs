//! The manager's builder: settings with their defaults, checked when the manager is built.

use std::sync::Arc;
use std::time::Duration;

use super::probe::{HttpProbe, HttpProbeInner, Probe};
use super::{ConfigError, ConnectionManager};
use crate::metrics::ConnectionInstruments;
use crate::{Backoff, ServiceUrl, Token};

/// Settings the manager's task reads.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) health_check_interval: Duration,
    pub(super) health_check_timeout: Duration,
    pub(super) backoff: Backoff,
    pub(super) health_stream: bool,
    pub(super) passive_check_spacing: Duration,
    /// The instruments that record state changes and health-check durations, set by the service that owns the
    /// manager.
    pub(super) instruments: Option<Arc<ConnectionInstruments>>,
}

/// Builds a [`ConnectionManager`]; created by [`ConnectionManager::builder`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use chittyid::{Backoff, ServiceUrl, Token};
/// use chittyid::connection::ConnectionManager;
///
/// let manager = ConnectionManager::builder(ServiceUrl::parse("http://127.0.0.1:8080")?)
///     .token(Token::new("s3cret"))
///     .health_check_interval(Duration::from_secs(10))
///     .backoff(Backoff::new().max_attempts(Some(20)))
///     .build()?;
/// assert_eq!(manager.state(), chittyid::connection::ConnectionState::Disconnected);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct ConnectionManagerBuilder {
    service_url: ServiceUrl,
    token: Option<Token>,
    client: Option<reqwest::Client>,
    settings: Settings,
    stream_silence_timeout: Duration,
    event_capacity: usize,
    #[cfg(test)]
    probe: Option<Arc<dyn Probe>>,
}

impl std::fmt::Debug for dyn Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probe")
    }
}

impl ConnectionManagerBuilder {
    pub(super) fn new(service_url: ServiceUrl) -> ConnectionManagerBuilder {
        ConnectionManagerBuilder {
            service_url,
            token: None,
            client: None,
            settings: Settings {
                health_check_interval: Duration::from_secs(30),
                health_check_timeout: Duration::from_secs(5),
                backoff: Backoff::new(),
                health_stream: true,
                passive_check_spacing: Duration::from_secs(1),
                instruments: None,
            },
            stream_silence_timeout: Duration::from_secs(45),
            event_capacity: 64,
            #[cfg(test)]
            probe: None,
        }
    }

    /// Sets the bearer token sent with every health check. Default is none.
    pub fn token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// Shares an HTTP client, with its connection pool, instead of building one per manager. Default is a new
    /// client with reqwest's defaults.
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Sets the time between health checks while connected, counted from the end of the previous check. Default
    /// is 30 s.
    pub fn health_check_interval(mut self, interval: Duration) -> Self {
        self.settings.health_check_interval = interval;
        self
    }

    /// Sets how long one health check, or opening the health stream, may take. Default is 5 s.
    pub fn health_check_timeout(mut self, timeout: Duration) -> Self {
        self.settings.health_check_timeout = timeout;
        self
    }

    /// Sets the reconnect backoff, including the maximum number of attempts. Default is [`Backoff::new`]: 1 s,
    /// doubling, capped at 60 s, jittered, unlimited attempts.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.settings.backoff = backoff;
        self
    }

    /// Turns the health stream (`GET /health/stream`) on or off. Against a service without it the manager polls
    /// only, whatever this setting is. Default is on.
    pub fn health_stream(mut self, enabled: bool) -> Self {
        self.settings.health_stream = enabled;
        self
    }

    /// Sets how long the health stream may stay silent before it counts as broken. The local service sends a
    /// keep-alive every 15 s. Default is 45 s.
    pub fn stream_silence_timeout(mut self, timeout: Duration) -> Self {
        self.stream_silence_timeout = timeout;
        self
    }

    /// Sets how many events a slow [`EventStream`](super::EventStream) subscriber may fall behind before it misses
    /// some. Default is 64.
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity;
        self
    }

    /// Sets the shortest time between the end of one health check and a check triggered by
    /// [`ConnectionManager::report_connection_failure`], so that a burst of failing requests costs one check.
    /// Default is 1 s.
    pub fn passive_check_spacing(mut self, spacing: Duration) -> Self {
        self.settings.passive_check_spacing = spacing;
        self
    }

    #[cfg(test)]
    pub(super) fn probe(mut self, probe: Arc<dyn Probe>) -> Self {
        self.probe = Some(probe);
        self
    }

    pub(crate) fn instruments(mut self, instruments: Arc<ConnectionInstruments>) -> Self {
        self.settings.instruments = Some(instruments);
        self
    }

    /// Checks the settings and builds the manager. The manager starts with the first
    /// [`connect`](ConnectionManager::connect).
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError`] naming the first invalid setting, or when the default HTTP client cannot be built.
    pub fn build(self) -> Result<ConnectionManager, ConfigError> {
        let durations = [
            ("health_check_interval", self.settings.health_check_interval),
            ("health_check_timeout", self.settings.health_check_timeout),
            ("stream_silence_timeout", self.stream_silence_timeout),
        ];
        if let Some((setting, _)) = durations.iter().find(|(_, duration)| duration.is_zero()) {
            return Err(ConfigError::ZeroDuration { setting });
        }
        if self.event_capacity == 0 {
            return Err(ConfigError::ZeroEventCapacity);
        }
        self.settings.backoff.validate().map_err(ConfigError::Backoff)?;

        #[cfg(test)]
        if let Some(probe) = self.probe {
            return Ok(ConnectionManager::from_parts(self.service_url, probe, self.settings, self.event_capacity));
        }
        let client = match self.client {
            Some(client) => client,
            None => reqwest::Client::builder().build().map_err(ConfigError::HttpClient)?,
        };
        let probe = HttpProbe::new(HttpProbeInner {
            client,
            health_url: self.service_url.join("/health"),
            stream_url: self.service_url.join("/health/stream"),
            token: self.token,
            open_timeout: self.settings.health_check_timeout,
            silence_timeout: self.stream_silence_timeout,
        });
        Ok(ConnectionManager::from_parts(self.service_url, Arc::new(probe), self.settings, self.event_capacity))
    }
}
