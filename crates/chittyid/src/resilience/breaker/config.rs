//! Settings of the circuit breaker, validated when the breaker is built.

use std::time::Duration;

/// Settings of a [`CircuitBreaker`](super::CircuitBreaker).
///
/// The defaults open the circuit when at least half of the calls of the last 10 s failed (once 10 calls were
/// seen), or after 5 failures in a row. The circuit then stays open for 5 s, twice as long after each failed trial,
/// up to 60 s. While half-open it admits 3 trial calls and closes when all 3 succeed.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerConfig {
    pub(crate) failure_rate_threshold: f64,
    pub(crate) window: Duration,
    pub(crate) minimum_calls: u32,
    pub(crate) consecutive_failures: u32,
    pub(crate) open_duration: Duration,
    pub(crate) max_open_duration: Duration,
    pub(crate) half_open_permits: u32,
}

/// A breaker setting out of range; names the setting and the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid circuit breaker setting {setting}: {value}, expected {expected}")]
pub struct BreakerConfigError {
    setting: &'static str,
    value: String,
    expected: &'static str,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_rate_threshold: 0.5,
            window: Duration::from_secs(10),
            minimum_calls: 10,
            consecutive_failures: 5,
            open_duration: Duration::from_secs(5),
            max_open_duration: Duration::from_secs(60),
            half_open_permits: 3,
        }
    }
}

impl BreakerConfig {
    /// Sets the failure rate, from 0 to 1 exclusive of 0, at or above which the circuit opens. Default is 0.5.
    pub fn failure_rate_threshold(mut self, rate: f64) -> Self {
        self.failure_rate_threshold = rate;
        self
    }

    /// Sets the span of the sliding window over which the failure rate is computed. Default is 10 s.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Sets how many calls the window must hold before its failure rate can open the circuit. Default is 10.
    pub fn minimum_calls(mut self, calls: u32) -> Self {
        self.minimum_calls = calls;
        self
    }

    /// Sets how many failures in a row open the circuit whatever the rate; 0 turns this rule off. Default is 5.
    pub fn consecutive_failures(mut self, failures: u32) -> Self {
        self.consecutive_failures = failures;
        self
    }

    /// Sets how long the circuit stays open after its first opening. Default is 5 s.
    ///
    /// Each reopening after a failed trial doubles the time, up to [`BreakerConfig::max_open_duration`].
    pub fn open_duration(mut self, duration: Duration) -> Self {
        self.open_duration = duration;
        self
    }

    /// Sets the longest time the circuit stays open. Default is 60 s.
    pub fn max_open_duration(mut self, duration: Duration) -> Self {
        self.max_open_duration = duration;
        self
    }

    /// Sets how many trial calls the half-open circuit admits; all must succeed to close it. Default is 3.
    pub fn half_open_permits(mut self, permits: u32) -> Self {
        self.half_open_permits = permits;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), BreakerConfigError> {
        let fail = |setting, value: String, expected| Err(BreakerConfigError { setting, value, expected });
        if !(self.failure_rate_threshold > 0.0 && self.failure_rate_threshold <= 1.0) {
            return fail("failure_rate_threshold", self.failure_rate_threshold.to_string(), "a rate in (0, 1]");
        }
        if self.window.is_zero() {
            return fail("window", format!("{:?}", self.window), "a positive duration");
        }
        if self.minimum_calls == 0 {
            return fail("minimum_calls", "0".into(), "at least 1");
        }
        if self.open_duration.is_zero() || self.max_open_duration < self.open_duration {
            return fail(
                "open_duration",
                format!("{:?}", self.open_duration),
                "positive and at most max_open_duration",
            );
        }
        if self.half_open_permits == 0 {
            return fail("half_open_permits", "0".into(), "at least 1");
        }
        Ok(())
    }

    /// Returns the open time after `openings` consecutive openings (1 for the first).
    pub(crate) fn open_time(&self, openings: u32) -> Duration {
        let factor = 2u32.saturating_pow(openings.saturating_sub(1).min(16));
        self.open_duration.saturating_mul(factor).min(self.max_open_duration)
    }
}
