//! A circuit breaker that fails fast while the service is down and lets a bounded number of trial calls find out
//! when it is back.
//!
//! Without a breaker, every caller waits out its own timeout against a dead service (5–10 s each) and the service,
//! when it returns, meets every queued call at once. The breaker opens when the failure rate over a sliding window
//! reaches a threshold (once the window contains a minimum number of calls) or after a run of consecutive failures.
//! While open, calls are rejected in microseconds with the time until the next trial. When the open time ends, the
//! breaker is half-open: it admits at most [`BreakerConfig::half_open_permits`] trial calls, however many arrive at
//! once, and rejects the rest. If every trial succeeds it closes; one failed trial reopens it for twice as long as
//! before, up to a cap.
//!
//! Only failures that say something about the service should be reported as [`Outcome::Failure`]: a 422 for a bad
//! request is [`Outcome::Ignored`]. The caller decides, because only the caller knows what its error means.
//!
//! All timing uses tokio's clock, so tests run on the paused clock.
//!
//! ```
//! use chittyid::resilience::{BreakerConfig, BreakerState, CircuitBreaker, Outcome};
//!
//! let breaker = CircuitBreaker::new(BreakerConfig::default().consecutive_failures(2))?;
//! for _ in 0..2 {
//!     breaker.try_acquire().expect("closed").record(Outcome::Failure);
//! }
//! assert_eq!(breaker.state(), BreakerState::Open);
//! let rejected = breaker.try_acquire().unwrap_err();
//! assert!(rejected.retry_after.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod circuit;
mod config;

pub use circuit::{BreakerState, BreakerStats, BreakerTransition, CircuitBreaker, Outcome, Permit, Rejected};
pub use config::{BreakerConfig, BreakerConfigError};

#[cfg(test)]
mod tests;
