//! Faults of the service process: SIGKILL and a restart on the same port and data, SIGSTOP and SIGCONT.
//!
//! The service runs as a real `chittyid serve` child. The blocking process calls run in `block_in_place`, so the
//! manager's task keeps running on the other worker thread.

use chittyid::client::ErrorKind;
use chittyid::connection::ConnectionState;
use chittyid_test_support::ServiceProcess;
use serde_json::Value;

use crate::support::{PATIENCE, assert_ledger, expect_event, fast_client, fast_manager, mint_until_done, person};

async fn minted(service: &ServiceProcess) -> u64 {
    let url = format!("http://{}/api/stats", service.addr());
    let stats: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    stats["minted"].as_u64().expect("stats carry `minted`")
}

fn signal(service: &ServiceProcess, signal: libc::c_int) {
    let pid = service.pid().expect("the service runs");
    let pid = libc::pid_t::try_from(pid).expect("a pid fits pid_t");
    // SAFETY: `kill` takes plain integers; the pid is that of the child this test started and has not reaped.
    let result = unsafe { libc::kill(pid, signal) };
    assert_eq!(result, 0, "kill({pid}, {signal}) failed: {}", std::io::Error::last_os_error());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_and_restart_lose_no_id() {
    let data = tempfile::tempdir().unwrap();
    let mut service = tokio::task::block_in_place(|| ServiceProcess::start(data.path(), &[]));
    let client = fast_client(service.url());
    let manager = fast_manager(service.url());
    manager.connect().await.unwrap();
    let mut events = manager.events();
    let before = client.mint(&person()).await.unwrap();

    service.kill();
    manager.wait_for_state(ConnectionState::Reconnecting, PATIENCE).await.unwrap();
    let mint = person();
    let error = client.mint(&mint).await.expect_err("the service is dead");
    assert!(matches!(error.kind(), ErrorKind::Connect), "{error:?}");
    assert!(error.to_string().contains("could not connect"), "{error}");
    expect_event(&mut events, "unhealthy").await;

    tokio::task::block_in_place(|| service.restart());
    manager.wait_for_state(ConnectionState::Connected, PATIENCE).await.unwrap();

    expect_event(&mut events, "connected").await;
    let after = mint_until_done(&client, &mint).await;
    assert_ledger(&[before, after], minted(&service).await);
    assert!(manager.stats().total_reconnections >= 1, "{:?}", manager.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigstop_then_sigcont_recovers() {
    let data = tempfile::tempdir().unwrap();
    let service = tokio::task::block_in_place(|| ServiceProcess::start(data.path(), &[]));
    let client = fast_client(service.url());
    let manager = fast_manager(service.url());
    manager.connect().await.unwrap();
    let mut events = manager.events();

    signal(&service, libc::SIGSTOP);
    let mint = person();
    let outcome = client.mint(&mint).await;
    let reconnecting = manager.wait_for_state(ConnectionState::Reconnecting, PATIENCE).await;
    // Resume before asserting, so a failed assertion does not leave a stopped process behind.
    signal(&service, libc::SIGCONT);

    let error = outcome.expect_err("a stopped service does not reply");
    assert!(matches!(error.kind(), ErrorKind::Timeout { .. }), "{error:?}");
    reconnecting.unwrap();
    expect_event(&mut events, "unhealthy").await;
    manager.wait_for_state(ConnectionState::Connected, PATIENCE).await.unwrap();
    expect_event(&mut events, "connected").await;
    let first = mint_until_done(&client, &mint).await;
    let second = mint_until_done(&client, &person()).await;
    assert_ledger(&[first, second], minted(&service).await);
}
