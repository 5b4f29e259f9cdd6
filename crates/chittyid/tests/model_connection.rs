//! Model-based test of the connection manager's state machine.
//!
//! It drives a real [`ConnectionManager`] through its public API (connect, disconnect, reset,
//! perform_health_check), while the real local service on `127.0.0.1` is killed and started
//! again on the same port. Every `stateChange` event must be a legal transition that starts where the previous one
//! ended, and the state after each step must agree with a small model.
//!
//! Killing or starting the service moves a running manager in the background (its health stream breaks, or a
//! reconnect attempt succeeds), at a moment the test does not control. The model then knows the state only after
//! the next step that settles it: a health check, a connect to a reachable service, or a disconnect. Real sockets
//! cannot run on the paused clock, so the backoff is a few milliseconds and the case count is small.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chittyid::connection::{ConnectionManager, ConnectionState, EventKind};
use chittyid::{Backoff, ServiceUrl};
use chittyid_server::{RunningServer, Server, ServerConfig};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use tokio::runtime::Runtime;

use ConnectionState::{Connected, Disconnected, Reconnecting};

/// Stops a step that would otherwise hang; it never decides a pass.
const HANG_GUARD: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
enum Step {
    Connect,
    Disconnect,
    Reset,
    HealthCheck,
    KillService,
    StartService,
}

#[derive(Debug, Clone)]
struct Model {
    service_up: bool,
    /// Whether the manager's task runs: after connect, until disconnect or reset.
    running: bool,
    /// The state the manager must be in after the step, or `None` while a background change may be pending.
    expected: Option<ConnectionState>,
    /// Whether the last health check must succeed, for a step that ran one.
    check_ok: Option<bool>,
    /// Whether the last connect must succeed, when the model can tell.
    connect_ok: Option<bool>,
}

struct ManagerModel;

impl ReferenceStateMachine for ManagerModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        let initial =
            Model { service_up: true, running: false, expected: Some(Disconnected), check_ok: None, connect_ok: None };
        Just(initial).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let service = if state.service_up { Step::KillService } else { Step::StartService };
        prop_oneof![
            3 => Just(Step::Connect),
            1 => Just(Step::Disconnect),
            1 => Just(Step::Reset),
            3 => Just(Step::HealthCheck),
            2 => Just(service),
        ]
        .boxed()
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        match step {
            Step::KillService => state.service_up,
            Step::StartService => !state.service_up,
            _ => true,
        }
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.check_ok = None;
        state.connect_ok = None;
        match step {
            Step::Connect => {
                let settled = !state.running || state.expected.is_some();
                state.running = true;
                if state.service_up {
                    // Connected returns at once; otherwise the next attempt reaches the service.
                    state.expected = Some(Connected);
                    state.connect_ok = Some(true);
                } else if settled {
                    // A fresh start fails its first attempt; a known Reconnecting manager fails its next one.
                    state.expected = Some(Reconnecting);
                    state.connect_ok = Some(false);
                }
                // A manager that may not have noticed the outage yet returns Ok while it still reads Connected.
            }
            Step::Disconnect | Step::Reset => {
                state.running = false;
                state.expected = Some(Disconnected);
            }
            Step::HealthCheck => {
                state.check_ok = Some(state.service_up);
                if state.running {
                    state.expected = Some(if state.service_up { Connected } else { Reconnecting });
                }
            }
            Step::KillService | Step::StartService => {
                state.service_up = matches!(step, Step::StartService);
                if state.running {
                    state.expected = None;
                }
            }
        }
        state
    }
}

/// The state changes a listener saw, in order.
type Changes = Arc<Mutex<Vec<(ConnectionState, ConnectionState)>>>;

struct Harness {
    runtime: Runtime,
    dir: tempfile::TempDir,
    addr: SocketAddr,
    service: Option<RunningServer>,
    manager: ConnectionManager,
    changes: Changes,
}

impl Harness {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime
            .block_on(async { tokio::time::timeout(HANG_GUARD, future).await.expect("a manager call did not return") })
    }
}

struct ManagerTest;

impl StateMachineTest for ManagerTest {
    type SystemUnderTest = Harness;
    type Reference = ManagerModel;

    fn init_test(_model: &Model) -> Harness {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let service = runtime.block_on(async {
            let server = Server::bind(ServerConfig::new(dir.path()), "127.0.0.1:0".parse().unwrap()).await;
            server.expect("service binds").spawn()
        });
        let addr = service.local_addr();
        let url = ServiceUrl::parse(&format!("http://{addr}")).unwrap();
        let backoff = Backoff::new().base(Duration::from_millis(5)).cap(Duration::from_millis(20));
        let manager = ConnectionManager::builder(url)
            .backoff(backoff)
            .health_check_timeout(Duration::from_secs(2))
            .event_capacity(1024)
            .build()
            .unwrap();
        let changes: Changes = Arc::default();
        let seen = changes.clone();
        manager.on_event(move |event| {
            if let EventKind::StateChange { from, to } = event.kind {
                seen.lock().unwrap().push((from, to));
            }
        });
        Harness { runtime, dir, addr, service: Some(service), manager, changes }
    }

    fn apply(mut harness: Harness, model: &Model, step: Step) -> Harness {
        match step {
            Step::Connect => {
                let connected = harness.block_on(harness.manager.connect());
                if let Some(ok) = model.connect_ok {
                    assert_eq!(connected.is_ok(), ok, "connect returned {connected:?}");
                }
            }
            Step::Disconnect => harness.block_on(harness.manager.disconnect()),
            Step::Reset => harness.block_on(harness.manager.reset()),
            Step::HealthCheck => {
                let checked = harness.block_on(harness.manager.perform_health_check());
                assert_eq!(Some(checked.is_ok()), model.check_ok, "health check returned {checked:?}");
            }
            Step::KillService => {
                let service = harness.service.take().expect("the service runs");
                harness.block_on(service.kill());
            }
            Step::StartService => {
                let config = ServerConfig::new(harness.dir.path());
                let server = harness.block_on(Server::bind(config, harness.addr)).expect("service binds again");
                let _runtime = harness.runtime.enter();
                harness.service = Some(server.spawn());
            }
        }
        harness
    }

    fn check_invariants(harness: &Harness, model: &Model) {
        if let Some(expected) = model.expected {
            // `connect` and `perform_health_check` return only after the state their outcome causes is published.
            let state = harness.manager.state();
            assert_eq!(state, expected, "the model expects {expected}: {model:?}");
        }
        let changes = harness.changes.lock().unwrap();
        for (from, to) in changes.iter() {
            assert!(from.can_transition_to(*to), "illegal transition {from} -> {to} in {changes:?}");
        }
        for pair in changes.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "a transition starts where the previous did not end: {changes:?}");
        }
    }

    fn teardown(harness: Harness, _model: Model) {
        harness.block_on(harness.manager.disconnect());
        if let Some(service) = harness.service {
            harness.runtime.block_on(service.kill());
        }
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn manager_agrees_with_model(sequential 1..20 => ManagerTest);
}
