//! Reconnects, health monitoring, faster detection, statistics and events.

use super::*;

#[tokio::test(start_paused = true)]
async fn failure_schedules_a_reconnect() {
    let probe = ScriptedProbe::new(Service::Down);
    let manager = builder(&probe).backoff(plain_backoff()).build().unwrap();
    let mut events = manager.events();

    assert!(manager.connect().await.is_err());

    assert_eq!(manager.state(), ConnectionState::Reconnecting);
    assert_eq!(reconnect_delays(&drain(&mut events)), [(1, Duration::from_secs(1))]);
    advance(Duration::from_millis(999)).await;
    settle().await;
    assert_eq!(probe.checks(), 1, "the attempt waits for its delay");
    advance(Duration::from_millis(1)).await;
    settle().await;
    assert_eq!(probe.checks(), 2);
}

#[tokio::test(start_paused = true)]
async fn reconnect_delays_grow_exponentially() {
    let probe = ScriptedProbe::new(Service::Down);
    let manager = builder(&probe).backoff(plain_backoff()).build().unwrap();
    let mut events = manager.events();

    assert!(manager.connect().await.is_err());
    run_for(Duration::from_secs(40)).await;

    let expected =
        [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16)].map(|(attempt, secs)| (attempt, Duration::from_secs(secs)));
    let delays = reconnect_delays(&drain(&mut events));
    assert_eq!(delays[..5], expected);
    assert_eq!(manager.state(), ConnectionState::Reconnecting);
}

#[tokio::test(start_paused = true)]
async fn max_attempts_lead_to_failed() {
    let probe = ScriptedProbe::new(Service::Down);
    let manager = builder(&probe).backoff(plain_backoff().max_attempts(Some(3))).build().unwrap();
    let mut events = manager.events();
    let mut states = manager.watch_state();

    assert!(manager.connect().await.is_err());
    let mut seen = Vec::new();
    while *states.borrow_and_update() != ConnectionState::Failed {
        seen.push(*states.borrow());
        advance(Duration::from_millis(500)).await;
        settle().await;
    }

    assert!(seen.iter().all(|state| *state == ConnectionState::Reconnecting), "{seen:?}");
    let kinds = drain(&mut events);
    assert!(kinds.contains(&EventKind::MaxReconnectAttemptsReached { attempts: 3 }));
    let failure = manager.failure().expect("a failure reason");
    assert!(matches!(failure, FailureReason::MaxReconnectAttempts { attempts: 3, .. }));
    assert_eq!(probe.checks(), 4, "one first attempt and three reconnect attempts");
    assert_eq!(manager.stats().total_reconnections, 3);
}

#[tokio::test(start_paused = true)]
async fn attempts_reset_after_success() {
    let probe = ScriptedProbe::new(Service::Down);
    let manager = builder(&probe).backoff(plain_backoff()).build().unwrap();
    assert!(manager.connect().await.is_err());
    run_for(Duration::from_millis(3_100)).await;
    assert_eq!(manager.stats().reconnect_attempts, 2);

    probe.set_service(Service::Healthy);
    manager.wait_for_state(ConnectionState::Connected, Duration::from_secs(10)).await.unwrap();
    assert_eq!(manager.stats().reconnect_attempts, 0);

    let mut events = manager.events();
    probe.set_service(Service::Down);
    manager.wait_for_state(ConnectionState::Reconnecting, Duration::from_secs(60)).await.unwrap();
    assert_eq!(reconnect_delays(&drain(&mut events)), [(1, Duration::from_secs(1))]);
}

#[tokio::test(start_paused = true)]
async fn slow_checks_never_overlap() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe)
        .health_check_interval(Duration::from_secs(1))
        .health_check_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    manager.connect().await.unwrap();
    probe.set_check_duration(Duration::from_secs(5));

    for _ in 0..30 {
        advance(Duration::from_millis(700)).await;
        manager.report_connection_failure();
        settle().await;
    }
    let (on_demand, _) = tokio::join!(manager.perform_health_check(), advance(Duration::from_secs(6)));

    assert!(on_demand.is_ok());
    assert!(probe.checks() > 3, "checks kept running");
    assert_eq!(probe.max_in_flight(), 1);
}

