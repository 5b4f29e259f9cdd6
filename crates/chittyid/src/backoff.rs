//! Reconnect delays: a seedable, exponential, jittered backoff that is a plain iterator of [`Duration`]s.
//!
//! The iterator contains no timer, so the code that sleeps stays separate and tests read the exact sequence without
//! waiting. The defaults keep the JavaScript manager's schedule: first delay 1 s, multiplier 2, cap 60 s, no limit
//! on attempts.
//!
//! # Why jitter, and which one
//!
//! Clients that lose the service together and back off by the same schedule come back together, in lockstep, and
//! hit the recovering service all at once. The default is *full jitter*: each delay is drawn uniformly from
//! `[0, ceiling]`, where the ceiling is the un-jittered exponential delay. Uniform draws spread a crowd of clients
//! evenly over each window, and no delay is ever longer than the un-jittered one.
//!
//! Full jitter alone still lets a probe lag far behind a service that has come back, because late in an outage the
//! ceiling is long. So, while jitter is on, the ceiling is also bounded by a fraction of the outage so far (the sum
//! of the earlier delays), never less than the base delay. With the default fraction of 0.5, a service that comes
//! back after an outage of `T` is probed again within `max(base, T / 2)`. With jitter off, the sequence is the plain
//! exponential schedule and this bound does not apply.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use chittyid::Backoff;
//!
//! let plain: Vec<Duration> = Backoff::new().jitter(false).max_attempts(Some(4)).delays().collect();
//! assert_eq!(plain, [1, 2, 4, 8].map(Duration::from_secs));
//!
//! let jittered: Vec<Duration> = Backoff::new().seed(7).delays().take(3).collect();
//! assert!(jittered.iter().zip(&plain).all(|(jittered, plain)| jittered <= plain));
//! ```

use std::time::Duration;

/// A reconnect backoff configuration; [`Backoff::delays`] turns it into the sequence of delays.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    base: Duration,
    multiplier: f64,
    cap: Duration,
    max_attempts: Option<u32>,
    jitter: bool,
    outage_fraction: f64,
    seed: Option<u64>,
}

/// A backoff setting that cannot be used; the variant names the setting and carries the rejected value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BackoffError {
    /// The first delay is zero.
    #[error("backoff base delay must be greater than zero")]
    ZeroBase,
    /// The multiplier is below 1, infinite or not a number.
    #[error("backoff multiplier {0} must be a finite number of at least 1")]
    Multiplier(f64),
    /// The cap is shorter than the first delay.
    #[error("backoff cap {cap:?} must not be shorter than the base delay {base:?}")]
    CapBelowBase {
        /// The rejected cap.
        cap: Duration,
        /// The base delay it must not undercut.
        base: Duration,
    },
    /// The outage fraction is outside `(0, 1]`.
    #[error("backoff outage fraction {0} must be greater than 0 and at most 1")]
    OutageFraction(f64),
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

impl Backoff {
    /// Creates the default backoff: 1 s, doubling, capped at 60 s, unlimited attempts, full jitter bounded by half
    /// the outage so far, seeded from the operating system.
    pub fn new() -> Backoff {
        Backoff {
            base: Duration::from_secs(1),
            multiplier: 2.0,
            cap: Duration::from_secs(60),
            max_attempts: None,
            jitter: true,
            outage_fraction: 0.5,
            seed: None,
        }
    }

    /// Sets the first delay. Default is 1 s.
    pub fn base(mut self, base: Duration) -> Backoff {
        self.base = base;
        self
    }

    /// Sets the factor by which each delay grows. Default is 2.
    pub fn multiplier(mut self, multiplier: f64) -> Backoff {
        self.multiplier = multiplier;
        self
    }

    /// Sets the longest delay. Default is 60 s.
    pub fn cap(mut self, cap: Duration) -> Backoff {
        self.cap = cap;
        self
    }

    /// Sets how many delays the iterator yields before it ends; `None` is unlimited. Default is `None`.
    pub fn max_attempts(mut self, max_attempts: Option<u32>) -> Backoff {
        self.max_attempts = max_attempts;
        self
    }

