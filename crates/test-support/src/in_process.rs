//! The local service inside the test process, on a loopback port with a temporary data folder.
//!
//! Cheaper than [`ServiceProcess`](crate::ServiceProcess) and enough for every test that does not need a crash:
//! the service runs on the test's own tokio runtime and real sockets.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use chittyid::{ServiceUrl, Token};
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
    /// The first configured token, sent with admin requests.
    token: Option<Token>,
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
        let token = config.tokens.first().cloned();
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let server =
            Server::bind(config, listen).await.unwrap_or_else(|error| panic!("service did not start: {error}"));
        let address = server.local_addr();
        InProcessService { server: server.spawn(), address, token, data }
    }

    /// Returns the base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> ServiceUrl {
        ServiceUrl::parse(&format!("http://{}", self.address)).expect("a loopback URL is a valid service URL")
    }

    /// Returns the address the service listens on.
    pub fn addr(&self) -> SocketAddr {
        self.address
    }

    /// Activates a fault with `POST /admin/faults`, sending the service's first token if it has one.
    ///
    /// # Panics
    ///
    /// Panics when the service was started without
    /// [`enable_admin`](chittyid_server::ServerConfig::enable_admin), or rejects the plan.
    pub async fn inject_fault(&self, plan: serde_json::Value) {
        let mut request = reqwest::Client::new().post(format!("http://{}/admin/faults", self.address)).json(&plan);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let reply = request.send().await.unwrap_or_else(|error| panic!("admin endpoint unreachable: {error}"));
        assert!(reply.status().is_success(), "fault {plan} not accepted: {}", reply.status());
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
