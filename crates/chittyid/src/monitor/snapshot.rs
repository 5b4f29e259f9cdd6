//! [`Snapshot`]: everything the dashboard shows, read from the service's public accessors, and the timeline of
//! state changes that the monitor records.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use serde::{Serialize, Serializer};
use tokio::sync::watch;

use crate::connection::{ConnectionEvent, ConnectionState, ConnectionStats, EventKind};
use crate::metrics::MetricsSnapshot;
use crate::resilience::BreakerStats;
use crate::service::ChittyIdService;

/// How many state changes the timeline keeps; older ones are dropped first.
pub const TIMELINE_CAPACITY: usize = 100;

/// The state of a service at one moment, as `/api/snapshot` and `/events` send it.
///
/// Serialises in camelCase. Timestamps are RFC 3339 strings in UTC with milliseconds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Snapshot {
    /// When the snapshot was taken (wall clock).
    #[serde(serialize_with = "serialize_timestamp")]
    pub taken_at: SystemTime,
    /// The service's base URL, which never carries credentials.
    pub service_url: String,
    /// The connection manager's state.
    pub state: ConnectionState,
    /// The connection manager's statistics.
    pub connection: ConnectionStats,
    /// The circuit breaker's state and counters.
    pub breaker: BreakerStats,
    /// The service's metrics: calls by operation and outcome, durations, retries, health checks, cache.
    pub metrics: MetricsSnapshot,
    /// The last state changes, oldest first, at most [`TIMELINE_CAPACITY`]. Only changes after the monitor was
    /// created are listed.
    pub timeline: Vec<StateChange>,
}

/// One entry of the timeline: the connection state changed from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateChange {
    /// The previous state.
    pub from: ConnectionState,
    /// The new state.
    pub to: ConnectionState,
    /// When it changed (wall clock).
    #[serde(serialize_with = "serialize_timestamp")]
    pub timestamp: SystemTime,
}

impl Snapshot {
    /// Takes a snapshot of `service` with the given timeline.
    pub(super) fn take(service: &ChittyIdService, timeline: Vec<StateChange>) -> Snapshot {
        let connection = service.connection();
        let stats = connection.stats();
        Snapshot {
            taken_at: SystemTime::now(),
            service_url: connection.service_url().to_string(),
            state: stats.current_state,
            connection: stats,
            breaker: service.breaker().stats(),
            metrics: service.metrics().snapshot(),
            timeline,
        }
    }
}

/// The recorded state changes, and a counter that moves on each so that event streams can wait for the next.
#[derive(Debug)]
pub(super) struct Timeline {
    entries: Mutex<VecDeque<StateChange>>,
    changes: watch::Sender<u64>,
}

impl Timeline {
    pub(super) fn new() -> Timeline {
        Timeline { entries: Mutex::new(VecDeque::with_capacity(TIMELINE_CAPACITY)), changes: watch::Sender::new(0) }
    }

    /// Records `event` when it is a state change. Runs on the connection manager's task, so it only holds a lock
    /// for a queue push.
    pub(super) fn record(&self, event: &ConnectionEvent) {
        let EventKind::StateChange { from, to } = event.kind else { return };
        {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if entries.len() == TIMELINE_CAPACITY {
                entries.pop_front();
            }
            entries.push_back(StateChange { from, to, timestamp: event.timestamp });
        }
        self.changes.send_modify(|count| *count = count.wrapping_add(1));
    }

    /// Returns the recorded changes, oldest first.
    pub(super) fn entries(&self) -> Vec<StateChange> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).iter().copied().collect()
    }

    /// Returns a receiver whose value changes after each recorded state change.
    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

fn serialize_timestamp<S: Serializer>(timestamp: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    let text = time::OffsetDateTime::from(*timestamp).format(&format).map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&text)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn state_change(from: ConnectionState, to: ConnectionState) -> ConnectionEvent {
        ConnectionEvent { kind: EventKind::StateChange { from, to }, timestamp: SystemTime::UNIX_EPOCH }
    }

    #[test]
    fn timeline_keeps_only_the_latest_changes() {
        let timeline = Timeline::new();
        timeline.record(&state_change(ConnectionState::Disconnected, ConnectionState::Connecting));
        for _ in 0..TIMELINE_CAPACITY {
            timeline.record(&state_change(ConnectionState::Connected, ConnectionState::Reconnecting));
        }
        let entries = timeline.entries();
        assert_eq!(entries.len(), TIMELINE_CAPACITY);
        assert!(entries.iter().all(|entry| entry.from == ConnectionState::Connected), "{entries:?}");
    }

    #[test]
    fn timeline_ignores_other_events() {
        let timeline = Timeline::new();
        let event = ConnectionEvent {
            kind: EventKind::Reconnecting { attempt: 1, delay: Duration::from_millis(10) },
            timestamp: SystemTime::UNIX_EPOCH,
        };
        timeline.record(&event);
        assert!(timeline.entries().is_empty());
        assert_eq!(*timeline.subscribe().borrow(), 0);
    }

    #[test]
    fn timeline_change_counter_moves_on_each_change() {
        let timeline = Timeline::new();
        let mut changes = timeline.subscribe();
        timeline.record(&state_change(ConnectionState::Disconnected, ConnectionState::Connecting));
        assert!(changes.has_changed().unwrap());
        assert_eq!(*changes.borrow_and_update(), 1);
    }

    #[test]
    fn state_change_serialises_with_millisecond_timestamp() {
        let change = StateChange {
            from: ConnectionState::Connected,
            to: ConnectionState::Reconnecting,
            timestamp: SystemTime::UNIX_EPOCH + Duration::from_millis(1_796_385_600_123),
        };
        let json = serde_json::to_value(change).unwrap();
        assert_eq!(json["from"], "CONNECTED");
        assert_eq!(json["to"], "RECONNECTING");
        assert_eq!(json["timestamp"], "2026-12-04T12:00:00.123Z");
    }
}