    /// Turns full jitter on or off. Default is on.
    pub fn jitter(mut self, jitter: bool) -> Backoff {
        self.jitter = jitter;
        self
    }

    /// Sets the largest delay, as a fraction of the outage so far, that jitter may draw. Used only with jitter on.
    /// Default is 0.5.
    pub fn outage_fraction(mut self, fraction: f64) -> Backoff {
        self.outage_fraction = fraction;
        self
    }

    /// Seeds the jitter, making the sequence reproducible. Default is a seed from the operating system.
    pub fn seed(mut self, seed: u64) -> Backoff {
        self.seed = Some(seed);
        self
    }

    /// Returns the maximum number of attempts, `None` when unlimited.
    pub fn attempt_limit(&self) -> Option<u32> {
        self.max_attempts
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// Returns [`BackoffError`] naming the first setting that cannot be used.
    pub fn validate(&self) -> Result<(), BackoffError> {
        if self.base.is_zero() {
            return Err(BackoffError::ZeroBase);
        }
        if !self.multiplier.is_finite() || self.multiplier < 1.0 {
            return Err(BackoffError::Multiplier(self.multiplier));
        }
        if self.cap < self.base {
            return Err(BackoffError::CapBelowBase { cap: self.cap, base: self.base });
        }
        if !(self.outage_fraction > 0.0 && self.outage_fraction <= 1.0) {
            return Err(BackoffError::OutageFraction(self.outage_fraction));
        }
        Ok(())
    }

    /// Returns the sequence of delays, starting with the first.
    ///
    /// Settings that [`Backoff::validate`] rejects do not panic here: the delays are still finite and at most the cap.
    pub fn delays(&self) -> Delays {
        let rng = match self.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        Delays { backoff: self.clone(), attempt: 0, outage: Duration::ZERO, rng }
    }
}

/// The delays of a [`Backoff`], in order; ends after the maximum number of attempts, if one is set.
#[derive(Debug, Clone)]
pub struct Delays {
    backoff: Backoff,
    attempt: u32,
    outage: Duration,
    rng: fastrand::Rng,
}

impl Delays {
    /// Returns how many delays the iterator has yielded.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Computes the un-jittered delay of the current attempt: `base * multiplier^attempt`, at most the cap.
    fn exponential(&self) -> Duration {
        let Backoff { base, multiplier, cap, .. } = self.backoff;
        let exponent = i32::try_from(self.attempt).unwrap_or(i32::MAX);
        let seconds = base.as_secs_f64() * multiplier.powi(exponent);
        Duration::try_from_secs_f64(seconds).map_or(cap, |delay| delay.min(cap))
    }
}

impl Iterator for Delays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.backoff.max_attempts.is_some_and(|max| self.attempt >= max) {
            return None;
        }
        let exponential = self.exponential();
        let delay = if self.backoff.jitter {
            let outage_bound = self.outage.mul_f64(self.backoff.outage_fraction.clamp(0.0, 1.0));
            let ceiling = exponential.min(outage_bound.max(self.backoff.base));
            ceiling.mul_f64(self.rng.f64())
        } else {
            exponential
        };
        self.attempt = self.attempt.saturating_add(1);
        self.outage = self.outage.saturating_add(delay);
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(values: &[f64]) -> Vec<Duration> {
        values.iter().map(|value| Duration::from_secs_f64(*value)).collect()
    }

    #[test]
    fn plain_sequence_doubles_up_to_the_cap() {
        let delays: Vec<Duration> = Backoff::new().jitter(false).delays().take(9).collect();
        assert_eq!(delays, secs(&[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]));
    }

    #[test]
    fn plain_sequence_follows_custom_settings() {
        let backoff = Backoff::new().jitter(false).base(Duration::from_millis(100)).multiplier(3.0);
        let delays: Vec<Duration> = backoff.cap(Duration::from_secs(2)).delays().take(5).collect();
        assert_eq!(delays, secs(&[0.1, 0.3, 0.9, 2.0, 2.0]));
    }

