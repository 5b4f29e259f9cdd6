//! The connection manager against the real local service on loopback: crash and restart, late start, rejected
//! token, disconnect and drop.
//!
//! The service runs in this process (`chittyid_server::Server`) and is crashed with `RunningServer::kill`, which drops
//! every open connection at once, health streams included.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use chittyid::connection::{
    ConnectError, ConnectionManager, ConnectionManagerBuilder, ConnectionState, FailureReason, HealthCheckError,
};
use chittyid::{Backoff, ServiceUrl, Token};
use chittyid_server::{RunningServer, Server, ServerConfig};

/// The maximum time any state may take to arrive in these tests; far above what they need, so that a slow machine does
/// not fail them.
const PATIENCE: Duration = Duration::from_secs(10);

async fn start_service(data_dir: &Path, address: SocketAddr, tokens: &[&str]) -> RunningServer {
    let mut config = ServerConfig::new(data_dir);
    config.tokens = tokens.iter().map(|token| Token::new(*token)).collect();
    Server::bind(config, address).await.expect("the local service starts").spawn()
}

fn url_of(address: SocketAddr) -> ServiceUrl {
    ServiceUrl::parse(&format!("http://{address}")).unwrap()
}

/// Short backoff so that reconnects happen within a test's patience on the real clock.
fn fast_builder(address: SocketAddr) -> ConnectionManagerBuilder {
    let backoff = Backoff::new().base(Duration::from_millis(50)).cap(Duration::from_millis(500));
    ConnectionManager::builder(url_of(address)).backoff(backoff)
}

/// Returns a loopback address with a port that was free a moment ago.
fn free_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap()
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

#[tokio::test]
async fn crash_and_restart_are_survived() {
    let data = tempfile::tempdir().unwrap();
    let service = start_service(data.path(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &[]).await;
    let address = service.local_addr();
    let manager = fast_builder(address).build().unwrap();
    manager.connect().await.unwrap();
    let mut events = manager.events();

    service.kill().await;
    // The health stream breaks at once; the 30 s polling interval is far beyond the patience.
    manager.wait_for_state(ConnectionState::Reconnecting, PATIENCE).await.unwrap();
    let service = start_service(data.path(), address, &[]).await;
    manager.wait_for_state(ConnectionState::Connected, PATIENCE).await.unwrap();

    let stats = manager.stats();
    assert_eq!(stats.total_connections, 2);
    assert!(stats.is_healthy);
    let mut names = Vec::new();
    while let Some(Some(Ok(event))) = futures_util::FutureExt::now_or_never(events.recv()) {
        names.push(event.kind.name());
    }
    assert!(names.contains(&"unhealthy"), "{names:?}");
    assert!(names.contains(&"connected"), "{names:?}");
    manager.disconnect().await;
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn sigkilled_process_is_survived() {
    let data = tempfile::tempdir().unwrap();
    let mut service = chittyid_test_support::ServiceProcess::start(data.path(), &[]);
    let manager = fast_builder(service.addr()).build().unwrap();
    manager.connect().await.unwrap();

    // A real SIGKILL: the kernel closes the process's sockets, health stream included.
    service.kill();
    manager.wait_for_state(ConnectionState::Reconnecting, PATIENCE).await.unwrap();
    service.restart();
    manager.wait_for_state(ConnectionState::Connected, PATIENCE).await.unwrap();

    assert_eq!(manager.stats().total_connections, 2);
    manager.disconnect().await;
}

#[tokio::test]
async fn manager_started_first_connects_when_service_appears() {
    let data = tempfile::tempdir().unwrap();
    let address = free_address();
    let manager = fast_builder(address).build().unwrap();

    let outcome = manager.connect().await;
    assert!(matches!(outcome, Err(ConnectError::Unavailable { .. })), "{outcome:?}");
    assert_eq!(manager.state(), ConnectionState::Reconnecting);

    let service = start_service(data.path(), address, &[]).await;
    manager.wait_for_state(ConnectionState::Connected, PATIENCE).await.unwrap();

    assert_eq!(manager.stats().total_connections, 1);
    manager.disconnect().await;
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn rejected_token_fails_with_the_reason() {
    let data = tempfile::tempdir().unwrap();
    let service = start_service(data.path(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &["right"]).await;
    let manager = fast_builder(service.local_addr()).token(Token::new("wrong")).build().unwrap();

    let outcome = manager.connect().await;

    let Err(ConnectError::Failed { reason }) = outcome else { panic!("expected Failed: {outcome:?}") };
    assert!(matches!(reason, FailureReason::Permanent { error: HealthCheckError::Unauthorized { status: 403 } }));
    assert_eq!(manager.state(), ConnectionState::Failed);
    let failure = manager.failure().expect("the reason is kept");
    assert!(matches!(failure.health_check_error(), HealthCheckError::Unauthorized { status: 403 }));
    assert!(!format!("{failure:?}").contains("wrong"), "the token never reaches Debug output");
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn right_token_connects() {
    let data = tempfile::tempdir().unwrap();
    let service = start_service(data.path(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &["right"]).await;
    let manager = fast_builder(service.local_addr()).token(Token::new("right")).build().unwrap();

    manager.connect().await.unwrap();
    let reply = manager.perform_health_check().await.unwrap();

    assert!(reply.is_healthy());
    assert_eq!(manager.stats().successful_health_checks, 2);
    manager.disconnect().await;
    service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn disconnect_during_backoff_ends_every_task() {
    let baseline = alive_tasks();
    let manager = fast_builder(free_address()).backoff(Backoff::new().base(Duration::from_secs(30))).build().unwrap();
    assert!(manager.connect().await.is_err());
    assert_eq!(manager.state(), ConnectionState::Reconnecting);
    assert!(alive_tasks() > baseline, "the manager runs a task while reconnecting");

    manager.disconnect().await;

    assert_eq!(manager.state(), ConnectionState::Disconnected);
    assert_eq!(alive_tasks(), baseline);
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_a_connected_manager_ends_its_tasks() {
    // The service runs on a runtime of its own, so that the count below includes only the manager's tasks and those of
    // its HTTP client, not the service's connection tasks.
    let service_runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_owned();
    let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let service = service_runtime.spawn(async move { start_service(&data_dir, any_port, &[]).await }).await.unwrap();
    let baseline = alive_tasks();
    let manager = fast_builder(service.local_addr()).build().unwrap();
    manager.connect().await.unwrap();
    manager.perform_health_check().await.unwrap();
    assert!(alive_tasks() > baseline, "the manager runs a task while connected");

    drop(manager);
    // The HTTP client's connection tasks end asynchronously once their connections are dropped.
    let settled = tokio::time::timeout(PATIENCE, async {
        while alive_tasks() > baseline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;

    assert!(settled.is_ok(), "{} tasks alive, {baseline} before the manager", alive_tasks());
    drop(service);
    service_runtime.shutdown_background();
}
