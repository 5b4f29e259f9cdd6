//! Resilience layers that the client composes around each call: retries with a budget, a circuit breaker and a
//! validation cache, all on tokio's clock.
//!
//! Each layer is usable on its own and does no I/O. The caller requests a permit and reports the outcome, so each
//! layer is tested alone on the paused clock.

mod breaker;
mod budget;
mod cache;
mod retry;
mod window;

pub use breaker::{
    BreakerConfig, BreakerConfigError, BreakerState, BreakerStats, BreakerTransition, CircuitBreaker, Outcome, Permit,
    Rejected,
};
pub use budget::{BudgetConfig, BudgetStats, RetryBudget};
pub use cache::{CacheConfig, CacheStats, TtlCache};
pub use retry::{RetryOutcome, RetryPolicy, Retryable, retry};
