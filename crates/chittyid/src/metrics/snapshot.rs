//! [`MetricsSnapshot`]: the metrics as numbers, for dashboards and tests.

use serde::Serialize;

use super::collector::Readings;
use super::instruments::{CallInstruments, ConnectionInstruments};
use super::labels::{CallLabels, CallOperation, CallOutcome, OperationLabels};
use crate::resilience::BreakerState;

/// The metrics of a service at one moment. Serialises in camelCase.
///
/// The fields read from the layers (health checks, reconnects, breaker, budget, cache) are zero, and
/// `breaker_state` is `None`, when the service that owned the metrics is gone.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Calls by operation and outcome; combinations that never happened are left out.
    pub calls: Vec<CallCount>,
    /// Duration of whole calls, every operation together.
    pub call_duration: DurationSummary,
    /// Attempts after the first, every operation together.
    pub retries: u64,
    /// Retries the retry budget refused.
    pub retry_budget_rejections: u64,
    /// Health checks that found a healthy service, connection attempts included.
    pub healthy_checks: u64,
    /// Health checks that failed.
    pub unhealthy_checks: u64,
    /// Duration of health checks.
    pub health_check_duration: DurationSummary,
    /// Reconnect attempts started.
    pub reconnect_attempts: u64,
    /// The circuit breaker's state.
    pub breaker_state: Option<BreakerState>,
    /// Calls the breaker rejected without contacting the service.
    pub breaker_rejections: u64,
    /// Validation cache lookups that found a live entry.
    pub cache_hits: u64,
    /// Validation cache lookups that found nothing.
    pub cache_misses: u64,
    /// Entries in the validation cache.
    pub cache_entries: usize,
}

/// The number of calls of one operation that ended one way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CallCount {
    /// The operation.
    pub operation: CallOperation,
    /// The calls' outcome.
    pub outcome: CallOutcome,
    /// How many calls.
    pub count: u64,
}

/// The count and total of a duration histogram; `sum_seconds / count` is the mean.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DurationSummary {
    /// Observations.
    pub count: u64,
    /// Their total, in seconds.
    pub sum_seconds: f64,
}

pub(super) fn take(
    calls: &CallInstruments,
    connection: &ConnectionInstruments,
    readings: Option<Readings>,
) -> MetricsSnapshot {
    let mut counts = Vec::new();
    let mut retries = 0;
    for operation in CallOperation::ALL {
        for outcome in CallOutcome::ALL {
            let count = calls.calls.get(&CallLabels { operation, outcome }).map_or(0, |counter| counter.get());
            if count > 0 {
                counts.push(CallCount { operation, outcome, count });
            }
        }
        if let Some(counter) = calls.retries.get(&OperationLabels { operation }) {
            retries += counter.get();
        }
    }
    let call_duration = calls.duration_totals.summary();
    let health_check_duration = connection.check_totals.summary();

    let mut snapshot = MetricsSnapshot {
        calls: counts,
        call_duration,
        retries,
        retry_budget_rejections: 0,
        healthy_checks: 0,
        unhealthy_checks: 0,
        health_check_duration,
        reconnect_attempts: 0,
        breaker_state: None,
        breaker_rejections: 0,
        cache_hits: 0,
        cache_misses: 0,
        cache_entries: 0,
    };
    if let Some(readings) = readings {
        snapshot.retry_budget_rejections = readings.budget.retries_refused;
        snapshot.healthy_checks = readings.connection.successful_health_checks;
        snapshot.unhealthy_checks = readings.connection.failed_health_checks;
        snapshot.reconnect_attempts = readings.connection.total_reconnections;
        snapshot.breaker_state = Some(readings.breaker.state);
        snapshot.breaker_rejections = readings.breaker.rejected_calls;
        snapshot.cache_hits = readings.cache.hits;
        snapshot.cache_misses = readings.cache.misses;
        snapshot.cache_entries = readings.cache.size;
    }
    snapshot
}