#[tokio::test(start_paused = true)]
async fn health_check_updates_the_counters() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();

    assert!(manager.perform_health_check().await.is_ok());
    probe.set_service(Service::Down);
    assert!(manager.perform_health_check().await.is_err());

    let stats = manager.stats();
    assert_eq!(stats.total_health_checks, 2);
    assert_eq!(stats.successful_health_checks, 1);
    assert_eq!(stats.failed_health_checks, 1);
    assert_eq!(stats.health_check_success_rate, 50.0);
    assert!(stats.last_health_check.is_some());
    assert_eq!(manager.state(), ConnectionState::Disconnected, "an on-demand check does not start the manager");
}

#[tokio::test(start_paused = true)]
async fn monitoring_runs_only_while_connected() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    advance(Duration::from_secs(120)).await;
    assert_eq!(probe.checks(), 0, "no monitoring before connect");

    manager.connect().await.unwrap();
    for _ in 0..3 {
        advance(Duration::from_secs(30)).await;
        settle().await;
    }
    assert_eq!(probe.checks(), 4, "the first attempt and one check per interval");

    manager.disconnect().await;
    advance(Duration::from_secs(120)).await;
    settle().await;
    assert_eq!(probe.checks(), 4, "no monitoring after disconnect");
}

#[tokio::test(start_paused = true)]
async fn lost_service_is_found_again_without_help() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    manager.connect().await.unwrap();

    probe.set_service(Service::Down);
    manager.wait_for_state(ConnectionState::Reconnecting, Duration::from_secs(31)).await.unwrap();
    probe.set_service(Service::Healthy);
    manager.wait_for_state(ConnectionState::Connected, Duration::from_secs(120)).await.unwrap();

    let stats = manager.stats();
    assert_eq!(stats.total_connections, 2);
    assert!(stats.total_reconnections >= 1);
}

#[tokio::test(start_paused = true)]
async fn stream_break_triggers_a_check_at_once() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    manager.connect().await.unwrap();
    settle().await;
    assert_eq!(probe.watches(), 1);

    probe.set_service(Service::Down);
    probe.break_stream();
    settle().await;
    advance(Duration::from_millis(20)).await;
    settle().await;

    assert_eq!(manager.state(), ConnectionState::Reconnecting);
    assert_eq!(probe.checks(), 2);
}

#[tokio::test(start_paused = true)]
async fn stream_reopens_after_a_healthy_tick() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    manager.connect().await.unwrap();

    probe.break_stream();
    settle().await;
    advance(Duration::from_millis(20)).await;
    settle().await;
    assert_eq!(manager.state(), ConnectionState::Connected);
    assert_eq!(probe.watches(), 1, "not reopened by the check the break triggered");

    advance(Duration::from_secs(31)).await;
    settle().await;
    assert_eq!(probe.watches(), 2);
}

#[tokio::test(start_paused = true)]
async fn missing_stream_falls_back_to_polling() {
    let probe = ScriptedProbe::new(Service::Healthy);
    probe.set_stream(Stream::Unsupported);
    let manager = builder(&probe).build().unwrap();
    let mut events = manager.events();
    manager.connect().await.unwrap();

    for _ in 0..3 {
        advance(Duration::from_secs(30)).await;
        settle().await;
    }

    assert_eq!(probe.watches(), 1, "not retried against a service without it");
    assert_eq!(probe.checks(), 4);
    assert_eq!(manager.state(), ConnectionState::Connected);
    let errors = drain(&mut events).into_iter().filter(|kind| matches!(kind, EventKind::Error { .. })).count();
    assert_eq!(errors, 0);
}

#[tokio::test(start_paused = true)]
async fn reported_failure_triggers_a_check_at_once() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).health_stream(false).build().unwrap();
    manager.connect().await.unwrap();
    advance(Duration::from_secs(2)).await;

    probe.set_service(Service::Down);
    manager.report_connection_failure();
    settle().await;
    advance(Duration::from_millis(20)).await;
    settle().await;

    assert_eq!(manager.state(), ConnectionState::Reconnecting);
}

#[tokio::test(start_paused = true)]
async fn reported_failures_are_spaced() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).health_stream(false).build().unwrap();
    manager.connect().await.unwrap();

    for _ in 0..10 {
        manager.report_connection_failure();
        settle().await;
    }
    advance(Duration::from_millis(20)).await;
    settle().await;

    assert_eq!(probe.checks(), 1, "reports right after a check are coalesced");
}

