//! The instruments that layers record into as things happen: calls, state transitions and health-check durations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::DurationSummary;
use super::labels::{CallLabels, CallOperation, CallOutcome, OperationLabels, StateLabel, TransitionLabels};
use crate::connection::ConnectionState;
use crate::resilience::BreakerState;

/// Bucket bounds in seconds, from 1 ms to 30 s: loopback health checks land at the bottom, calls that wait for a
/// reconnect or hit the default 30 s deadline at the top.
const BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

pub(crate) fn new_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The count and sum of a histogram's observations, kept beside it because prometheus-client 0.26 reads them back
/// only with its `test-util` feature.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Totals {
    fn add(&self, took: Duration) {
        self.count.fetch_add(1, Relaxed);
        self.sum_nanos.fetch_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    }

    pub(crate) fn summary(&self) -> DurationSummary {
        DurationSummary {
            count: self.count.load(Relaxed),
            sum_seconds: Duration::from_nanos(self.sum_nanos.load(Relaxed)).as_secs_f64(),
        }
    }
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

#[derive(Debug, Clone)]
pub(crate) struct CallInstruments {
    pub(crate) calls: Family<CallLabels, Counter>,
    pub(crate) duration: HistogramFamily<OperationLabels>,
    pub(crate) retries: Family<OperationLabels, Counter>,
    pub(crate) duration_totals: Arc<Totals>,
}

impl CallInstruments {
    pub(crate) fn register(registry: &mut Registry) -> CallInstruments {
        let instruments = CallInstruments {
            calls: Family::default(),
            duration: Family::new_with_constructor(new_histogram),
            retries: Family::default(),
            duration_totals: Arc::default(),
        };
        registry.register("calls", "Calls by operation and outcome", instruments.calls.clone());
        registry.register_with_unit(
            "call_duration",
            "Duration of whole calls: connection wait, attempts and retry waits",
            Unit::Seconds,
            instruments.duration.clone(),
        );
        registry.register("retries", "Attempts after the first, by operation", instruments.retries.clone());
        for operation in CallOperation::ALL {
            drop(instruments.calls.get_or_create(&CallLabels { operation, outcome: CallOutcome::Success }));
            drop(instruments.retries.get_or_create(&OperationLabels { operation }));
        }
        instruments
    }

    pub(crate) fn record(&self, operation: CallOperation, outcome: CallOutcome, attempts: u32, took: Duration) {
        self.calls.get_or_create(&CallLabels { operation, outcome }).inc();
        self.duration.get_or_create(&OperationLabels { operation }).observe(took.as_secs_f64());
        self.duration_totals.add(took);
        if attempts > 1 {
            self.retries.get_or_create(&OperationLabels { operation }).inc_by(u64::from(attempts - 1));
        }
    }
}

/// The instruments of a connection manager: its state changes and the duration of each health check.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionInstruments {
    transitions: Family<TransitionLabels, Counter>,
    check_duration: Histogram,
    pub(crate) check_totals: Arc<Totals>,
}

impl ConnectionInstruments {
    pub(crate) fn register(registry: &mut Registry) -> ConnectionInstruments {
        let instruments = ConnectionInstruments {
            transitions: Family::default(),
            check_duration: new_histogram(),
            check_totals: Arc::default(),
        };
        registry.register(
            "connection_transitions",
            "State changes of the connection manager",
            instruments.transitions.clone(),
        );
        registry.register_with_unit(
            "health_check_duration",
            "Time from sending a health check to its outcome",
            Unit::Seconds,
            instruments.check_duration.clone(),
        );
        instruments
    }

    pub(crate) fn record_transition(&self, from: ConnectionState, to: ConnectionState) {
        let labels = TransitionLabels { from: StateLabel::Connection(from), to: StateLabel::Connection(to) };
        self.transitions.get_or_create(&labels).inc();
    }

    pub(crate) fn record_check(&self, took: Duration) {
        self.check_duration.observe(took.as_secs_f64());
        self.check_totals.add(took);
    }
}

/// The instruments of a circuit breaker: its state changes.
#[derive(Debug, Clone)]
pub(crate) struct BreakerInstruments {
    transitions: Family<TransitionLabels, Counter>,
}

impl BreakerInstruments {
    pub(crate) fn register(registry: &mut Registry) -> BreakerInstruments {
        let instruments = BreakerInstruments { transitions: Family::default() };
        registry.register(
            "breaker_transitions",
            "State changes of the circuit breaker",
            instruments.transitions.clone(),
        );
        instruments
    }

    pub(crate) fn record_transition(&self, from: BreakerState, to: BreakerState) {
        let labels = TransitionLabels { from: StateLabel::Breaker(from), to: StateLabel::Breaker(to) };
        self.transitions.get_or_create(&labels).inc();
    }
}
