//! The handle applications hold: lifecycle, health checks, state, statistics and events.

use std::fmt;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use tokio::sync::{Mutex, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::config::{ConnectionManagerBuilder, Settings};
use super::core::Core;
use super::events::EventStream;
use super::probe::Probe;
use super::task::{Command, Driver};
use super::{
    ConnectError, ConnectionEvent, ConnectionState, ConnectionStats, EventKind, FailureReason, HealthCheckError,
    ListenerId, WaitError,
};
use crate::ServiceUrl;
use crate::wire::HealthReply;

/// A self-healing connection to one ChittyID service. Cheap to clone; every clone is the same manager.
///
/// The manager stops every task and timer when [`disconnect`](Self::disconnect) is called or the last clone is
/// dropped. See the [module documentation](super) for the states and how it detects failures.
#[derive(Clone)]
pub struct ConnectionManager {
    inner: Arc<Inner>,
}

struct Inner {
    service_url: ServiceUrl,
    core: Arc<Core>,
    probe: Arc<dyn Probe>,
    settings: Settings,
    /// The running task, if any. The lock orders `connect`, `disconnect` and `reset`.
    running: Mutex<Option<Running>>,
}

struct Running {
    commands: mpsc::Sender<Command>,
    task: JoinHandle<()>,
}

/// Commands a handle may queue before the task reads them; `report_connection_failure` drops reports beyond this.
const COMMAND_CAPACITY: usize = 8;

impl ConnectionManager {
    /// Starts building a manager for the service at `service_url`.
    pub fn builder(service_url: ServiceUrl) -> ConnectionManagerBuilder {
        ConnectionManagerBuilder::new(service_url)
    }

    pub(super) fn from_parts(
        service_url: ServiceUrl,
        probe: Arc<dyn Probe>,
        settings: Settings,
        event_capacity: usize,
    ) -> ConnectionManager {
        let core = Arc::new(Core::new(service_url.to_string(), event_capacity, settings.instruments.clone()));
        let running = Mutex::new(None);
        ConnectionManager { inner: Arc::new(Inner { service_url, core, probe, settings, running }) }
    }

    /// Starts the manager, unless it runs already, and waits for the end of the current attempt.
    ///
    /// Concurrent calls share one attempt and get the same outcome. When connected it returns at once. While
    /// `Reconnecting` it waits for the end of the next scheduled attempt, which may be up to the backoff cap away:
    /// wrap it in `tokio::time::timeout` to bound the wait. A `Failed` or `Disconnected` manager starts afresh.
    ///
    /// # Errors
    ///
    /// [`ConnectError::Unavailable`] when the attempt failed but the manager keeps retrying in the background,
    /// [`ConnectError::Failed`] when it gave up, [`ConnectError::Disconnected`] when it was stopped meanwhile.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future leaves the manager running.
    ///
    /// # Panics
    ///
    /// Panics when called outside a Tokio runtime, because it spawns the manager's task.
    pub async fn connect(&self) -> Result<(), ConnectError> {
        let (reply, outcome) = oneshot::channel();
        {
            let mut running = self.inner.running.lock().await;
            let reply = match running.as_ref() {
                Some(task) => match task.commands.send(Command::Connect(reply)).await {
                    Ok(()) => None,
                    Err(mpsc::error::SendError(Command::Connect(reply))) => Some(reply),
                    Err(_) => unreachable!("a Connect command was sent"),
                },
                None => Some(reply),
            };
            if let Some(reply) = reply {
                *running = Some(self.start(reply));
            }
        }
        outcome.await.unwrap_or(Err(ConnectError::Disconnected))
    }

    fn start(&self, reply: oneshot::Sender<Result<(), ConnectError>>) -> Running {
        let inner = &self.inner;
        inner.core.clear_failure();
        if !matches!(inner.core.state(), ConnectionState::Disconnected | ConnectionState::Failed) {
            // The previous task vanished without stopping, because its runtime shut down.
            inner.core.transition(ConnectionState::Disconnected);
        }
        inner.core.transition(ConnectionState::Connecting);
        let (commands, receiver) = mpsc::channel(COMMAND_CAPACITY);
        let driver =
            Driver::new(Arc::clone(&inner.core), Arc::clone(&inner.probe), inner.settings.clone(), receiver, reply);
        Running { commands, task: tokio::spawn(driver.run()) }
    }

    /// Stops every task and timer, also in the middle of a backoff wait, and moves to `Disconnected`.
    ///
    /// When it returns, the manager's task has ended. A pending [`connect`](Self::connect) gets
    /// [`ConnectError::Disconnected`].
    ///
    /// # Cancel safety
    ///
    /// The task stops even when the future is dropped, but the state may then stay `Failed`.
    pub async fn disconnect(&self) {
        let mut running = self.inner.running.lock().await;
        if let Some(Running { commands, task }) = running.take() {
            // An error means the task has ended already, after a failure.
            let _ = commands.send(Command::Disconnect).await;
            drop(commands);
            if let Err(error) = task.await {
                tracing::debug!(%error, "connection manager task ended abnormally");
            }
        }
        if self.inner.core.state() != ConnectionState::Disconnected {
            self.inner.core.transition(ConnectionState::Disconnected);
            let service_url = self.inner.core.service_url.clone();
            self.inner.core.emit(EventKind::Disconnected { service_url });
        }
    }

    /// Disconnects, then clears the statistics, the attempt count and the failure reason. Listeners stay.
    pub async fn reset(&self) {
        self.disconnect().await;
        self.inner.core.counters.clear();
        self.inner.core.clear_failure();
    }

    /// Runs one health check now and returns its outcome; joins the check in flight instead of starting a second.
    ///
    /// While the manager runs, the outcome also drives it: a failure while connected starts reconnecting, a success
    /// while reconnecting connects. While it is `Disconnected` or `Failed`, only the statistics change.
    ///
    /// # Errors
    ///
    /// Returns the [`HealthCheckError`] of a check that did not find a healthy service.
    pub async fn perform_health_check(&self) -> Result<HealthReply, HealthCheckError> {
        let commands = {
            let running = self.inner.running.lock().await;
            running.as_ref().map(|task| task.commands.clone())
        };
        if let Some(commands) = commands {
            let (reply, outcome) = oneshot::channel();
            if commands.send(Command::CheckNow(reply)).await.is_ok() {
                return outcome.await.unwrap_or(Err(HealthCheckError::Cancelled));
            }
        }
        let timeout = self.inner.settings.health_check_timeout;
        let outcome = tokio::time::timeout(timeout, self.inner.probe.check())
            .await
            .unwrap_or(Err(HealthCheckError::TimedOut { timeout }));
        self.inner.core.counters.record_check(outcome.is_ok());
        outcome
    }

    /// Tells the manager that a request of the client failed at the connection level, so it checks the service at
    /// once instead of at the next tick. Cheap, never waits, and coalesces bursts.
    pub fn report_connection_failure(&self) {
        if let Ok(running) = self.inner.running.try_lock()
            && let Some(task) = running.as_ref()
        {
            // A full queue already contains a report or a check.
            let _ = task.commands.try_send(Command::ReportFailure);
        }
    }

    /// Returns the current state.
    pub fn state(&self) -> ConnectionState {
        self.inner.core.state()
    }

    /// Returns a receiver of the current state that callers can await.
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.inner.core.watch_state()
    }

    /// Waits until the manager is in `state`, for at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`WaitError::TimedOut`] when the time runs out, [`WaitError::Failed`] when the manager moves to `Failed`
    /// while waiting for another state.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait_for_state(&self, state: ConnectionState, timeout: Duration) -> Result<(), WaitError> {
        let mut receiver = self.watch_state();
        let reached = receiver.wait_for(|current| *current == state || *current == ConnectionState::Failed);
        match tokio::time::timeout(timeout, reached).await {
            Ok(Ok(current)) if *current == state => Ok(()),
            Ok(_) => Err(WaitError::Failed { expected: state, reason: self.failure() }),
            Err(_) => Err(WaitError::TimedOut { expected: state, actual: self.state(), timeout }),
        }
    }

    /// Returns why the manager is `Failed`; `None` in any other state.
    pub fn failure(&self) -> Option<FailureReason> {
        self.inner.core.failure()
    }

    /// Returns a snapshot of the statistics, without waiting for the manager.
    pub fn stats(&self) -> ConnectionStats {
        self.inner.core.counters.snapshot()
    }

    /// Subscribes to the events. Dropping the stream unsubscribes.
    pub fn events(&self) -> EventStream {
        EventStream::new(self.inner.core.subscribe())
    }

    /// Registers a callback for every event and returns its id for [`remove_listener`](Self::remove_listener).
    ///
    /// Callbacks run on the manager's task, one after the other, so they must return quickly. One that panics is
    /// reported as an `error` event and does not stop the others.
    pub fn on_event(&self, callback: impl Fn(&ConnectionEvent) + Send + Sync + 'static) -> ListenerId {
        self.inner.core.listeners.lock().unwrap_or_else(PoisonError::into_inner).add(Arc::new(callback))
    }

    /// Removes a callback; returns `false` when it was not registered.
    pub fn remove_listener(&self, id: ListenerId) -> bool {
        self.inner.core.listeners.lock().unwrap_or_else(PoisonError::into_inner).remove(id)
    }

    /// Removes every callback.
    pub fn remove_all_listeners(&self) {
        self.inner.core.listeners.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// Returns the service's base URL.
    pub fn service_url(&self) -> &ServiceUrl {
        &self.inner.service_url
    }
}

/// Two handles are equal when they are clones of the same manager.
impl PartialEq for ConnectionManager {
    fn eq(&self, other: &ConnectionManager) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for ConnectionManager {}

impl fmt::Debug for ConnectionManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionManager")
            .field("service_url", &self.inner.service_url)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}
