//! The metrics read at render time from the layers' own statistics, so that nothing is counted twice.
//!
//! The connection manager, the circuit breaker, the retry budget and the cache already count health checks,
//! reconnects, rejections and lookups in atomics. Copying each count into a second counter on every event would
//! cost every call for a number that is read only when scraped, so a [`Collector`] reads the statistics then.

use std::sync::{Arc, OnceLock, Weak};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use super::labels::{CheckLabels, StateLabel, StateLabels};
use crate::connection::{ConnectionState, ConnectionStats};
use crate::resilience::{BreakerState, BreakerStats, BudgetStats, CacheStats};

/// The statistics of a service's layers at one moment.
#[derive(Debug, Clone)]
pub(crate) struct Readings {
    pub(crate) connection: ConnectionStats,
    pub(crate) breaker: BreakerStats,
    pub(crate) budget: BudgetStats,
    pub(crate) cache: CacheStats,
}

/// The layers of one service, as the metrics see them.
pub(crate) trait ReadingsSource: Send + Sync + 'static {
    fn readings(&self) -> Readings;
}

/// The layers a `Metrics` reads from, attached once by the service that owns them.
///
/// NOTE: the link is weak, so that a `Metrics` kept by a monitor does not keep a dropped service's connection
/// manager running.
#[derive(Default)]
pub(crate) struct SourceSlot {
    source: OnceLock<Weak<dyn ReadingsSource>>,
}

impl SourceSlot {
    pub(crate) fn bind(&self, source: Weak<dyn ReadingsSource>) -> bool {
        self.source.set(source).is_ok()
    }

    pub(crate) fn is_bound(&self) -> bool {
        self.source.get().is_some()
    }

    /// Returns the readings, or `None` before a service is attached or after it is dropped.
    pub(crate) fn read(&self) -> Option<Readings> {
        self.source.get().and_then(Weak::upgrade).map(|source| source.readings())
    }
}

#[derive(Debug)]
pub(crate) struct LayersCollector {
    slot: Arc<SourceSlot>,
}

impl std::fmt::Debug for SourceSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceSlot").field("bound", &self.is_bound()).finish()
    }
}

impl LayersCollector {
    pub(crate) fn new(slot: Arc<SourceSlot>) -> LayersCollector {
        LayersCollector { slot }
    }
}

const CONNECTION_STATES: [ConnectionState; 5] = [
    ConnectionState::Disconnected,
    ConnectionState::Connecting,
    ConnectionState::Connected,
    ConnectionState::Reconnecting,
    ConnectionState::Failed,
];
const BREAKER_STATES: [BreakerState; 3] = [BreakerState::Closed, BreakerState::Open, BreakerState::HalfOpen];

impl Collector for LayersCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let Some(readings) = self.slot.read() else { return Ok(()) };

        let current = readings.connection.current_state;
        let states = CONNECTION_STATES.map(|state| (StateLabel::Connection(state), state == current));
        encode_state_set(&mut encoder, "connection_state", "1 for the connection manager's current state.", &states)?;
        let checks = [
            ("healthy", readings.connection.successful_health_checks),
            ("unhealthy", readings.connection.failed_health_checks),
        ];
        let mut family = encoder.encode_descriptor(
            "health_checks",
            "Health checks by outcome, connection attempts included.",
            None,
            MetricType::Counter,
        )?;
        for (outcome, count) in checks {
            ConstCounter::new(count).encode(family.encode_family(&CheckLabels { outcome })?)?;
        }
        encode_counter(
            &mut encoder,
            "reconnect_attempts",
            "Reconnect attempts started.",
            readings.connection.total_reconnections,
        )?;

        let current = readings.breaker.state;
        let states = BREAKER_STATES.map(|state| (StateLabel::Breaker(state), state == current));
        encode_state_set(&mut encoder, "breaker_state", "1 for the circuit breaker's current state.", &states)?;
        encode_counter(
            &mut encoder,
            "breaker_rejections",
            "Calls the circuit breaker rejected without contacting the service.",
            readings.breaker.rejected_calls,
        )?;
        encode_counter(
            &mut encoder,
            "retry_budget_rejections",
            "Retries the retry budget refused.",
            readings.budget.retries_refused,
        )?;

        encode_counter(
            &mut encoder,
            "cache_hits",
            "Validation cache lookups that found a live entry.",
            readings.cache.hits,
        )?;
        encode_counter(
            &mut encoder,
            "cache_misses",
            "Validation cache lookups that found nothing or an expired entry.",
            readings.cache.misses,
        )?;
        let entries = i64::try_from(readings.cache.size).unwrap_or(i64::MAX);
        let metric = ConstGauge::new(entries);
        metric.encode(encoder.encode_descriptor(
            "cache_entries",
            "Entries in the validation cache.",
            None,
            metric.metric_type(),
        )?)
    }
}

fn encode_counter(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn encode_state_set(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    states: &[(StateLabel, bool)],
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for &(state, current) in states {
        ConstGauge::new(i64::from(current)).encode(family.encode_family(&StateLabels { state })?)?;
    }
    Ok(())
}
