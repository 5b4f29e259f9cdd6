//! Prometheus metrics of one [`ChittyIdService`](crate::service::ChittyIdService): the connection, the health
//! checks, the calls and every resilience layer, rendered as text exposition on demand.
//!
//! Each service owns one [`Metrics`], with its own [`prometheus_client`] registry and no global state, so two
//! services in one process (or two tests) never mix their numbers. Render it with [`Metrics::render`] and serve the
//! text as [`CONTENT_TYPE`], or let the monitor (`chittyid::monitor`) serve it on an address of your choice.
//!
//! # Metrics
//!
//! Every name has the prefix `chittyid_`. Durations are in seconds.
//!
//! | name | type | labels | meaning |
//! |---|---|---|---|
//! | `connection_state` | gauge | `state` | 1 for the manager's current state, 0 for the others |
//! | `connection_transitions_total` | counter | `from`, `to` | state changes of the connection manager |
//! | `health_checks_total` | counter | `outcome` (`healthy`, `unhealthy`) | health checks, connection attempts included |
//! | `health_check_duration_seconds` | histogram | | time from sending a health check to its outcome |
//! | `reconnect_attempts_total` | counter | | reconnect attempts started |
//! | `calls_total` | counter | `operation`, `outcome` | calls by operation and by how they ended ([`CallOutcome`]) |
//! | `call_duration_seconds` | histogram | `operation` | whole calls: connection wait, attempts and retry waits |
//! | `retries_total` | counter | `operation` | attempts after the first |
//! | `retry_budget_rejections_total` | counter | | retries the retry budget refused |
//! | `breaker_state` | gauge | `state` | 1 for the circuit breaker's current state, 0 for the others |
//! | `breaker_transitions_total` | counter | `from`, `to` | state changes of the circuit breaker |
//! | `breaker_rejections_total` | counter | | calls the breaker rejected without contacting the service |
//! | `cache_hits_total`, `cache_misses_total` | counter | | validation cache lookups |
//! | `cache_entries` | gauge | | entries in the validation cache |
//!
//! The success series of `calls_total` and the series of `retries_total` exist from the start with value 0, so that
//! `rate()` counts the first call. Other label combinations appear when they first happen. States are lower case
//! (`connected`, `half_open`). `health_checks_total` and `reconnect_attempts_total` are read from the manager's
//! statistics, so they start again from zero after
//! [`ConnectionManager::reset`](crate::connection::ConnectionManager::reset), which Prometheus treats as a counter
//! reset.
//!
//! # Examples
//!
//! ```
//! use chittyid::ServiceUrl;
//! use chittyid::service::ServiceBuilder;
//!
//! let service = ServiceBuilder::new(ServiceUrl::parse("http://127.0.0.1:8080")?).build()?;
//! let text = service.metrics().render();
//! assert!(text.contains(r#"chittyid_calls_total{operation="mint",outcome="success"} 0"#));
//! assert!(text.ends_with("# EOF\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod collector;
mod instruments;
mod labels;
mod snapshot;

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use prometheus_client::registry::Registry;

pub(crate) use collector::{Readings, ReadingsSource};
pub(crate) use instruments::{BreakerInstruments, ConnectionInstruments};
pub use labels::{CallOperation, CallOutcome};
pub use snapshot::{CallCount, DurationSummary, MetricsSnapshot};

use collector::{LayersCollector, SourceSlot};
use instruments::CallInstruments;

/// The content type of [`Metrics::render`]'s output: OpenMetrics text, which Prometheus scrapes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metrics of one service: a registry and the instruments its layers record into.
///
/// Cloning is cheap and clones share one registry. A `Metrics` serves one service: building a second service with
/// it fails with [`BuildError::MetricsInUse`](crate::service::BuildError::MetricsInUse).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    source: Arc<SourceSlot>,
    calls: CallInstruments,
    connection: Arc<ConnectionInstruments>,
    breaker: BreakerInstruments,
}

impl Metrics {
    /// Creates an empty set of metrics with its own registry.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("chittyid");
        let calls = CallInstruments::register(&mut registry);
        let connection = Arc::new(ConnectionInstruments::register(&mut registry));
        let breaker = BreakerInstruments::register(&mut registry);
        let source = Arc::new(SourceSlot::default());
        registry.register_collector(Box::new(LayersCollector::new(Arc::clone(&source))));
        Metrics { inner: Arc::new(Inner { registry, source, calls, connection, breaker }) }
    }

    /// Renders every metric as OpenMetrics text, ending in `# EOF`.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String does not fail, and the registry's metrics and collector return no error of their own,
        // so this branch is a guard.
        if let Err(error) = self.encode(&mut text) {
            tracing::debug!(%error, "metrics encoding failed");
        }
        text
    }

    /// Writes every metric as OpenMetrics text, ending in `# EOF`, to `out`.
    ///
    /// # Errors
    ///
    /// Returns the writer's error.
    pub fn encode(&self, out: &mut impl fmt::Write) -> fmt::Result {
        prometheus_client::encoding::text::encode(out, &self.inner.registry)
    }

    /// Returns the current values, for dashboards and tests that want numbers rather than text.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let readings = self.inner.source.read();
        snapshot::take(&self.inner.calls, &self.inner.connection, readings)
    }

    /// Attaches the layers whose statistics are read at render time. Returns `false` when another service has them.
    pub(crate) fn bind(&self, source: Weak<dyn ReadingsSource>) -> bool {
        self.inner.source.bind(source)
    }

    /// Records one finished call.
    pub(crate) fn record_call(&self, operation: CallOperation, outcome: CallOutcome, attempts: u32, took: Duration) {
        self.inner.calls.record(operation, outcome, attempts, took);
    }

    pub(crate) fn connection(&self) -> &Arc<ConnectionInstruments> {
        &self.inner.connection
    }

    pub(crate) fn breaker(&self) -> &BreakerInstruments {
        &self.inner.breaker
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").field("bound", &self.inner.source.is_bound()).finish_non_exhaustive()
    }
}