#[tokio::test(start_paused = true)]
async fn removed_listener_is_not_called() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let id = manager.on_event(move |_| {
        counter.fetch_add(1, SeqCst);
    });

    assert!(manager.remove_listener(id));
    manager.connect().await.unwrap();

    assert_eq!(calls.load(SeqCst), 0);
    assert!(!manager.remove_listener(id), "already removed");
}

#[tokio::test(start_paused = true)]
async fn panicking_listener_does_not_stop_others() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    let names = Arc::new(Mutex::new(Vec::new()));
    manager.on_event(|event| {
        if matches!(event.kind, EventKind::Connected { .. }) {
            panic!("listener failure on purpose");
        }
    });
    let seen = Arc::clone(&names);
    manager.on_event(move |event| seen.lock().unwrap().push(event.kind.name()));

    manager.connect().await.unwrap();

    let names = names.lock().unwrap().clone();
    assert!(names.contains(&"connected"), "{names:?}");
    assert!(names.contains(&"error"), "the panic is reported: {names:?}");
    assert_eq!(manager.state(), ConnectionState::Connected);
}

#[tokio::test(start_paused = true)]
async fn state_transitions_emit_events_in_order() {
    let probe = ScriptedProbe::new(Service::Down);
    let manager = builder(&probe).backoff(plain_backoff()).build().unwrap();
    let mut events = manager.events();

    assert!(manager.connect().await.is_err());
    probe.set_service(Service::Healthy);
    manager.wait_for_state(ConnectionState::Connected, Duration::from_secs(5)).await.unwrap();
    manager.disconnect().await;

    use ConnectionState::*;
    let expected =
        [(Disconnected, Connecting), (Connecting, Reconnecting), (Reconnecting, Connected), (Connected, Disconnected)];
    assert_eq!(state_changes(&drain(&mut events)), expected);
}

#[tokio::test(start_paused = true)]
async fn slow_subscriber_is_told_it_missed_events() {
    let probe = ScriptedProbe::new(Service::Down);
    let manager = builder(&probe).backoff(plain_backoff()).event_capacity(2).build().unwrap();
    let mut events = manager.events();

    assert!(manager.connect().await.is_err());
    advance(Duration::from_secs(10)).await;
    settle().await;

    let first = events.recv().await.expect("the manager is alive");
    assert!(matches!(first, Err(MissedEvents { count }) if count > 0), "{first:?}");
}

#[tokio::test(start_paused = true)]
async fn statistics_snapshot_has_the_javascript_fields() {
    let probe = ScriptedProbe::new(Service::Healthy);
    let manager = builder(&probe).build().unwrap();
    manager.connect().await.unwrap();
    advance(Duration::from_secs(5)).await;

    let stats = manager.stats();
    let json = serde_json::to_value(&stats).unwrap();

    for field in [
        "totalConnections",
        "totalReconnections",
        "totalFailures",
        "totalHealthChecks",
        "successfulHealthChecks",
        "failedHealthChecks",
        "healthCheckSuccessRate",
        "currentState",
        "uptime",
        "lastHealthCheck",
        "lastSuccessfulConnection",
        "reconnectAttempts",
        "isHealthy",
    ] {
        assert!(json.get(field).is_some(), "missing {field}");
    }
    assert_eq!(json["currentState"], "CONNECTED");
    assert!(stats.uptime >= Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn wait_for_state_reports_timeout_and_failure() {
    let probe = ScriptedProbe::new(Service::Down);
    let manager = builder(&probe).backoff(plain_backoff().max_attempts(Some(1))).build().unwrap();

    let timed_out = manager.wait_for_state(ConnectionState::Connected, Duration::from_secs(1)).await;
    assert!(matches!(timed_out, Err(WaitError::TimedOut { actual: ConnectionState::Disconnected, .. })));

    let _ = manager.connect().await;
    let failed = manager.wait_for_state(ConnectionState::Connected, Duration::from_secs(60)).await;
    assert!(matches!(failed, Err(WaitError::Failed { reason: Some(_), .. })), "{failed:?}");
}
