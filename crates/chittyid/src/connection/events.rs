//! Events a manager emits, the stream that delivers them, and callback listeners.
//!
//! The stream is a `tokio::sync::broadcast` receiver: any number of subscribers, and a subscriber that falls more
//! than the buffer behind loses the oldest events and receives their count, so that it never slows the manager.
//! Callbacks run synchronously on the manager's task, each inside `catch_unwind`, so one that panics is reported
//! as an `error` event and the others still run.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures_util::Stream;
use serde::{Serialize, Serializer};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::ConnectionState;

/// Something that happened to a manager, with the wall-clock time it happened.
///
/// Serialises flat, with a field `event` naming the kind in camelCase and `timestamp` in RFC 3339 with milliseconds:
/// `{"event":"stateChange","from":"CONNECTED","to":"RECONNECTING","timestamp":"2026-12-04T10:00:00.123Z"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionEvent {
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
    /// When it happened (wall clock).
    #[serde(serialize_with = "serialize_timestamp")]
    pub timestamp: SystemTime,
}

/// The kinds of [`ConnectionEvent`], named as the JavaScript manager names them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum EventKind {
    /// The manager connected (first connection or reconnection).
    Connected {
        /// The service's base URL.
        service_url: String,
    },
    /// The manager was disconnected by `disconnect` or `reset`.
    Disconnected {
        /// The service's base URL.
        service_url: String,
    },
    /// A reconnect attempt is scheduled after `delay`.
    Reconnecting {
        /// The attempt's number in this outage, from 1.
        attempt: u32,
        /// The wait before the attempt; serialised in milliseconds.
        #[serde(serialize_with = "serialize_millis")]
        delay: Duration,
    },
    /// A health check failed while connected.
    Unhealthy {
        /// The service's base URL.
        service_url: String,
        /// The failed check's error, with its causes.
        reason: String,
    },
    /// The state changed.
    StateChange {
        /// The previous state.
        from: ConnectionState,
        /// The new state.
        to: ConnectionState,
    },
    /// An attempt failed, the manager gave up, or a listener panicked.
    Error {
        /// The error with its causes, separated by `: `.
        error: String,
    },
    /// The maximum number of reconnect attempts was reached; the manager is `Failed`.
    MaxReconnectAttemptsReached {
        /// How many reconnect attempts were made.
        attempts: u32,
    },
}

impl EventKind {
    /// Returns the camelCase name, as serialised in the `event` field.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Connected { .. } => "connected",
            EventKind::Disconnected { .. } => "disconnected",
            EventKind::Reconnecting { .. } => "reconnecting",
            EventKind::Unhealthy { .. } => "unhealthy",
            EventKind::StateChange { .. } => "stateChange",
            EventKind::Error { .. } => "error",
            EventKind::MaxReconnectAttemptsReached { .. } => "maxReconnectAttemptsReached",
        }
    }
}

fn serialize_timestamp<S: Serializer>(timestamp: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_timestamp(*timestamp))
}

pub(super) fn serialize_optional_timestamp<S: Serializer>(
    timestamp: &Option<SystemTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match timestamp {
        Some(timestamp) => serialize_timestamp(timestamp, serializer),
        None => serializer.serialize_none(),
    }
}

pub(super) fn serialize_millis<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// Formats a wall-clock time as RFC 3339 in UTC with milliseconds, such as `2026-12-04T10:00:00.123Z`.
fn format_timestamp(timestamp: SystemTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time::OffsetDateTime::from(timestamp).format(&format).unwrap_or_default()
}

/// A subscriber's stream of [`ConnectionEvent`]s; dropping it unsubscribes.
///
/// Yields `Err(MissedEvents)` when the subscriber fell behind and the oldest events were dropped.
pub struct EventStream {
    inner: BroadcastStream<ConnectionEvent>,
}

/// Events a slow [`EventStream`] subscriber lost because it fell behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event subscriber fell behind and missed {count} events")]
pub struct MissedEvents {
    /// How many events were dropped.
    pub count: u64,
}

impl EventStream {
    pub(super) fn new(receiver: broadcast::Receiver<ConnectionEvent>) -> EventStream {
        EventStream { inner: BroadcastStream::new(receiver) }
    }

