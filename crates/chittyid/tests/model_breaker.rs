//! Model-based test of the circuit breaker: random sequences of acquire, record, drop and time steps, checked
//! against a small reference model after every step.
//!
//! The model restates the rules from the breaker's module docs. A run of consecutive failures opens the circuit for
//! an open time that doubles with each reopening, up to a cap. An acquire after the open time moves it to half-open,
//! which admits a bounded number of trials. Every trial must succeed to close it, and one failed trial reopens it.
//! A permit from an earlier state cannot sway a half-open circuit. The failure-rate rule is kept out of reach (a
//! minimum of 10,000 calls), so the model needs no sliding window.
//!
//! The breaker reads tokio's clock, so each case runs on its own current-thread runtime with a paused clock and
//! moves time with `tokio::time::advance`.

use std::time::Duration;

use chittyid::resilience::{BreakerConfig, BreakerState, CircuitBreaker, Outcome, Permit, Rejected};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use tokio::runtime::Runtime;

const FAILURES_TO_OPEN: u32 = 3;
const HALF_OPEN_PERMITS: u32 = 2;
const OPEN_DURATION: Duration = Duration::from_secs(1);
const MAX_OPEN_DURATION: Duration = Duration::from_secs(4);

fn config() -> BreakerConfig {
    BreakerConfig::default()
        .consecutive_failures(FAILURES_TO_OPEN)
        .minimum_calls(10_000)
        .half_open_permits(HALF_OPEN_PERMITS)
        .open_duration(OPEN_DURATION)
        .max_open_duration(MAX_OPEN_DURATION)
}

/// Computes the open time after the `openings`-th opening in a row: doubled each time, capped.
fn open_time(openings: u32) -> Duration {
    let doubled = OPEN_DURATION.saturating_mul(2_u32.saturating_pow(openings - 1));
    doubled.min(MAX_OPEN_DURATION)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModelState {
    Closed { failures: u32 },
    Open { until: Duration, openings: u32 },
    HalfOpen { admitted: u32, succeeded: u32, openings: u32 },
}

impl ModelState {
    fn public(self) -> BreakerState {
        match self {
            ModelState::Closed { .. } => BreakerState::Closed,
            ModelState::Open { .. } => BreakerState::Open,
            ModelState::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

/// What the model expects from the last acquire.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Acquired {
    None,
    Admitted,
    Rejected { state: BreakerState, retry_after: Option<Duration> },
}

#[derive(Debug, Clone)]
struct Model {
    /// Time since the breaker was built.
    now: Duration,
    state: ModelState,
    /// Bumped on every state change; each held permit remembers the generation it was issued in.
    generation: u64,
    permits: Vec<u64>,
    last_acquire: Acquired,
    permitted: u64,
    rejected: u64,
    succeeded: u64,
    failed: u64,
    openings: u64,
}

#[derive(Debug, Clone)]
enum Step {
    Acquire,
    Record { slot: usize, outcome: Outcome },
    DropPermit { slot: usize },
    Advance { millis: u64 },
}

impl Model {
    fn transition(&mut self, next: ModelState) {
        if next.public() == BreakerState::Open {
            self.openings += 1;
        }
        self.state = next;
        self.generation += 1;
    }

    fn acquire(&mut self) {
        if let ModelState::Open { until, openings } = self.state
            && self.now >= until
        {
            self.transition(ModelState::HalfOpen { admitted: 0, succeeded: 0, openings });
        }
        let admitted = match &mut self.state {
            ModelState::Closed { .. } => true,
            ModelState::HalfOpen { admitted, .. } if *admitted < HALF_OPEN_PERMITS => {
                *admitted += 1;
                true
            }
            _ => false,
        };
        self.last_acquire = if admitted {
            self.permitted += 1;
            self.permits.push(self.generation);
            Acquired::Admitted
        } else {
            self.rejected += 1;
            let retry_after = match self.state {
                ModelState::Open { until, .. } => Some(until - self.now),
                _ => None,
            };
            Acquired::Rejected { state: self.state.public(), retry_after }
        };
    }

    fn record(&mut self, issued: u64, outcome: Outcome) {
        match outcome {
            Outcome::Success => self.succeeded += 1,
            Outcome::Failure => self.failed += 1,
            Outcome::Ignored => {}
        }
        let current = issued == self.generation;
        match (self.state, outcome) {
            (ModelState::HalfOpen { admitted, succeeded, openings }, Outcome::Ignored) if current => {
                self.state = ModelState::HalfOpen { admitted: admitted.saturating_sub(1), succeeded, openings };
            }
            (_, Outcome::Ignored) => {}
            (ModelState::Closed { .. }, Outcome::Success) => self.state = ModelState::Closed { failures: 0 },
            (ModelState::Closed { failures }, Outcome::Failure) if failures + 1 >= FAILURES_TO_OPEN => {
                self.transition(ModelState::Open { until: self.now + open_time(1), openings: 1 });
            }
            (ModelState::Closed { failures }, Outcome::Failure) => {
                self.state = ModelState::Closed { failures: failures + 1 };
            }
            (ModelState::HalfOpen { .. }, _) if !current => {}
            (ModelState::HalfOpen { succeeded, .. }, Outcome::Success) if succeeded + 1 >= HALF_OPEN_PERMITS => {
                self.transition(ModelState::Closed { failures: 0 });
            }
            (ModelState::HalfOpen { admitted, succeeded, openings }, Outcome::Success) => {
                self.state = ModelState::HalfOpen { admitted, succeeded: succeeded + 1, openings };
            }
            (ModelState::HalfOpen { openings, .. }, Outcome::Failure) => {
                let openings = openings + 1;
                self.transition(ModelState::Open { until: self.now + open_time(openings), openings });
            }
            (ModelState::Open { .. }, _) => {}
        }
    }
}

struct BreakerModel;

impl ReferenceStateMachine for BreakerModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model {
            now: Duration::ZERO,
            state: ModelState::Closed { failures: 0 },
            generation: 0,
            permits: Vec::new(),
            last_acquire: Acquired::None,
            permitted: 0,
            rejected: 0,
            succeeded: 0,
            failed: 0,
            openings: 0,
        })
        .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let outcome = prop_oneof![Just(Outcome::Success), Just(Outcome::Failure), Just(Outcome::Ignored)];
        let advance = (0_u64..5_000).prop_map(|millis| Step::Advance { millis });
        if state.permits.is_empty() {
            return prop_oneof![3 => Just(Step::Acquire), 1 => advance].boxed();
        }
        let held = state.permits.len();
        prop_oneof![
            3 => Just(Step::Acquire),
            4 => (0..held, outcome).prop_map(|(slot, outcome)| Step::Record { slot, outcome }),
            1 => (0..held).prop_map(|slot| Step::DropPermit { slot }),
            2 => advance,
        ]
        .boxed()
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        match step {
            Step::Record { slot, .. } | Step::DropPermit { slot } => *slot < state.permits.len(),
            Step::Acquire | Step::Advance { .. } => true,
        }
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.last_acquire = Acquired::None;
        match *step {
            Step::Acquire => state.acquire(),
            Step::Record { slot, outcome } => {
                let issued = state.permits.remove(slot);
                state.record(issued, outcome);
            }
            Step::DropPermit { slot } => {
                let issued = state.permits.remove(slot);
                state.record(issued, Outcome::Ignored);
            }
            Step::Advance { millis } => state.now += Duration::from_millis(millis),
        }
        state
    }
}

