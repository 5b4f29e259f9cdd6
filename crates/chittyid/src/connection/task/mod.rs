//! The manager's background task: the one owner of the state machine.
//!
//! The task exists while the manager is `Connecting`, `Connected` or `Reconnecting`. It waits in one `select!` on
//! a command from a handle, the end of the health check in flight, the end of the health stream, the health tick
//! and the backoff timer. It ends when a handle disconnects, when the last handle is dropped (the command channel
//! closes), or when the manager moves to `Failed`, so a manager that is not trying runs no task and no timer.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Interval, MissedTickBehavior, sleep_until};
use tracing::{Instrument, Span};

mod transitions;

use super::config::Settings;
use super::core::Core;
use super::probe::{BoxFuture, Probe, StreamEnd};
use super::{ConnectError, ConnectionState, EventKind, HealthCheckError};
use crate::backoff::Delays;
use crate::wire::HealthReply;

pub(super) type CheckReply = oneshot::Sender<Result<HealthReply, HealthCheckError>>;
pub(super) type ConnectReply = oneshot::Sender<Result<(), ConnectError>>;

/// A request from a handle to the task.
pub(super) enum Command {
    /// Resolve with the outcome of the attempt in progress or the next one (at once when connected).
    Connect(ConnectReply),
    /// Run a health check now, or join the one in flight.
    CheckNow(CheckReply),
    /// The client's own request failed at the connection level: check at once when connected.
    ReportFailure,
    /// Stop and move to `Disconnected`.
    Disconnect,
}

/// The private state machine; the public [`ConnectionState`] is derived from it. `Disconnected` has no variant
/// because no task runs then.
enum Link {
    /// The first attempt is in flight.
    Connecting,
    /// Connected; `stream` is the open health stream, if the service has one.
    Connected { stream: Option<BoxFuture<StreamEnd>> },
    /// Link lost. `next_at` is when attempt number `attempt + 1` starts, `None` while attempt `attempt` is in
    /// flight; `delays` is this outage's backoff.
    Reconnecting { attempt: u32, next_at: Option<Instant>, delays: Delays },
    /// Gave up; the task ends.
    Failed,
}

/// The cause that started a health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Attempt,
    Tick,
    Stream,
    Passive,
    OnDemand,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Attempt => "attempt",
            Trigger::Tick => "interval",
            Trigger::Stream => "stream",
            Trigger::Passive => "request_failure",
            Trigger::OnDemand => "on_demand",
        }
    }
}

struct Check {
    future: BoxFuture<Result<HealthReply, HealthCheckError>>,
    trigger: Trigger,
    replies: Vec<CheckReply>,
    started: Instant,
    /// The `chittyid.health_check` span, and the `chittyid.reconnect` span of the attempt it belongs to.
    spans: (Span, Option<Span>),
}

enum Wake {
    Command(Option<Command>),
    Checked(Result<HealthReply, HealthCheckError>),
    StreamEnded(StreamEnd),
    Tick,
    AttemptDue,
}

pub(super) struct Driver {
    core: Arc<Core>,
    probe: Arc<dyn Probe>,
    settings: Settings,
    commands: mpsc::Receiver<Command>,
    link: Link,
    check: Option<Check>,
    waiters: Vec<ConnectReply>,
    health_tick: Interval,
    stream_supported: bool,
    last_check_end: Option<Instant>,
}

impl Driver {
    /// Creates the task's state in `Connecting`; the handle has already published that state.
    pub(super) fn new(
        core: Arc<Core>,
        probe: Arc<dyn Probe>,
        settings: Settings,
        commands: mpsc::Receiver<Command>,
        first_waiter: ConnectReply,
    ) -> Driver {
        let period = settings.health_check_interval;
        let mut health_tick = tokio::time::interval_at(Instant::now() + period, period);
        // A check that runs late delays the following ticks instead of firing a burst to catch up. Ticks are also
        // re-armed after every check, so the next check starts one full interval after the last one ended.
        health_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Driver {
            core,
            probe,
            settings,
            commands,
            link: Link::Connecting,
            check: None,
            waiters: vec![first_waiter],
            health_tick,
            stream_supported: true,
            last_check_end: None,
        }
    }

    pub(super) async fn run(mut self) {
        self.start_check(Trigger::Attempt);
        loop {
            match self.next_wake().await {
                Wake::Command(None) => return self.stop(false),
                Wake::Command(Some(Command::Disconnect)) => return self.stop(true),
                Wake::Command(Some(command)) => self.on_command(command),
                Wake::Checked(outcome) => self.on_checked(outcome),
                Wake::StreamEnded(end) => self.on_stream_end(end),
                Wake::Tick => self.start_check(Trigger::Tick),
                Wake::AttemptDue => self.start_attempt(),
            }
            if matches!(self.link, Link::Failed) {
                return self.drain_after_failure();
            }
        }
    }

