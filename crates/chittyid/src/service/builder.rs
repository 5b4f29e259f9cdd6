//! [`ServiceBuilder`]: one place to configure the client, the connection manager and every resilience layer.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::ChittyIdService;
use super::calls::Layers;
use super::options::CallOptions;
use crate::client::{Client, ClientBuilder, Error as ClientError};
use crate::connection::{ConfigError, ConnectionManager, ConnectionManagerBuilder};
use crate::endpoint::ServiceUrl;
use crate::metrics::{Metrics, ReadingsSource};
use crate::resilience::{
    BreakerConfig, BreakerConfigError, BudgetConfig, CacheConfig, CircuitBreaker, RetryBudget, RetryPolicy, TtlCache,
};
use crate::token::Token;

/// A setting of the service that cannot be used; the variant names the layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The HTTP client could not be built (bad URL, missing token for a remote service, bad certificate).
    #[error("invalid client settings")]
    Client(#[source] ClientError),
    /// The connection manager's settings are invalid.
    #[error("invalid connection manager settings")]
    Connection(#[source] ConfigError),
    /// The circuit breaker's settings are invalid.
    #[error("invalid circuit breaker settings")]
    Breaker(#[source] BreakerConfigError),
    /// The [`Metrics`] passed to [`ServiceBuilder::metrics`] already serve another service.
    #[error("the metrics already serve another service: give each service its own `Metrics`")]
    MetricsInUse,
}

/// A deferred adjustment of the connection manager's builder.
type ConfigureConnection = Box<dyn FnOnce(ConnectionManagerBuilder) -> ConnectionManagerBuilder + Send>;

/// Configures a [`ChittyIdService`]. Every layer starts from its documented defaults.
pub struct ServiceBuilder {
    client: ClientBuilder,
    url: Option<ServiceUrl>,
    token: Option<Token>,
    health_check_interval: Option<Duration>,
    connection: Option<ConfigureConnection>,
    metrics: Option<Metrics>,
    breaker: BreakerConfig,
    retry: RetryPolicy,
    budget: BudgetConfig,
    cache: CacheConfig,
    options: CallOptions,
}

impl ServiceBuilder {
    /// Starts from `CHITTYID_SERVICE_URL` (or the hosted service) and `CHITTY_ID_TOKEN`.
    pub fn from_env() -> ServiceBuilder {
        ServiceBuilder::with_client(ClientBuilder::from_env(), ServiceUrl::from_env().ok(), Token::from_env())
    }

    /// Starts for the service at `url`, with no token.
    pub fn new(url: ServiceUrl) -> ServiceBuilder {
        ServiceBuilder::with_client(Client::builder().base_url(url.clone()), Some(url), None)
    }

    fn with_client(client: ClientBuilder, url: Option<ServiceUrl>, token: Option<Token>) -> ServiceBuilder {
        ServiceBuilder {
            client,
            url,
            token,
            health_check_interval: None,
            connection: None,
            metrics: None,
            breaker: BreakerConfig::default(),
            retry: RetryPolicy::default(),
            budget: BudgetConfig::default(),
            cache: CacheConfig::default(),
            options: CallOptions::default(),
        }
    }

    /// Sets the bearer token for the client and the health checks. Default is none (or `CHITTY_ID_TOKEN`).
    pub fn token(mut self, token: Token) -> Self {
        self.client = self.client.token(token.clone());
        self.token = Some(token);
        self
    }

    /// Adjusts the HTTP client's settings (timeouts, body limit, root certificates).
    pub fn client(mut self, configure: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Self {
        self.client = configure(self.client);
        self
    }

    /// Sets the connection manager's health check interval. Default is the manager's, 30 s.
    pub fn health_check_interval(mut self, interval: Duration) -> Self {
        self.health_check_interval = Some(interval);
        self
    }

    /// Adjusts the connection manager's settings (timeouts, backoff, health stream), after the token, the HTTP
    /// client and [`health_check_interval`](Self::health_check_interval) are applied. Default leaves the manager's
    /// defaults.
    pub fn connection(
        mut self,
        configure: impl FnOnce(ConnectionManagerBuilder) -> ConnectionManagerBuilder + Send + 'static,
    ) -> Self {
        self.connection = Some(Box::new(configure));
        self
    }

    /// Records the service's metrics in `metrics`, for an application that keeps a handle before building.
    /// Default is a new [`Metrics`], reachable through [`ChittyIdService::metrics`].
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Sets the circuit breaker's settings. Default is [`BreakerConfig::default`].
    pub fn breaker(mut self, config: BreakerConfig) -> Self {
        self.breaker = config;
        self
    }

    /// Sets the retry policy. Default is [`RetryPolicy::default`]: 3 attempts, 100 ms doubling to 5 s, jitter.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the retry budget. Default is [`BudgetConfig::default`]: 20 % of the last 10 s, at least 1 per second.
    pub fn retry_budget(mut self, config: BudgetConfig) -> Self {
        self.budget = config;
        self
    }

    /// Sets the validation cache. Default is [`CacheConfig::default`]: 10,000 entries, 5 minutes.
    pub fn cache(mut self, config: CacheConfig) -> Self {
        self.cache = config;
        self
    }

    /// Sets the options of calls that do not pass their own. Default is [`CallOptions::default`].
    pub fn default_call_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Builds the service. Nothing is sent until the first call or [`ChittyIdService::connect`].
    ///
    /// # Errors
    ///
    /// Returns [`BuildError`] naming the layer whose settings are invalid, or [`BuildError::MetricsInUse`].
    pub fn build(self) -> Result<ChittyIdService, BuildError> {
        let client = self.client.build().map_err(BuildError::Client)?;
        let url = self.url.unwrap_or_else(|| client.base_url().clone());
        let metrics = self.metrics.unwrap_or_default();
        let mut manager =
            ConnectionManager::builder(url).client(client.http_client()).instruments(Arc::clone(metrics.connection()));
        if let Some(token) = self.token {
            manager = manager.token(token);
        }
        if let Some(interval) = self.health_check_interval {
            manager = manager.health_check_interval(interval);
        }
        if let Some(configure) = self.connection {
            manager = configure(manager);
        }
        let manager = manager.build().map_err(BuildError::Connection)?;
        let breaker = CircuitBreaker::with_instruments(self.breaker, Some(metrics.breaker().clone()))
            .map_err(BuildError::Breaker)?;
        let layers = Layers {
            client,
            manager,
            breaker,
            budget: RetryBudget::new(self.budget),
            retry: self.retry,
            cache: TtlCache::new(self.cache),
            options: self.options,
            metrics,
        };
        let layers = Arc::new(layers);
        let source: Weak<dyn ReadingsSource> = Arc::downgrade(&layers) as Weak<dyn ReadingsSource>;
        if !layers.metrics.bind(source) {
            return Err(BuildError::MetricsInUse);
        }
        Ok(ChittyIdService { layers })
    }
}

impl std::fmt::Debug for ServiceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceBuilder")
            .field("client", &self.client)
            .field("url", &self.url)
            .field("token", &self.token)
            .field("health_check_interval", &self.health_check_interval)
            .field("connection", &self.connection.as_ref().map(|_| "FnOnce"))
            .field("metrics", &self.metrics)
            .field("breaker", &self.breaker)
            .field("retry", &self.retry)
            .field("budget", &self.budget)
            .field("cache", &self.cache)
            .field("options", &self.options)
            .finish()
    }
}
