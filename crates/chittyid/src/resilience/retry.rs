//! Retry with backoff, a budget and one deadline across all attempts.
//!
//! Only failures that a second attempt can cure are retried (the error type tells the loop through [`Retryable`]).
//! Each retry needs the [`RetryBudget`]'s consent, so a struggling service does not receive a retry storm, and no
//! attempt starts once the call's deadline has passed. The caller gets the last underlying error unchanged.
//! Whether a call may be retried at all (a mint only with an idempotency key) is the caller's decision.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::budget::RetryBudget;
use crate::backoff::Backoff;

/// The classification of an error that the retry loop needs.
pub trait Retryable {
    /// Tells whether another attempt may succeed where this one failed.
    fn is_retryable(&self) -> bool;

    /// Returns how long the service asked the client to wait (`Retry-After`), if it did.
    fn retry_after(&self) -> Option<Duration> {
        None
    }
}

/// Settings of the retry loop.
///
/// The defaults make 3 attempts in all, waiting about 100 ms and then 200 ms (full jitter, so each wait is drawn
/// between zero and that value), honour `Retry-After` up to 5 s, and never wait longer than 5 s.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    backoff: Backoff,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            backoff: Backoff::new().base(Duration::from_millis(100)).multiplier(2.0).cap(Duration::from_secs(5)),
            max_retry_after: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Sets the number of attempts, the first included; 1 turns retries off. Default is 3.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the backoff between attempts. Default is 100 ms, doubling, capped at 5 s, with full jitter.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets the longest `Retry-After` honoured; a longer one is cut to this. Default is 5 s.
    pub fn max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// Returns the number of attempts, the first included.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }
}

/// The result of a retried call and the number of attempts it took.
#[derive(Debug)]
pub struct RetryOutcome<T, E> {
    /// The value, or the error of the last attempt.
    pub result: Result<T, E>,
    /// Attempts made, at least 1.
    pub attempts: u32,
}

/// Runs `call` until it succeeds, fails for good, runs out of attempts, budget or time.
///
/// `call` receives the attempt number (1 for the first) and returns a future. When the budget refuses a retry,
/// or the wait would end past `deadline`, the last error is returned at once.
///
/// # Cancel safety
///
/// Dropping the returned future drops the attempt in flight; no state outlives it except the budget's counts.
pub async fn retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    budget: Option<&RetryBudget>,
    deadline: Option<Instant>,
    mut call: F,
) -> RetryOutcome<T, E>
where
    E: Retryable,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    if let Some(budget) = budget {
        budget.record_call();
    }
    let mut delays = policy.backoff.delays();
    let mut attempt = 1;
    loop {
        let error = match call(attempt).await {
            Ok(value) => return RetryOutcome { result: Ok(value), attempts: attempt },
            Err(error) => error,
        };
        if !error.is_retryable() || attempt >= policy.max_attempts {
            return RetryOutcome { result: Err(error), attempts: attempt };
        }
        let backoff = delays.next().unwrap_or(Duration::ZERO);
        let wait = match error.retry_after() {
            Some(asked) => asked.min(policy.max_retry_after).max(backoff),
            None => backoff,
        };
        if deadline.is_some_and(|deadline| Instant::now() + wait >= deadline) {
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "not retrying: deadline would pass");
            return RetryOutcome { result: Err(error), attempts: attempt };
        }
        if budget.is_some_and(|budget| !budget.try_retry()) {
            tracing::debug!(attempt, "not retrying: retry budget spent");
            return RetryOutcome { result: Err(error), attempts: attempt };
        }
        tracing::debug!(attempt, delay_ms = wait.as_millis() as u64, "retrying after a retryable failure");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::resilience::BudgetConfig;

    #[derive(Debug, PartialEq)]
    struct Failure {
        retryable: bool,
        retry_after: Option<Duration>,
    }

    impl Retryable for Failure {
        fn is_retryable(&self) -> bool {
            self.retryable
        }

        fn retry_after(&self) -> Option<Duration> {
            self.retry_after
        }
    }

    const TRANSIENT: Failure = Failure { retryable: true, retry_after: None };

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success() {
        let calls = Cell::new(0);
        let outcome = retry(&RetryPolicy::default(), None, None, |attempt| {
            calls.set(calls.get() + 1);
            async move { if attempt < 3 { Err(TRANSIENT) } else { Ok(attempt) } }
        })
        .await;
        assert_eq!(outcome.result, Ok(3));
        assert_eq!(outcome.attempts, 3);
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_failure_is_returned_at_once() {
        let outcome: RetryOutcome<(), _> = retry(&RetryPolicy::default(), None, None, |_| async {
            Err(Failure { retryable: false, retry_after: None })
        })
        .await;
        assert_eq!(outcome.attempts, 1);
        assert_eq!(outcome.result, Err(Failure { retryable: false, retry_after: None }));
    }

    #[tokio::test(start_paused = true)]
    async fn last_error_survives_exhausted_attempts() {
        let outcome: RetryOutcome<(), _> =
            retry(&RetryPolicy::default().max_attempts(4), None, None, |attempt| async move {
                Err(Failure { retryable: true, retry_after: Some(Duration::from_millis(u64::from(attempt))) })
            })
            .await;
        assert_eq!(outcome.attempts, 4);
        assert_eq!(outcome.result.unwrap_err().retry_after, Some(Duration::from_millis(4)));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_and_capped() {
        let started = Instant::now();
        let policy = RetryPolicy::default().max_attempts(2).max_retry_after(Duration::from_secs(5));
        let _: RetryOutcome<(), _> = retry(&policy, None, None, |_| async {
            Err(Failure { retryable: true, retry_after: Some(Duration::from_secs(2)) })
        })
        .await;
        assert_eq!(started.elapsed(), Duration::from_secs(2));

        let started = Instant::now();
        let _: RetryOutcome<(), _> = retry(&policy, None, None, |_| async {
            Err(Failure { retryable: true, retry_after: Some(Duration::from_secs(3600)) })
        })
        .await;
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_stops_retries() {
        let deadline = Instant::now() + Duration::from_secs(3);
        let policy = RetryPolicy::default().max_attempts(10);
        let outcome: RetryOutcome<(), _> = retry(&policy, None, Some(deadline), |_| async {
            Err(Failure { retryable: true, retry_after: Some(Duration::from_secs(2)) })
        })
        .await;
        assert_eq!(outcome.attempts, 2, "a third attempt would start after the deadline");
        assert!(Instant::now() < deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn budget_refusal_ends_retries() {
        let budget = RetryBudget::new(BudgetConfig::default().min_per_second(0).ratio(0.0));
        let outcome: RetryOutcome<(), _> =
            retry(&RetryPolicy::default(), Some(&budget), None, |_| async { Err(TRANSIENT) }).await;
        assert_eq!(outcome.attempts, 1);
        assert_eq!(budget.stats().retries_refused, 1);
    }
}