    /// Waits for the next event; `None` once the manager is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an event is never lost by dropping this future.
    pub async fn recv(&mut self) -> Option<Result<ConnectionEvent, MissedEvents>> {
        futures_util::StreamExt::next(self).await
    }
}

impl Stream for EventStream {
    type Item = Result<ConnectionEvent, MissedEvents>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx).map(|item| {
            item.map(|result| result.map_err(|BroadcastStreamRecvError::Lagged(count)| MissedEvents { count }))
        })
    }
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

/// The handle of a registered callback, for [`ConnectionManager::remove_listener`](super::ConnectionManager::remove_listener).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

type Callback = Arc<dyn Fn(&ConnectionEvent) + Send + Sync>;

/// The registered callbacks.
#[derive(Default)]
pub(super) struct Listeners {
    next_id: u64,
    callbacks: Vec<(ListenerId, Callback)>,
}

impl Listeners {
    pub(super) fn add(&mut self, callback: Callback) -> ListenerId {
        self.next_id += 1;
        let id = ListenerId(self.next_id);
        self.callbacks.push((id, callback));
        id
    }

    pub(super) fn remove(&mut self, id: ListenerId) -> bool {
        let before = self.callbacks.len();
        self.callbacks.retain(|(registered, _)| *registered != id);
        self.callbacks.len() != before
    }

    pub(super) fn clear(&mut self) {
        self.callbacks.clear();
    }
}

/// Calls every callback with `event`, and returns the ids of those that panicked.
///
/// The list is copied first, so that a callback may add or remove listeners without deadlocking.
pub(super) fn call_listeners(listeners: &Mutex<Listeners>, event: &ConnectionEvent) -> Vec<ListenerId> {
    let callbacks: Vec<(ListenerId, Callback)> = {
        let listeners = listeners.lock().unwrap_or_else(PoisonError::into_inner);
        if listeners.callbacks.is_empty() {
            return Vec::new();
        }
        listeners.callbacks.clone()
    };
    let mut panicked = Vec::new();
    for (id, callback) in callbacks {
        if catch_unwind(AssertUnwindSafe(|| callback(event))).is_err() {
            panicked.push(id);
        }
    }
    panicked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_name_and_millisecond_timestamp() {
        let event = ConnectionEvent {
            kind: EventKind::StateChange { from: ConnectionState::Connected, to: ConnectionState::Reconnecting },
            timestamp: SystemTime::UNIX_EPOCH + Duration::from_millis(1_796_385_600_123),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "stateChange");
        assert_eq!(json["from"], "CONNECTED");
        assert_eq!(json["to"], "RECONNECTING");
        assert_eq!(json["timestamp"], "2026-12-04T12:00:00.123Z");
    }

    #[test]
    fn event_fields_serialise_in_camel_case() {
        let kind = EventKind::MaxReconnectAttemptsReached { attempts: 3 };
        let json = serde_json::to_value(ConnectionEvent { kind, timestamp: SystemTime::UNIX_EPOCH }).unwrap();
        assert_eq!(json["event"], "maxReconnectAttemptsReached");
        assert_eq!(json["attempts"], 3);
        let kind = EventKind::Connected { service_url: "http://127.0.0.1:1".into() };
        let json = serde_json::to_value(ConnectionEvent { kind, timestamp: SystemTime::UNIX_EPOCH }).unwrap();
        assert_eq!(json["serviceUrl"], "http://127.0.0.1:1");
        let kind = EventKind::Reconnecting { attempt: 2, delay: Duration::from_millis(1500) };
        let json = serde_json::to_value(ConnectionEvent { kind, timestamp: SystemTime::UNIX_EPOCH }).unwrap();
        assert_eq!(json["delay"], 1500);
    }

    #[test]
    fn event_names_match_serialised_tags() {
        let kind = EventKind::Error { error: "x".into() };
        let json = serde_json::to_value(ConnectionEvent { kind: kind.clone(), timestamp: SystemTime::now() }).unwrap();
        assert_eq!(json["event"], kind.name());
    }
}
