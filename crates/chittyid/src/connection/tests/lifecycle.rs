//! connect, disconnect, reset, task lifetime and failure paths.

use super::*;

#[tokio::test(start_paused = true)]
async fn initial_state_is_disconnected() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    assert_eq!(manager.state(), ConnectionState::Disconnected);
    assert_eq!(manager.stats().total_health_checks, 0);
    assert!(manager.failure().is_none());
    assert_eq!(probe.checks(), 0);
}

#[tokio::test(start_paused = true)]
async fn connect_reaches_connected() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    let mut events = manager.events();

    manager.connect().await.unwrap();

    assert_eq!(manager.state(), ConnectionState::Connected);
    let stats = manager.stats();
    assert_eq!(stats.total_connections, 1);
    assert!(stats.is_healthy);
    assert!(stats.last_successful_connection.is_some());
    let kinds = drain(&mut events);
    let expected = [
        (ConnectionState::Disconnected, ConnectionState::Connecting),
        (ConnectionState::Connecting, ConnectionState::Connected),
    ];
    assert_eq!(state_changes(&kinds), expected);
    assert!(kinds.contains(&EventKind::Connected { service_url: "http://127.0.0.1:9".into() }));
}

#[tokio::test(start_paused = true)]
async fn connect_when_connected_returns_at_once() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    manager.connect().await.unwrap();

    let second = manager.connect().now_or_never();

    assert!(matches!(second, None | Some(Ok(()))));
    assert_eq!(probe.checks(), 1);
}

#[tokio::test(start_paused = true)]
async fn concurrent_failed_connects_agree() {
    let probe = ScriptedProbe::new(Service::Down);
    probe.set_check_duration(Duration::from_millis(100));
    let manager = builder(&probe).build().unwrap();

    let (first, second) = tokio::join!(manager.connect(), manager.connect());

    assert!(matches!(first, Err(ConnectError::Unavailable { .. })), "{first:?}");
    assert!(matches!(second, Err(ConnectError::Unavailable { .. })), "{second:?}");
    assert_eq!(probe.checks(), 1);
}

#[tokio::test(start_paused = true)]
async fn concurrent_successful_connects_agree() {
    let probe = ScriptedProbe::new(Service::Healthy);
    probe.set_check_duration(Duration::from_millis(100));
    let manager = builder(&probe).build().unwrap();
    let clone = manager.clone();

    let (first, second) = tokio::join!(manager.connect(), clone.connect());

    assert!(first.is_ok());
    assert!(second.is_ok());
    assert_eq!(probe.checks(), 1);
}

#[tokio::test(start_paused = true)]
async fn disconnect_stops_monitoring_and_the_task() {
    let baseline = alive_tasks();
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    manager.connect().await.unwrap();
    assert_eq!(alive_tasks(), baseline + 1);
    let mut events = manager.events();

    manager.disconnect().await;
    let checks = probe.checks();
    advance(Duration::from_secs(600)).await;
    settle().await;

    assert_eq!(manager.state(), ConnectionState::Disconnected);
    assert_eq!(alive_tasks(), baseline);
    assert_eq!(probe.checks(), checks);
    let kinds = drain(&mut events);
    assert!(kinds.contains(&EventKind::Disconnected { service_url: "http://127.0.0.1:9".into() }));
}

#[tokio::test(start_paused = true)]
async fn disconnect_during_backoff_wait_ends_every_task() {
    let baseline = alive_tasks();
    let probe = ScriptedProbe::new(Service::Down);
    let manager = builder(&probe).backoff(plain_backoff()).build().unwrap();
    assert!(manager.connect().await.is_err());
    assert_eq!(manager.state(), ConnectionState::Reconnecting);

    manager.disconnect().await;
    advance(Duration::from_secs(600)).await;
    settle().await;

    assert_eq!(manager.state(), ConnectionState::Disconnected);
    assert_eq!(alive_tasks(), baseline);
    assert_eq!(probe.checks(), 1);
}