struct Breaker {
    runtime: Runtime,
    breaker: CircuitBreaker,
    permits: Vec<Permit>,
}

struct BreakerTest;

impl StateMachineTest for BreakerTest {
    type SystemUnderTest = Breaker;
    type Reference = BreakerModel;

    fn init_test(_model: &Model) -> Breaker {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        // The breaker must be built on the paused clock, because it keeps the time it was built.
        let breaker = runtime.block_on(async { CircuitBreaker::new(config()).unwrap() });
        Breaker { runtime, breaker, permits: Vec::new() }
    }

    fn apply(mut sut: Breaker, model: &Model, step: Step) -> Breaker {
        let _time = sut.runtime.enter();
        match step {
            Step::Acquire => {
                let acquired = sut.breaker.try_acquire();
                let observed = match acquired {
                    Ok(permit) => {
                        sut.permits.push(permit);
                        Acquired::Admitted
                    }
                    Err(Rejected { state, retry_after }) => Acquired::Rejected { state, retry_after },
                };
                assert_eq!(observed, model.last_acquire, "acquire disagrees with the model in {:?}", model.state);
            }
            Step::Record { slot, outcome } => sut.permits.remove(slot).record(outcome),
            Step::DropPermit { slot } => drop(sut.permits.remove(slot)),
            Step::Advance { millis } => sut.runtime.block_on(tokio::time::advance(Duration::from_millis(millis))),
        }
        sut
    }

    fn check_invariants(sut: &Breaker, model: &Model) {
        let _time = sut.runtime.enter();
        let stats = sut.breaker.stats();
        assert_eq!(sut.breaker.state(), model.state.public(), "state disagrees with the model {:?}", model.state);
        assert_eq!(stats.state, model.state.public());
        assert_eq!(stats.permitted_calls, model.permitted, "admitted calls");
        assert_eq!(stats.rejected_calls, model.rejected, "rejected calls");
        assert_eq!(stats.successful_calls, model.succeeded, "successful calls");
        assert_eq!(stats.failed_calls, model.failed, "failed calls");
        assert_eq!(stats.openings, model.openings, "openings");
        assert_eq!(sut.permits.len(), model.permits.len(), "held permits");
        if let ModelState::HalfOpen { admitted, succeeded, .. } = model.state {
            assert!(admitted <= HALF_OPEN_PERMITS, "half-open admitted {admitted} trials");
            assert!(succeeded <= admitted, "more trial successes ({succeeded}) than trials ({admitted})");
        }
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn breaker_agrees_with_model(sequential 1..80 => BreakerTest);
}
