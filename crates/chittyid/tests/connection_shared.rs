//! The process-wide shared manager, in its own test binary because it reads and sets environment variables.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use chittyid::connection::{self, ConnectionState};
use chittyid_server::{Server, ServerConfig};

#[tokio::test]
async fn shared_instance_is_created_reused_and_reset() {
    let data = tempfile::tempdir().unwrap();
    let server =
        Server::bind(ServerConfig::new(data.path()), SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.unwrap();
    let url = format!("http://{}", server.local_addr());
    let service = server.spawn();
    // SAFETY: this test binary has one test, so no other thread reads the environment meanwhile.
    unsafe {
        std::env::set_var("CHITTYID_SERVICE_URL", &url);
        std::env::remove_var("CHITTY_ID_TOKEN");
    }

    let first = connection::shared().unwrap();
    let second = connection::shared().unwrap();
    assert_eq!(first, second, "every call returns the same manager");
    assert_eq!(first.service_url().to_string(), url);
    first.wait_for_state(ConnectionState::Connected, Duration::from_secs(10)).await.unwrap();

    connection::reset_shared().await;
    assert_eq!(first.state(), ConnectionState::Disconnected);
    assert_eq!(first.stats().total_connections, 0, "reset clears the statistics");
    let third = connection::shared().unwrap();
    assert_ne!(third, first, "after a reset the next call builds a new manager");
    third.wait_for_state(ConnectionState::Connected, Duration::from_secs(10)).await.unwrap();

    connection::reset_shared().await;
    service.shutdown().await.unwrap();
}
