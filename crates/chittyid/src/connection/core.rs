//! The part of a manager that its handles and its task share: state, failure reason, counters and event outlets.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

use tokio::sync::{broadcast, watch};

use super::events::{ConnectionEvent, EventKind, Listeners, call_listeners};
use super::stats::Counters;
use super::{ConnectionState, FailureReason};
use crate::metrics::ConnectionInstruments;

/// State, counters and event outlets of one manager.
///
/// NOTE: the task holds this, never the handles' own allocation, so that dropping the last handle closes the
/// command channel and ends the task.
pub(super) struct Core {
    pub(super) service_url: String,
    state: watch::Sender<ConnectionState>,
    failure: Mutex<Option<FailureReason>>,
    pub(super) counters: Counters,
    /// Created by the first subscriber, so that a manager without subscribers keeps no event buffer.
    events: OnceLock<broadcast::Sender<ConnectionEvent>>,
    event_capacity: usize,
    pub(super) listeners: Mutex<Listeners>,
    /// One pointer, so that a manager without metrics stays small.
    pub(super) instruments: Option<Arc<ConnectionInstruments>>,
}

impl Core {
    pub(super) fn new(
        service_url: String,
        event_capacity: usize,
        instruments: Option<Arc<ConnectionInstruments>>,
    ) -> Core {
        Core {
            service_url,
            state: watch::Sender::new(ConnectionState::Disconnected),
            failure: Mutex::new(None),
            counters: Counters::new(),
            events: OnceLock::new(),
            event_capacity,
            listeners: Mutex::new(Listeners::default()),
            instruments,
        }
    }

    pub(super) fn state(&self) -> ConnectionState {
        *self.state.borrow()
    }

    pub(super) fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.state.subscribe()
    }

    pub(super) fn failure(&self) -> Option<FailureReason> {
        self.failure.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Moves to `to`, publishes it and emits `stateChange`; does nothing when already there.
    ///
    /// An illegal transition is a bug in the manager: it panics in debug builds and is logged and skipped in release
    /// builds.
    pub(super) fn transition(&self, to: ConnectionState) {
        let from = self.state();
        if from == to {
            return;
        }
        if !from.can_transition_to(to) {
            debug_assert!(false, "illegal connection state transition {from} -> {to}");
            tracing::debug!(%from, %to, "skipped illegal connection state transition");
            return;
        }
        tracing::debug!(%from, %to, service_url = %self.service_url, "connection state changed");
        self.counters.record_state(to);
        if let Some(instruments) = &self.instruments {
            instruments.record_transition(from, to);
        }
        self.state.send_replace(to);
        self.emit(EventKind::StateChange { from, to });
    }

    /// Moves to `Failed` and records why.
    pub(super) fn fail(&self, reason: FailureReason) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(reason);
        self.transition(ConnectionState::Failed);
    }

    pub(super) fn clear_failure(&self) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<ConnectionEvent> {
        self.events.get_or_init(|| broadcast::channel(self.event_capacity).0).subscribe()
    }

    /// Sends an event to the stream subscribers and the callbacks, and reports a callback that panicked.
    pub(super) fn emit(&self, kind: EventKind) {
        let event = ConnectionEvent { kind, timestamp: SystemTime::now() };
        let panicked = self.deliver(event);
        for listener in panicked {
            tracing::debug!(?listener, "connection event listener panicked");
            let error = format!("event listener {listener:?} panicked");
            // Panics while reporting a panic are not reported again, so a listener that always panics cannot loop.
            self.deliver(ConnectionEvent { kind: EventKind::Error { error }, timestamp: SystemTime::now() });
        }
    }

    fn deliver(&self, event: ConnectionEvent) -> Vec<super::ListenerId> {
        let panicked = call_listeners(&self.listeners, &event);
        if let Some(sender) = self.events.get() {
            // An error means no subscriber is left, which is fine.
            let _ = sender.send(event);
        }
        panicked
    }
}
