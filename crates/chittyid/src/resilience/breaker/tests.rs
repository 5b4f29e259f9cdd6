use std::time::Duration;

use tokio::time::advance;

use super::*;

fn breaker(config: BreakerConfig) -> CircuitBreaker {
    CircuitBreaker::new(config).expect("valid config")
}

fn fail_times(breaker: &CircuitBreaker, times: usize) {
    for _ in 0..times {
        breaker.try_acquire().expect("admitted").record(Outcome::Failure);
    }
}

#[tokio::test(start_paused = true)]
async fn consecutive_failures_open_the_circuit() {
    let breaker = breaker(BreakerConfig::default().consecutive_failures(3));
    fail_times(&breaker, 2);
    assert_eq!(breaker.state(), BreakerState::Closed);
    fail_times(&breaker, 1);
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn success_resets_the_failure_streak() {
    let breaker = breaker(BreakerConfig::default().consecutive_failures(3).minimum_calls(100));
    fail_times(&breaker, 2);
    breaker.try_acquire().unwrap().record(Outcome::Success);
    fail_times(&breaker, 2);
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn failure_rate_opens_only_after_minimum_calls() {
    let config = BreakerConfig::default().consecutive_failures(0).minimum_calls(10).failure_rate_threshold(0.5);
    let breaker = breaker(config);
    for _ in 0..4 {
        breaker.try_acquire().unwrap().record(Outcome::Success);
        breaker.try_acquire().unwrap().record(Outcome::Failure);
    }
    assert_eq!(breaker.state(), BreakerState::Closed, "8 calls is below the minimum");
    breaker.try_acquire().unwrap().record(Outcome::Success);
    breaker.try_acquire().unwrap().record(Outcome::Failure);
    assert_eq!(breaker.state(), BreakerState::Open, "5 failures in 10 calls");
}

#[tokio::test(start_paused = true)]
async fn old_failures_leave_the_window() {
    let config = BreakerConfig::default().consecutive_failures(0).minimum_calls(4).window(Duration::from_secs(10));
    let breaker = breaker(config);
    fail_times(&breaker, 3);
    advance(Duration::from_secs(11)).await;
    breaker.try_acquire().unwrap().record(Outcome::Failure);
    assert_eq!(breaker.state(), BreakerState::Closed, "only one call is left in the window");
}

#[tokio::test(start_paused = true)]
async fn open_circuit_rejects_with_time_to_next_trial() {
    let breaker = breaker(BreakerConfig::default().consecutive_failures(1).open_duration(Duration::from_secs(5)));
    fail_times(&breaker, 1);
    advance(Duration::from_secs(2)).await;

    let rejected = breaker.try_acquire().unwrap_err();
    assert_eq!(rejected.state, BreakerState::Open);
    assert_eq!(rejected.retry_after, Some(Duration::from_secs(3)));
    assert_eq!(breaker.stats().rejected_calls, 1);
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_only_its_permits() {
    let breaker = breaker(BreakerConfig::default().consecutive_failures(1).half_open_permits(3));
    fail_times(&breaker, 1);
    advance(Duration::from_secs(5)).await;

    let attempts: Vec<_> = (0..200).map(|_| breaker.try_acquire()).collect();
    let admitted = attempts.iter().filter(|attempt| attempt.is_ok()).count();
    assert_eq!(admitted, 3);
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    let rejected = attempts.iter().find_map(|attempt| attempt.as_ref().err()).unwrap();
    assert_eq!(rejected.state, BreakerState::HalfOpen);
}

#[tokio::test(start_paused = true)]
async fn successful_trials_close_the_circuit() {
    let breaker = breaker(BreakerConfig::default().consecutive_failures(1).half_open_permits(2));
    fail_times(&breaker, 1);
    advance(Duration::from_secs(5)).await;

    let first = breaker.try_acquire().unwrap();
    let second = breaker.try_acquire().unwrap();
    first.record(Outcome::Success);
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    second.record(Outcome::Success);
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn failed_trial_doubles_open_time() {
    let config = BreakerConfig::default()
        .consecutive_failures(1)
        .open_duration(Duration::from_secs(5))
        .max_open_duration(Duration::from_secs(12));
    let breaker = breaker(config);
    fail_times(&breaker, 1);

    let mut open_times = Vec::new();
    for _ in 0..3 {
        let wait = breaker.try_acquire().unwrap_err().retry_after.unwrap();
        open_times.push(wait);
        advance(wait).await;
        breaker.try_acquire().expect("trial admitted").record(Outcome::Failure);
    }
    let expected = [5, 10, 12].map(Duration::from_secs);
    assert_eq!(open_times, expected);
}

#[tokio::test(start_paused = true)]
async fn ignored_outcomes_do_not_count() {
    let breaker = breaker(BreakerConfig::default().consecutive_failures(2));
    for _ in 0..10 {
        breaker.try_acquire().unwrap().record(Outcome::Ignored);
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert_eq!(breaker.stats().failed_calls, 0);
}

#[tokio::test(start_paused = true)]
async fn dropped_trial_permit_frees_its_slot() {
    let breaker = breaker(BreakerConfig::default().consecutive_failures(1).half_open_permits(1));
    fail_times(&breaker, 1);
    advance(Duration::from_secs(5)).await;

    drop(breaker.try_acquire().unwrap());
    assert!(breaker.try_acquire().is_ok(), "the slot of the dropped permit is free again");
}

#[tokio::test(start_paused = true)]
async fn stale_permit_ignored_when_half_open() {
    let breaker = breaker(BreakerConfig::default().consecutive_failures(1).half_open_permits(1));
    let early = breaker.try_acquire().unwrap();
    fail_times(&breaker, 1);
    advance(Duration::from_secs(5)).await;
    let trial = breaker.try_acquire().unwrap();

    early.record(Outcome::Failure);
    assert_eq!(breaker.state(), BreakerState::HalfOpen, "a permit from before the opening is stale");
    trial.record(Outcome::Success);
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn transitions_are_published() {
    let breaker = breaker(BreakerConfig::default().consecutive_failures(1).half_open_permits(1));
    let mut transitions = breaker.subscribe();
    let mut state = breaker.watch_state();

    fail_times(&breaker, 1);
    advance(Duration::from_secs(5)).await;
    breaker.try_acquire().unwrap().record(Outcome::Success);

    let seen: Vec<_> = std::iter::from_fn(|| transitions.try_recv().ok()).map(|t| (t.from, t.to)).collect();
    let expected = vec![
        (BreakerState::Closed, BreakerState::Open),
        (BreakerState::Open, BreakerState::HalfOpen),
        (BreakerState::HalfOpen, BreakerState::Closed),
    ];
    assert_eq!(seen, expected);
    assert!(state.has_changed().unwrap());
    assert_eq!(*state.borrow_and_update(), BreakerState::Closed);
    assert_eq!(breaker.stats().openings, 1);
}

#[test]
fn invalid_settings_are_rejected() {
    let cases = [
        BreakerConfig::default().failure_rate_threshold(0.0),
        BreakerConfig::default().failure_rate_threshold(1.5),
        BreakerConfig::default().window(Duration::ZERO),
        BreakerConfig::default().minimum_calls(0),
        BreakerConfig::default().open_duration(Duration::ZERO),
        BreakerConfig::default().open_duration(Duration::from_secs(120)),
        BreakerConfig::default().half_open_permits(0),
    ];
    for config in cases {
        let error = CircuitBreaker::new(config.clone()).unwrap_err();
        assert!(error.to_string().starts_with("invalid circuit breaker setting"), "{config:?}: {error}");
    }
}

#[test]
fn stats_serialise_in_camel_case() {
    let breaker = breaker(BreakerConfig::default());
    let json = serde_json::to_value(breaker.stats()).unwrap();
    assert_eq!(json["state"], "CLOSED");
    assert_eq!(json["rejectedCalls"], 0);
}
