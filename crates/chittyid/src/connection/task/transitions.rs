//! The state machine's transitions: the task's reactions to the end of a health check or of the health stream.

use tokio::time::Instant;

use super::{Driver, Link, Trigger};
use crate::connection::probe::{BoxFuture, StreamEnd};
use crate::connection::stats::Counters;
use crate::connection::{ConnectError, ConnectionState, EventKind, FailureReason, HealthCheckError};
use crate::error_chain;
use crate::wire::HealthReply;

impl Driver {
    pub(super) fn on_checked(&mut self, outcome: Result<HealthReply, HealthCheckError>) {
        let Some(check) = self.check.take() else { return };
        self.core.counters.record_check(outcome.is_ok());
        if let Some(instruments) = &self.core.instruments {
            instruments.record_check(check.started.elapsed());
        }
        let outcome_label = if outcome.is_ok() { "healthy" } else { "unhealthy" };
        check.spans.0.record("outcome", outcome_label);
        if let Some(reconnect) = &check.spans.1 {
            reconnect.record("outcome", outcome_label);
        }
        self.last_check_end = Some(Instant::now());
        self.health_tick.reset();

        self.apply_check(check.trigger, outcome.clone());
        // Callers of `perform_health_check` receive the outcome only after the state it causes is published, so
        // a caller that reads `state()` next reads that state.
        for reply in check.replies {
            let _ = reply.send(outcome.clone());
        }
    }

    fn apply_check(&mut self, trigger: Trigger, outcome: Result<HealthReply, HealthCheckError>) {
        let error = match outcome {
            Ok(_) => {
                match &self.link {
                    Link::Connecting | Link::Reconnecting { .. } => self.enter_connected(),
                    // The stream broke earlier; a healthy tick is the moment to open it again.
                    Link::Connected { stream: None } if trigger == Trigger::Tick => {
                        self.link = Link::Connected { stream: self.open_stream() };
                    }
                    Link::Connected { .. } | Link::Failed => {}
                }
                return;
            }
            Err(error) => error,
        };
        tracing::debug!(trigger = ?trigger, %error, service_url = %self.core.service_url, "health check failed");

        let attempt_failed = matches!(self.link, Link::Connecting | Link::Reconnecting { next_at: None, .. });
        if attempt_failed {
            Counters::increment(&self.core.counters.total_failures);
            self.core.emit(EventKind::Error { error: error_chain(&error) });
        }
        if matches!(self.link, Link::Connected { .. }) {
            let reason = error_chain(&error);
            self.core.emit(EventKind::Unhealthy { service_url: self.core.service_url.clone(), reason });
        }

        if error.is_permanent() {
            return self.enter_failed(FailureReason::Permanent { error });
        }
        match self.link {
            // The state changes before waiters receive the outcome, so that `connect()` returns into the new state.
            // A schedule that has run out moves to `Failed` and replies to the waiters itself.
            Link::Connecting | Link::Connected { .. } => {
                self.link = Link::Reconnecting { attempt: 0, next_at: None, delays: self.settings.backoff.delays() };
                self.core.transition(ConnectionState::Reconnecting);
                self.schedule_attempt(error.clone());
                self.resolve_waiters(Err(ConnectError::Unavailable { error }));
            }
            Link::Reconnecting { next_at: None, .. } => {
                self.schedule_attempt(error.clone());
                self.resolve_waiters(Err(ConnectError::Unavailable { error }));
            }
            // An on-demand check failed during a backoff wait: the schedule stays.
            Link::Reconnecting { .. } | Link::Failed => {}
        }
    }

    fn schedule_attempt(&mut self, last_error: HealthCheckError) {
        let Link::Reconnecting { attempt, next_at, delays } = &mut self.link else { return };
        let Some(delay) = delays.next() else {
            let attempts = delays.attempts();
            tracing::debug!(attempts, service_url = %self.core.service_url, "maximum reconnect attempts reached");
            return self.enter_failed(FailureReason::MaxReconnectAttempts { attempts, last_error });
        };
        *attempt = delays.attempts();
        *next_at = Some(Instant::now() + delay);
        let attempt = *attempt;
        tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "reconnect attempt scheduled");
        self.core.emit(EventKind::Reconnecting { attempt, delay });
    }

    fn enter_connected(&mut self) {
        self.link = Link::Connected { stream: self.open_stream() };
        self.core.transition(ConnectionState::Connected);
        self.core.emit(EventKind::Connected { service_url: self.core.service_url.clone() });
        self.resolve_waiters(Ok(()));
    }

    fn enter_failed(&mut self, reason: FailureReason) {
        let attempts = match &reason {
            FailureReason::MaxReconnectAttempts { attempts, .. } => Some(*attempts),
            FailureReason::Permanent { .. } => None,
        };
        self.link = Link::Failed;
        self.core.fail(reason.clone());
        if let Some(attempts) = attempts {
            self.core.emit(EventKind::MaxReconnectAttemptsReached { attempts });
        }
        self.core.emit(EventKind::Error { error: error_chain(&reason) });
        self.resolve_waiters(Err(ConnectError::Failed { reason }));
    }

    fn open_stream(&self) -> Option<BoxFuture<StreamEnd>> {
        (self.settings.health_stream && self.stream_supported).then(|| self.probe.watch())
    }

    pub(super) fn on_stream_end(&mut self, end: StreamEnd) {
        if let Link::Connected { stream } = &mut self.link {
            *stream = None;
        }
        match end {
            StreamEnd::Unsupported => {
                tracing::debug!(service_url = %self.core.service_url, "service has no health stream, polling only");
                self.stream_supported = false;
            }
            StreamEnd::Broken(reason) => {
                tracing::debug!(%reason, service_url = %self.core.service_url, "health stream broke, checking now");
                if self.check.is_none() {
                    self.start_check(Trigger::Stream);
                }
            }
        }
    }

    pub(super) fn resolve_waiters(&mut self, outcome: Result<(), ConnectError>) {
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(outcome.clone());
        }
    }
}
