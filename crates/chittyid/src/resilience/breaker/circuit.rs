//! The breaker itself: one private state enum behind a short-held lock, and permits that report outcomes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::config::{BreakerConfig, BreakerConfigError};
use crate::metrics::BreakerInstruments;
use crate::resilience::window::SlidingWindow;

/// The public face of the breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BreakerState {
    /// Calls flow; failures are counted.
    Closed,
    /// Calls are rejected at once until the open time ends.
    Open,
    /// A bounded number of trial calls are admitted; the rest are rejected.
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed { consecutive_failures: u32 },
    Open { until: Instant, openings: u32 },
    HalfOpen { admitted: u32, succeeded: u32, openings: u32 },
}

impl State {
    fn public(&self) -> BreakerState {
        match self {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

/// The result of a call that held a [`Permit`], as far as the service's health is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The service replied as expected.
    Success,
    /// The failure reflects the service's health (connect error, timeout, 5xx, 429).
    Failure,
    /// The outcome does not reflect the service's health (a 422 for a bad request, a cancelled call), so it is
    /// not counted.
    Ignored,
}

/// A call rejected because the circuit is open, or half-open with every trial slot taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("circuit breaker is {state:?}: call rejected without contacting the service")]
pub struct Rejected {
    /// The state that rejected the call.
    pub state: BreakerState,
    /// How long until the next trial call is admitted; `None` while half-open trials are still running.
    pub retry_after: Option<Duration>,
}

/// A change of state, as the breaker's event stream reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BreakerTransition {
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
    /// When it changed (wall clock).
    pub timestamp: SystemTime,
}

/// Counters and the current state, read without waiting on any call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BreakerStats {
    /// The current state.
    pub state: BreakerState,
    /// Calls admitted since the breaker was built.
    pub permitted_calls: u64,
    /// Calls rejected without contacting the service.
    pub rejected_calls: u64,
    /// Admitted calls that succeeded.
    pub successful_calls: u64,
    /// Admitted calls that failed in a way that counts.
    pub failed_calls: u64,
    /// How many times the circuit opened.
    pub openings: u64,
    /// Failure rate over the current window, 0 to 1, or 0 while the window contains fewer than the minimum calls.
    pub failure_rate: f64,
    /// Calls in the current window.
    pub window_calls: u32,
}

#[derive(Debug, Default)]
struct Counters {
    permitted: AtomicU64,
    rejected: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    openings: AtomicU64,
}

#[derive(Debug)]
struct Inner {
    config: BreakerConfig,
    core: Mutex<Core>,
    counters: Counters,
    state_tx: watch::Sender<BreakerState>,
    transitions: broadcast::Sender<BreakerTransition>,
    instruments: Option<BreakerInstruments>,
}

#[derive(Debug)]
struct Core {
    state: State,
    window: SlidingWindow,
    /// Bumped on every transition, so a permit issued in an earlier state cannot sway the current one.
    generation: u64,
}

/// A circuit breaker: closed, open and half-open, on tokio's clock.
///
/// Cloning is cheap and clones share one breaker.
///
/// The circuit opens when the failure rate over a sliding window reaches a threshold (once the window contains a
/// minimum number of calls) or after a run of consecutive failures. While open, calls are rejected at once with the
/// time until the next trial. Then, half-open, it admits a bounded number of trial calls and rejects the rest. All
/// trials succeeding close it; one failed trial reopens it for twice as long as before, up to a cap.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    inner: Arc<Inner>,
}

/// The right to make one call. Report how it ended with [`Permit::record`]; dropping it unreported counts as
/// [`Outcome::Ignored`] and frees its half-open trial slot.
#[derive(Debug)]
#[must_use = "a permit reports the call's outcome; dropping it at once wastes a trial slot"]
pub struct Permit {
    breaker: Arc<Inner>,
    generation: u64,
    recorded: bool,
}

impl CircuitBreaker {
    /// Builds a closed breaker.
    ///
    /// # Errors
    ///
    /// Returns [`BreakerConfigError`] naming a setting out of range.
    pub fn new(config: BreakerConfig) -> Result<CircuitBreaker, BreakerConfigError> {
        CircuitBreaker::with_instruments(config, None)
    }

    /// Builds a closed breaker that records its state changes in `instruments`.
    pub(crate) fn with_instruments(
        config: BreakerConfig,
        instruments: Option<BreakerInstruments>,
    ) -> Result<CircuitBreaker, BreakerConfigError> {
        config.validate()?;
        let window = SlidingWindow::new(config.window, 10);
        let (state_tx, _) = watch::channel(BreakerState::Closed);
        let (transitions, _) = broadcast::channel(64);
        let core = Core { state: State::Closed { consecutive_failures: 0 }, window, generation: 0 };
        let counters = Counters::default();
        let inner = Inner { config, core: Mutex::new(core), counters, state_tx, transitions, instruments };
        Ok(CircuitBreaker { inner: Arc::new(inner) })
    }