    async fn next_wake(&mut self) -> Wake {
        let checking = self.check.is_some();
        let connected = matches!(self.link, Link::Connected { .. });
        let attempt_at = match self.link {
            Link::Reconnecting { next_at: Some(at), .. } if !checking => Some(at),
            _ => None,
        };
        let stream = match &mut self.link {
            Link::Connected { stream: Some(stream) } => Some(stream),
            _ => None,
        };
        let streaming = stream.is_some();
        let check = &mut self.check;

        tokio::select! {
            biased;
            command = self.commands.recv() => Wake::Command(command),
            outcome = async { check.as_mut().expect("guarded by checking").future.as_mut().await }, if checking => {
                Wake::Checked(outcome)
            }
            end = async { stream.expect("guarded by streaming").as_mut().await }, if streaming => Wake::StreamEnded(end),
            _ = self.health_tick.tick(), if connected && !checking => Wake::Tick,
            () = sleep_until(attempt_at.unwrap_or_else(Instant::now)), if attempt_at.is_some() => Wake::AttemptDue,
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Connect(reply) if matches!(self.link, Link::Connected { .. }) => {
                let _ = reply.send(Ok(()));
            }
            Command::Connect(reply) => self.waiters.push(reply),
            Command::CheckNow(reply) => {
                if self.check.is_none() {
                    self.start_check(Trigger::OnDemand);
                }
                if let Some(check) = &mut self.check {
                    check.replies.push(reply);
                }
            }
            Command::ReportFailure => {
                let spaced =
                    self.last_check_end.is_none_or(|end| end + self.settings.passive_check_spacing <= Instant::now());
                if matches!(self.link, Link::Connected { .. }) && self.check.is_none() && spaced {
                    self.start_check(Trigger::Passive);
                }
            }
            Command::Disconnect => unreachable!("handled by run"),
        }
    }

    fn start_check(&mut self, trigger: Trigger) {
        self.start_check_in(trigger, None);
    }

    /// Starts a health check; `reconnect` is the span of the reconnect attempt it makes, if it makes one.
    fn start_check_in(&mut self, trigger: Trigger, reconnect: Option<Span>) {
        tracing::trace!(?trigger, service_url = %self.core.service_url, "health check started");
        let parent = reconnect.as_ref().and_then(Span::id);
        let span = tracing::info_span!(
            parent: parent,
            "chittyid.health_check",
            trigger = trigger.as_str(),
            service_url = %self.core.service_url,
            outcome = tracing::field::Empty,
        );
        let timeout = self.settings.health_check_timeout;
        let probe = self.probe.check();
        let future =
            Box::pin(
                async move {
                    tokio::time::timeout(timeout, probe).await.unwrap_or(Err(HealthCheckError::TimedOut { timeout }))
                }
                .instrument(span.clone()),
            );
        let started = Instant::now();
        self.check = Some(Check { future, trigger, replies: Vec::new(), started, spans: (span, reconnect) });
    }

    fn start_attempt(&mut self) {
        let mut reconnect = None;
        if let Link::Reconnecting { attempt, next_at, .. } = &mut self.link {
            *next_at = None;
            self.core.counters.reconnect_attempts.store(*attempt, std::sync::atomic::Ordering::Relaxed);
            super::stats::Counters::increment(&self.core.counters.total_reconnections);
            tracing::debug!(attempt = *attempt, service_url = %self.core.service_url, "reconnect attempt started");
            let span = tracing::info_span!(
                parent: None,
                "chittyid.reconnect",
                attempt = i64::from(*attempt),
                service_url = %self.core.service_url,
                outcome = tracing::field::Empty,
            );
            reconnect = Some(span);
        }
        self.start_check_in(Trigger::Attempt, reconnect);
    }

    /// Ends the task on `disconnect` (`publish` is true) or when the last handle is gone.
    fn stop(mut self, publish: bool) {
        self.resolve_waiters(Err(ConnectError::Disconnected));
        // Dropping the check and the stream cancels their requests. On-demand callers then receive `Cancelled`,
        // because their reply senders are dropped with the check.
        self.check = None;
        self.link = Link::Connecting;
        if publish {
            self.core.transition(ConnectionState::Disconnected);
            self.core.emit(EventKind::Disconnected { service_url: self.core.service_url.clone() });
        }
    }

    /// Replies to commands that arrived while the manager failed, so that no caller waits on a closed task.
    fn drain_after_failure(mut self) {
        self.commands.close();
        let reason = self.core.failure();
        while let Ok(command) = self.commands.try_recv() {
            if let (Command::Connect(reply), Some(reason)) = (command, &reason) {
                let _ = reply.send(Err(ConnectError::Failed { reason: reason.clone() }));
            }
        }
    }
}