    #[test]
    fn sequence_ends_at_max_attempts() {
        let mut delays = Backoff::new().max_attempts(Some(3)).delays();
        assert_eq!(delays.by_ref().count(), 3);
        assert_eq!(delays.attempts(), 3);
        assert_eq!(delays.next(), None);
    }

    #[test]
    fn zero_max_attempts_yields_nothing() {
        assert_eq!(Backoff::new().max_attempts(Some(0)).delays().next(), None);
    }

    #[test]
    fn jittered_sequence_is_reproducible_under_a_seed() {
        let first: Vec<Duration> = Backoff::new().seed(42).delays().take(12).collect();
        let second: Vec<Duration> = Backoff::new().seed(42).delays().take(12).collect();
        let other: Vec<Duration> = Backoff::new().seed(43).delays().take(12).collect();
        assert_eq!(first, second);
        assert_ne!(first, other);
    }

    #[test]
    fn jittered_sequence_under_seed_is_exact() {
        // The expected values restate the rule: ceiling = min(exponential, max(base, outage / 2)), then a uniform
        // draw from the same seeded generator.
        let mut rng = fastrand::Rng::with_seed(42);
        let mut outage = Duration::ZERO;
        let mut expected = Vec::new();
        for exponent in 0..12 {
            let exponential = Duration::from_secs(2_u64.pow(exponent)).min(Duration::from_secs(60));
            let ceiling = exponential.min((outage / 2).max(Duration::from_secs(1)));
            let delay = ceiling.mul_f64(rng.f64());
            outage += delay;
            expected.push(delay);
        }
        let delays: Vec<Duration> = Backoff::new().seed(42).delays().take(12).collect();
        assert_eq!(delays, expected);
    }

    #[test]
    fn jittered_sequence_under_seed_42_is_pinned() {
        // Pinned so that a change of the jitter rule or of fastrand's generator shows up as a failure.
        let nanos: Vec<u128> = Backoff::new().seed(42).delays().take(8).map(|delay| delay.as_nanos()).collect();
        let expected =
            [790_799_647, 493_585_949, 804_458_731, 41_692_537, 577_378_200, 617_161_868, 1_488_803_749, 935_003_249];
        assert_eq!(nanos, expected);
    }

    #[test]
    fn jittered_delays_never_exceed_plain_ones() {
        let plain: Vec<Duration> = Backoff::new().jitter(false).delays().take(40).collect();
        for seed in 0..200 {
            let jittered = Backoff::new().seed(seed).delays().take(40);
            for (attempt, (jittered, plain)) in jittered.zip(&plain).enumerate() {
                assert!(jittered <= *plain, "seed {seed}, attempt {attempt}: {jittered:?} > {plain:?}");
            }
        }
    }

    #[test]
    fn jittered_delays_stay_within_half_the_outage() {
        for seed in 0..200 {
            let mut outage = Duration::ZERO;
            for delay in Backoff::new().seed(seed).delays().take(40) {
                let bound = (outage / 2).max(Duration::from_secs(1));
                assert!(delay <= bound, "seed {seed}: {delay:?} after an outage of {outage:?}");
                outage += delay;
            }
        }
    }

    #[test]
    fn huge_attempt_counts_stay_at_the_cap() {
        let mut delays = Backoff::new().jitter(false).delays();
        let last = delays.by_ref().take(5_000).last();
        assert_eq!(last, Some(Duration::from_secs(60)));
    }

    #[test]
    fn invalid_settings_are_named() {
        assert_eq!(Backoff::new().base(Duration::ZERO).validate(), Err(BackoffError::ZeroBase));
        assert_eq!(Backoff::new().multiplier(0.5).validate(), Err(BackoffError::Multiplier(0.5)));
        assert!(matches!(Backoff::new().multiplier(f64::NAN).validate(), Err(BackoffError::Multiplier(_))));
        let short_cap = Backoff::new().cap(Duration::from_millis(10)).validate();
        assert!(matches!(short_cap, Err(BackoffError::CapBelowBase { .. })));
        assert_eq!(Backoff::new().outage_fraction(0.0).validate(), Err(BackoffError::OutageFraction(0.0)));
        assert_eq!(Backoff::new().validate(), Ok(()));
    }
}