    /// Requests a permit for one call. A rejection is immediate and carries the time until the next trial.
    pub fn try_acquire(&self) -> Result<Permit, Rejected> {
        let now = Instant::now();
        let mut core = self.inner.lock();
        if let State::Open { until, openings } = core.state
            && now >= until
        {
            self.inner.transition(&mut core, State::HalfOpen { admitted: 0, succeeded: 0, openings });
        }
        let admitted = match &mut core.state {
            State::Closed { .. } => Ok(()),
            State::Open { until, .. } => {
                Err(Rejected { state: BreakerState::Open, retry_after: Some(until.saturating_duration_since(now)) })
            }
            State::HalfOpen { admitted, .. } if *admitted < self.inner.config.half_open_permits => {
                *admitted += 1;
                Ok(())
            }
            State::HalfOpen { .. } => Err(Rejected { state: BreakerState::HalfOpen, retry_after: None }),
        };
        let generation = core.generation;
        drop(core);
        match admitted {
            Ok(()) => {
                self.inner.counters.permitted.fetch_add(1, Ordering::Relaxed);
                Ok(Permit { breaker: Arc::clone(&self.inner), generation, recorded: false })
            }
            Err(rejected) => {
                self.inner.counters.rejected.fetch_add(1, Ordering::Relaxed);
                Err(rejected)
            }
        }
    }

    /// Returns the current state. An open circuit whose time is over reads as open until the next call requests a permit.
    pub fn state(&self) -> BreakerState {
        *self.inner.state_tx.borrow()
    }

    /// Returns a watch on the state, for callers that await a change.
    pub fn watch_state(&self) -> watch::Receiver<BreakerState> {
        self.inner.state_tx.subscribe()
    }

    /// Subscribes to state transitions. A subscriber that falls more than 64 behind misses the oldest ones.
    pub fn subscribe(&self) -> broadcast::Receiver<BreakerTransition> {
        self.inner.transitions.subscribe()
    }

    /// Returns the counters and the current state.
    pub fn stats(&self) -> BreakerStats {
        let counters = &self.inner.counters;
        let core = self.inner.lock();
        let totals = core.window.totals(Instant::now());
        let failure_rate = if totals.total >= self.inner.config.minimum_calls {
            f64::from(totals.marked) / f64::from(totals.total)
        } else {
            0.0
        };
        BreakerStats {
            state: core.state.public(),
            permitted_calls: counters.permitted.load(Ordering::Relaxed),
            rejected_calls: counters.rejected.load(Ordering::Relaxed),
            successful_calls: counters.succeeded.load(Ordering::Relaxed),
            failed_calls: counters.failed.load(Ordering::Relaxed),
            openings: counters.openings.load(Ordering::Relaxed),
            failure_rate,
            window_calls: totals.total,
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Core> {
        // The lock guards plain counters: a panic elsewhere cannot leave them in a state worth refusing to read.
        self.core.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn transition(&self, core: &mut Core, next: State) {
        let from = core.state.public();
        let to = next.public();
        if to == BreakerState::Open {
            self.counters.openings.fetch_add(1, Ordering::Relaxed);
        }
        if to == BreakerState::Closed {
            core.window.clear();
        }
        core.state = next;
        core.generation += 1;
        tracing::debug!(?from, ?to, "circuit breaker changed state");
        if let Some(instruments) = &self.instruments {
            instruments.record_transition(from, to);
        }
        self.state_tx.send_replace(to);
        let _ = self.transitions.send(BreakerTransition { from, to, timestamp: SystemTime::now() });
    }

    fn record(&self, generation: u64, outcome: Outcome) {
        match outcome {
            Outcome::Success => self.counters.succeeded.fetch_add(1, Ordering::Relaxed),
            Outcome::Failure => self.counters.failed.fetch_add(1, Ordering::Relaxed),
            Outcome::Ignored => 0,
        };
        let now = Instant::now();
        let mut core = self.lock();
        let current = generation == core.generation;
        let config = &self.config;
        match (&mut core.state, outcome) {
            (_, Outcome::Ignored) if !current => {}
            (State::HalfOpen { admitted, .. }, Outcome::Ignored) => *admitted = admitted.saturating_sub(1),
            (_, Outcome::Ignored) => {}
            (State::Closed { consecutive_failures }, Outcome::Success) => {
                *consecutive_failures = 0;
                core.window.record(now, false);
            }
            (State::Closed { consecutive_failures }, Outcome::Failure) => {
                *consecutive_failures += 1;
                let in_a_row = *consecutive_failures;
                core.window.record(now, true);
                let totals = core.window.totals(now);
                let rate_exceeded = totals.total >= config.minimum_calls
                    && f64::from(totals.marked) >= config.failure_rate_threshold * f64::from(totals.total);
                let streak_exceeded = config.consecutive_failures > 0 && in_a_row >= config.consecutive_failures;
                if rate_exceeded || streak_exceeded {
                    let until = now + config.open_time(1);
                    self.transition(&mut core, State::Open { until, openings: 1 });
                }
            }
            (State::HalfOpen { .. }, _) if !current => {}
            (State::HalfOpen { succeeded, .. }, Outcome::Success) => {
                *succeeded += 1;
                if *succeeded >= config.half_open_permits {
                    self.transition(&mut core, State::Closed { consecutive_failures: 0 });
                }
            }
            (State::HalfOpen { openings, .. }, Outcome::Failure) => {
                let openings = openings.saturating_add(1);
                let until = now + config.open_time(openings);
                self.transition(&mut core, State::Open { until, openings });
            }
            // A call admitted before the circuit opened ends while it is open, so its outcome changes nothing.
            (State::Open { .. }, _) => {}
        }
    }
}

impl Permit {
    /// Reports how the call ended.
    pub fn record(mut self, outcome: Outcome) {
        self.recorded = true;
        self.breaker.record(self.generation, outcome);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.recorded {
            self.breaker.record(self.generation, Outcome::Ignored);
        }
    }
}