#[tokio::test(start_paused = true)]
async fn dropping_last_handle_stops_the_task() {
    let baseline = alive_tasks();
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    let clone = manager.clone();
    manager.connect().await.unwrap();

    drop(manager);
    settle().await;
    assert_eq!(alive_tasks(), baseline + 1, "a clone still holds the manager");

    drop(clone);
    settle().await;
    assert_eq!(alive_tasks(), baseline);
}

#[tokio::test(start_paused = true)]
async fn reset_clears_state_and_statistics() {
    let probe = ScriptedProbe::new(Service::Down);
    let manager = builder(&probe).backoff(plain_backoff()).build().unwrap();
    assert!(manager.connect().await.is_err());
    advance(Duration::from_millis(1_100)).await;
    settle().await;
    assert_ne!(manager.stats().total_health_checks, 0);

    manager.reset().await;

    let stats = manager.stats();
    assert_eq!(stats.current_state, ConnectionState::Disconnected);
    assert_eq!(stats.total_health_checks, 0);
    assert_eq!(stats.total_failures, 0);
    assert_eq!(stats.total_reconnections, 0);
    assert_eq!(stats.reconnect_attempts, 0);
    assert!(stats.last_health_check.is_none());
}

#[tokio::test(start_paused = true)]
async fn rejected_token_fails_without_retrying() {
    let probe = ScriptedProbe::new(Service::RejectsToken);
    let manager = builder(&probe).build().unwrap();

    let outcome = manager.connect().await;
    advance(Duration::from_secs(600)).await;
    settle().await;

    assert!(matches!(outcome, Err(ConnectError::Failed { reason: FailureReason::Permanent { .. } })));
    assert_eq!(manager.state(), ConnectionState::Failed);
    let failure = manager.failure().expect("a failure reason");
    assert!(matches!(failure.health_check_error(), HealthCheckError::Unauthorized { status: 403 }));
    assert_eq!(probe.checks(), 1);
}

#[tokio::test(start_paused = true)]
async fn rejected_token_while_connected_fails() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    manager.connect().await.unwrap();

    probe.set_service(Service::RejectsToken);
    advance(Duration::from_secs(30)).await;
    settle().await;

    assert_eq!(manager.state(), ConnectionState::Failed);
}

#[tokio::test(start_paused = true)]
async fn failed_manager_connects_again_on_connect() {
    let probe = ScriptedProbe::new(Service::RejectsToken);
    let manager = builder(&probe).build().unwrap();
    assert!(manager.connect().await.is_err());

    probe.set_service(Service::Healthy);
    manager.connect().await.unwrap();

    assert_eq!(manager.state(), ConnectionState::Connected);
    assert!(manager.failure().is_none());
}

#[tokio::test(start_paused = true)]
async fn hanging_check_times_out() {
    let probe = ScriptedProbe::new(Service::Healthy);
    probe.set_check_duration(Duration::from_secs(3_600));
    let manager = builder(&probe).health_check_timeout(Duration::from_secs(5)).build().unwrap();

    let outcome = manager.connect().await;

    let Err(ConnectError::Unavailable { error }) = outcome else { panic!("expected a transient failure: {outcome:?}") };
    assert!(matches!(error, HealthCheckError::TimedOut { .. }));
    assert_eq!(manager.state(), ConnectionState::Reconnecting);
}

#[tokio::test(start_paused = true)]
async fn invalid_settings_are_rejected_by_name() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let zero_interval = builder(&probe).health_check_interval(Duration::ZERO).build();
    assert!(matches!(zero_interval, Err(ConfigError::ZeroDuration { setting: "health_check_interval" })));
    let zero_capacity = builder(&probe).event_capacity(0).build();
    assert!(matches!(zero_capacity, Err(ConfigError::ZeroEventCapacity)));
    let bad_backoff = builder(&probe).backoff(Backoff::new().multiplier(0.0)).build();
    assert!(matches!(bad_backoff, Err(ConfigError::Backoff(_))));
}
