//! [`ServerMetrics`]: the series of one service instance, their registry and the snapshot of their totals.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use chittyid::format::EntityType;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use super::{MAX_SEQUENCE_SERIES, RequestsByStatusClass, ServerSnapshot};

/// Histogram bucket bounds in seconds: 100 µs doubling up to about 13 s. A local mint usually takes a disk flush
/// (around a millisecond), and a `slowMint` fault adds seconds.
fn duration_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_1, 2.0, 18)
}

fn duration_histogram() -> Histogram {
    Histogram::new(duration_buckets())
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EntityLabels {
    entity_type: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConflictLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SequenceLabels {
    key: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

/// The reason an idempotency key was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conflict {
    /// Another request with the key is still running (409).
    InUse,
    /// The key was stored with a different request (422).
    Reused,
}

/// The metrics of one service instance. Cloning is cheap, and clones share the series.
///
/// [`AppState::metrics`](crate::AppState::metrics) returns the instance that the routes update.
///
/// ```
/// use chittyid_server::ServerMetrics;
///
/// let metrics = ServerMetrics::new();
/// let text = metrics.render();
/// assert!(text.contains("chittyid_server_ids_minted_total{entity_type=\"person\"} 0"));
/// assert!(text.ends_with("# EOF\n"));
/// assert_eq!(metrics.snapshot().ids_minted, 0);
/// ```
#[derive(Clone)]
pub struct ServerMetrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    ids_minted: Family<EntityLabels, Counter>,
    idempotent_replays: Counter,
    idempotency_conflicts: Family<ConflictLabels, Counter>,
    sequence_exhausted: Counter,
    sequence_last: Family<SequenceLabels, Gauge>,
    /// Number of series in `sequence_last`, which prometheus-client does not expose outside tests.
    sequence_series: Mutex<usize>,
    sequence_series_full: AtomicBool,
    active_faults: Gauge,
    request_duration: Family<RequestLabels, Histogram, fn() -> Histogram>,
    /// Requests by status class, 1xx to 5xx, for [`ServerSnapshot`].
    status_classes: [AtomicU64; 5],
    duration_count: AtomicU64,
    duration_sum_micros: AtomicU64,
}

impl std::fmt::Debug for ServerMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerMetrics").field("snapshot", &self.snapshot()).finish_non_exhaustive()
    }
}

impl Default for ServerMetrics {
    fn default() -> ServerMetrics {
        ServerMetrics::new()
    }
}

impl ServerMetrics {
    /// Creates the metrics with their own registry. Every series of `ids_minted_total` and
    /// `idempotency_conflicts_total` starts at zero, so a rate over them is defined before the first event.
    pub fn new() -> ServerMetrics {
        let mut inner = Inner {
            registry: Registry::with_prefix("chittyid_server"),
            ids_minted: Family::default(),
            idempotent_replays: Counter::default(),
            idempotency_conflicts: Family::default(),
            sequence_exhausted: Counter::default(),
            sequence_last: Family::default(),
            sequence_series: Mutex::new(0),
            sequence_series_full: AtomicBool::new(false),
            active_faults: Gauge::default(),
            request_duration: Family::new_with_constructor(duration_histogram),
            status_classes: Default::default(),
            duration_count: AtomicU64::new(0),
            duration_sum_micros: AtomicU64::new(0),
        };
        for entity in EntityType::ALL {
            drop(inner.ids_minted.get_or_create(&EntityLabels { entity_type: entity.word() }));
        }
        for conflict in [Conflict::InUse, Conflict::Reused] {
            drop(inner.idempotency_conflicts.get_or_create(&ConflictLabels { reason: conflict.label() }));
        }
        inner.register();
        ServerMetrics { inner: Arc::new(inner) }
    }

