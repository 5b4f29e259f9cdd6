//! A retry budget: retries may add only a fixed share to the calls of the recent past.
//!
//! Retrying each failed call a few times looks harmless, but when the service is struggling every call fails, and
//! three attempts each triple the load on the service exactly when it can least bear it. A budget caps retries at a
//! ratio of recent first attempts (20 % of the calls of the last 10 s by default), with a small floor so that a
//! quiet client can still retry now and then. Under the budget, a total outage adds at most that share of extra load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::window::SlidingWindow;

/// Settings of a [`RetryBudget`].
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetConfig {
    ratio: f64,
    window: Duration,
    min_per_second: u32,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig { ratio: 0.2, window: Duration::from_secs(10), min_per_second: 1 }
    }
}

impl BudgetConfig {
    /// Sets the share of recent first attempts that retries may add, from 0 to 10. Default is 0.2 (20 %).
    pub fn ratio(mut self, ratio: f64) -> Self {
        self.ratio = ratio.clamp(0.0, 10.0);
        self
    }

    /// Sets how far back calls count. Default is 10 s.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window.max(Duration::from_millis(10));
        self
    }

    /// Sets the retries per second always allowed, whatever the traffic. Default is 1, so 10 per default window.
    pub fn min_per_second(mut self, retries: u32) -> Self {
        self.min_per_second = retries;
        self
    }
}

/// Counters of a [`RetryBudget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetStats {
    /// First attempts recorded since the budget was built.
    pub calls: u64,
    /// Retries the budget allowed.
    pub retries_allowed: u64,
    /// Retries the budget refused.
    pub retries_refused: u64,
}

/// A shared retry budget on tokio's clock; clones share one budget.
///
/// # Examples
///
/// ```
/// use chittyid::resilience::{BudgetConfig, RetryBudget};
///
/// let budget = RetryBudget::new(BudgetConfig::default().min_per_second(0));
/// for _ in 0..10 {
///     budget.record_call();
/// }
/// assert!(budget.try_retry());
/// assert!(budget.try_retry());
/// assert!(!budget.try_retry(), "20 % of 10 calls is 2 retries");
/// ```
#[derive(Debug, Clone)]
pub struct RetryBudget {
    inner: Arc<BudgetInner>,
}

#[derive(Debug)]
struct BudgetInner {
    config: BudgetConfig,
    window: Mutex<SlidingWindow>,
    calls: AtomicU64,
    allowed: AtomicU64,
    refused: AtomicU64,
}

impl RetryBudget {
    /// Builds an empty budget.
    pub fn new(config: BudgetConfig) -> RetryBudget {
        let window = Mutex::new(SlidingWindow::new(config.window, 10));
        let inner = BudgetInner {
            config,
            window,
            calls: AtomicU64::new(0),
            allowed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        };
        RetryBudget { inner: Arc::new(inner) }
    }

    /// Records a first attempt, which earns retries for later.
    pub fn record_call(&self) {
        self.inner.calls.fetch_add(1, Ordering::Relaxed);
        self.lock().record(Instant::now(), false);
    }

    /// Asks to retry once; on `true` the retry is counted against the budget.
    pub fn try_retry(&self) -> bool {
        let now = Instant::now();
        let config = &self.inner.config;
        let mut window = self.lock();
        let totals = window.totals(now);
        let first_attempts = totals.total - totals.marked;
        let floor = f64::from(config.min_per_second) * config.window.as_secs_f64();
        let allowed = floor + config.ratio * f64::from(first_attempts);
        if f64::from(totals.marked) + 1.0 <= allowed {
            window.record(now, true);
            self.inner.allowed.fetch_add(1, Ordering::Relaxed);
            true
        } else {
            self.inner.refused.fetch_add(1, Ordering::Relaxed);
            false
        }
    }

    /// Returns the counters.
    pub fn stats(&self) -> BudgetStats {
        BudgetStats {
            calls: self.inner.calls.load(Ordering::Relaxed),
            retries_allowed: self.inner.allowed.load(Ordering::Relaxed),
            retries_refused: self.inner.refused.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlidingWindow> {
        self.inner.window.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn floor_allows_retries_without_traffic() {
        let budget = RetryBudget::new(BudgetConfig::default().min_per_second(1).window(Duration::from_secs(10)));
        let allowed = (0..20).filter(|_| budget.try_retry()).count();
        assert_eq!(allowed, 10);
    }

    #[tokio::test(start_paused = true)]
    async fn budget_refills_as_the_window_moves() {
        let budget = RetryBudget::new(BudgetConfig::default().min_per_second(0));
        for _ in 0..5 {
            budget.record_call();
        }
        assert!(budget.try_retry());
        assert!(!budget.try_retry());

        tokio::time::advance(Duration::from_secs(11)).await;
        assert!(!budget.try_retry(), "old calls no longer earn retries");
        for _ in 0..5 {
            budget.record_call();
        }
        assert!(budget.try_retry());
        assert_eq!(budget.stats(), BudgetStats { calls: 10, retries_allowed: 2, retries_refused: 2 });
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stay_within_the_ratio_under_total_failure() {
        let budget = RetryBudget::new(BudgetConfig::default());
        let mut retries = 0;
        for _ in 0..1_000 {
            budget.record_call();
            // Every call fails and requests two retries.
            retries += usize::from(budget.try_retry()) + usize::from(budget.try_retry());
        }
        // 20 % of 1,000 calls plus the floor of 10.
        assert!(retries <= 210, "retries {retries}");
        assert!(retries >= 200, "retries {retries}");
    }
}
