//! The local service inside the test process, on a loopback port with a temporary data folder.
//!
//! Cheaper than [`ServiceProcess`](crate::ServiceProcess) and enough for every test that does not need a crash:
//! the service runs on the test's own tokio runtime and real sockets.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use chittyid::ServiceUrl;
use chittyid_server::{RunningServer, Server, ServerConfig};
use tempfile::TempDir;

/// A local service running in this process on `127.0.0.1` and an ephemeral port.
///
/// Dropping the value without [`InProcessService::shutdown`] aborts the server task and removes the data folder.
///
/// # Examples
///
/// ```no_run
/// # async fn run() {
/// use chittyid_test_support::InProcessService;
///
/// let service = InProcessService::start_with(|config| config.token(chittyid::Token::new("s3cret"))).await;
/// println!("service at {}", service.url());
/// service.shutdown().await;
/// # }
/// ```
#[derive(Debug)]
pub struct InProcessService {
    server: RunningServer,
    address: SocketAddr,
    // Declared after the server, so the database is closed before its folder is removed.
    data: TempDir,
}

impl InProcessService {
    /// Starts a service with the default configuration.
    ///
    /// # Panics
    ///
    /// Panics when the temporary folder cannot be created or the service cannot start.
    pub async fn start() -> InProcessService {
        InProcessService::start_with(|config| config).await
    }

    /// Starts a service whose configuration `configure` adjusts; its data folder is a fresh temporary folder.
    ///
    /// # Panics
    ///
    /// Panics when the temporary folder cannot be created or the service cannot start.
    pub async fn start_with(configure: impl FnOnce(ServerConfig) -> ServerConfig) -> InProcessService {
        let data = tempfile::Builder::new().prefix("chittyid-test-").tempdir().expect("a temporary data folder");
        let config = configure(ServerConfig::new(data.path()));
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let server =
            Server::bind(config, listen).await.unwrap_or_else(|error| panic!("service did not start: {error}"));
        let address = server.local_addr();
        InProcessService { server: server.spawn(), address, data }
    }

    /// Returns the base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> ServiceUrl {
        ServiceUrl::parse(&format!("http://{}", self.address)).expect("a loopback URL is a valid service URL")
    }

    /// Returns the address the service listens on.
    pub fn addr(&self) -> SocketAddr {
        self.address
    }

    /// Returns the data folder.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Stops the service gracefully and removes its data folder.
    ///
    /// # Panics
    ///
    /// Panics when the server task failed.
    pub async fn shutdown(self) {
        self.server.shutdown().await.unwrap_or_else(|error| panic!("service failed while stopping: {error}"));
    }

    /// Stops the service abruptly, dropping open connections, and removes its data folder.
    pub async fn kill(self) {
        self.server.kill().await;
    }
}