    /// Encodes every series as OpenMetrics text, ending in `# EOF`, to be served as
    /// [`METRICS_CONTENT_TYPE`](super::METRICS_CONTENT_TYPE).
    pub fn render(&self) -> String {
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.inner.registry) {
            // Writing to a String does not fail, and the label values are plain text, so this is not expected.
            tracing::error!(%error, "failed to encode the metrics");
        }
        text
    }

    /// Returns the current totals as a serializable value.
    pub fn snapshot(&self) -> ServerSnapshot {
        let inner = &self.inner;
        let by_entity: Vec<(&'static str, u64)> = EntityType::ALL
            .into_iter()
            .map(|entity| {
                let labels = EntityLabels { entity_type: entity.word() };
                (entity.word(), inner.ids_minted.get(&labels).map_or(0, |counter| counter.get()))
            })
            .collect();
        let conflicts = [Conflict::InUse, Conflict::Reused]
            .into_iter()
            .map(|conflict| {
                let labels = ConflictLabels { reason: conflict.label() };
                inner.idempotency_conflicts.get(&labels).map_or(0, |counter| counter.get())
            })
            .sum();
        let class = |index: usize| inner.status_classes[index].load(Ordering::Relaxed);
        ServerSnapshot {
            ids_minted: by_entity.iter().map(|(_, count)| count).sum(),
            ids_minted_by_entity_type: by_entity.into_iter().map(|(word, count)| (word.to_owned(), count)).collect(),
            idempotent_replays: inner.idempotent_replays.get(),
            idempotency_conflicts: conflicts,
            sequences_exhausted: inner.sequence_exhausted.get(),
            requests: RequestsByStatusClass {
                informational: class(0),
                success: class(1),
                redirection: class(2),
                client_error: class(3),
                server_error: class(4),
            },
            request_duration_count: inner.duration_count.load(Ordering::Relaxed),
            request_duration_sum_seconds: inner.duration_sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }

    pub(crate) fn count_minted(&self, entity: EntityType) {
        self.inner.ids_minted.get_or_create(&EntityLabels { entity_type: entity.word() }).inc();
    }

    pub(crate) fn count_replay(&self) {
        self.inner.idempotent_replays.inc();
    }

    pub(crate) fn count_conflict(&self, conflict: Conflict) {
        self.inner.idempotency_conflicts.get_or_create(&ConflictLabels { reason: conflict.label() }).inc();
    }

    pub(crate) fn count_exhausted(&self, count: u64) {
        self.inner.sequence_exhausted.inc_by(count);
    }

    /// Raises `sequence_last` of `key` to `sequence`. A lower value leaves it as it is, because replies of
    /// one group commit can reach this point in any order.
    pub(crate) fn record_sequence(&self, key: String, sequence: u16) {
        let family = &self.inner.sequence_last;
        let labels = SequenceLabels { key };
        if let Some(gauge) = family.get(&labels) {
            gauge.inner().fetch_max(i64::from(sequence), Ordering::Relaxed);
            return;
        }

        // A new key: the lock makes the check of the limit and the creation of the series one step.
        let mut series = self.inner.sequence_series.lock().unwrap_or_else(PoisonError::into_inner);
        if family.get(&labels).is_none() {
            if *series >= MAX_SEQUENCE_SERIES {
                if !self.inner.sequence_series_full.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        key = labels.key,
                        limit = MAX_SEQUENCE_SERIES,
                        "sequence_last has reached its series limit; further keys are not shown"
                    );
                }
                return;
            }
            *series += 1;
        }
        family.get_or_create(&labels).inner().fetch_max(i64::from(sequence), Ordering::Relaxed);
    }

    pub(super) fn set_active_faults(&self, count: usize) {
        self.inner.active_faults.set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    pub(super) fn observe_request(&self, method: &'static str, route: String, status: StatusCode, elapsed: Duration) {
        let labels = RequestLabels { method, route, status: status.as_u16() };
        self.inner.request_duration.get_or_create(&labels).observe(elapsed.as_secs_f64());

        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        self.inner.status_classes[class].fetch_add(1, Ordering::Relaxed);
        self.inner.duration_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.inner.duration_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

impl Inner {
    fn register(&mut self) {
        let registry = &mut self.registry;
        registry.register("ids_minted", "IDs minted, by entity type", self.ids_minted.clone());
        registry.register(
            "idempotent_replays",
            "Replies replayed from a stored idempotency record",
            self.idempotent_replays.clone(),
        );
        registry.register(
            "idempotency_conflicts",
            "Requests rejected because their Idempotency-Key was in use (409) or stored with another request (422)",
            self.idempotency_conflicts.clone(),
        );
        registry.register(
            "sequence_exhausted",
            "IDs not minted because all sequence numbers 0001-9999 of their key were spent",
            self.sequence_exhausted.clone(),
        );
        registry.register(
            "sequence_last",
            "Last sequence number issued per sequence key since the server started",
            self.sequence_last.clone(),
        );
        registry.register("active_faults", "Active injected faults, a pause included", self.active_faults.clone());
        registry.register_with_unit(
            "request_duration",
            "Time from receiving a request to its response head, by route template",
            Unit::Seconds,
            self.request_duration.clone(),
        );
    }
}

impl Conflict {
    fn label(self) -> &'static str {
        match self {
            Conflict::InUse => "in_use",
            Conflict::Reused => "reused",
        }
    }
}
