//! Binding, running and stopping the service: [`Server`], [`RunningServer`], [`shutdown_signal`] and
//! [`startup_line`].
//!
//! A server stops in one of two ways. [`RunningServer::shutdown`] is graceful: it stops accepting, ends health
//! streams, lets in-flight requests finish (up to 10 s), then closes the store. [`RunningServer::kill`] behaves
//! like a crashed process: every connection closes at once and nothing drains. The store is still released, so a
//! test can bind a new server on the same data directory and port right away and check that no ID repeats.

mod connection;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub(crate) use self::connection::ConnectionControl;
use self::connection::{StopSignals, serve};
use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::state::AppState;

/// A bound server that does not accept connections yet.
///
/// # Examples
///
/// ```no_run
/// use chittyid_server::{Server, ServerConfig, shutdown_signal, startup_line};
///
/// # async fn run() -> Result<(), chittyid_server::ServerError> {
/// let config = ServerConfig::new("./data");
/// let server = Server::bind(config.clone(), "127.0.0.1:8080".parse().unwrap()).await?;
/// tracing::info!("{}", startup_line(&config, server.local_addr()));
/// server.run_until(shutdown_signal()).await
/// # }
/// ```
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    state: AppState,
    local_addr: SocketAddr,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and opens the store in `config.data_dir`.
    ///
    /// The socket has `SO_REUSEADDR` set (tokio sets it on Unix), so a restart on the same port works while old
    /// connections linger in `TIME_WAIT`.
    ///
    /// # Errors
    ///
    /// Returns [`ServerError::Bind`] when the address cannot be bound, [`ServerError::Config`] for an invalid
    /// configuration, and [`ServerError::Store`] when the store cannot be opened (for example, because another
    /// server has the data directory open).
    pub async fn bind(config: ServerConfig, addr: SocketAddr) -> Result<Server, ServerError> {
        config.validate()?;
        let listener = TcpListener::bind(addr).await.map_err(|source| ServerError::Bind { addr, source })?;
        let local_addr = listener.local_addr().map_err(|source| ServerError::Bind { addr, source })?;
        // NOTE: opening redb reads the file header and may repair the file after a crash. That blocks the calling
        // task meanwhile, which is acceptable once at start.
        let state = AppState::open(&config)?;
        Ok(Server { listener, state, local_addr })
    }

    /// Returns the bound address, with the real port when bound to port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Returns the state that the server will serve.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then shuts down gracefully and closes the store.
    ///
    /// # Errors
    ///
    /// Returns [`ServerError::Task`] when the task waiting for `shutdown` panicked.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the listener and every connection task, but does not wait for the store to close.
    /// The store closes once its last request is gone.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServerError> {
        let stop = StopSignals { graceful: CancellationToken::new(), kill: CancellationToken::new() };
        let trigger = stop.graceful.clone();
        let waiter = tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down");
            trigger.cancel();
        });
        serve(self.listener, self.state, stop).await;
        waiter.abort();
        match waiter.await {
            Err(error) if error.is_panic() => Err(ServerError::Task(error)),
            _ => Ok(()),
        }
    }

    /// Starts serving on the current tokio runtime and returns a handle to stop the server.
    ///
    /// # Panics
    ///
    /// Panics when called outside a tokio runtime.
    pub fn spawn(self) -> RunningServer {
        let stop = StopSignals { graceful: CancellationToken::new(), kill: CancellationToken::new() };
        let local_addr = self.local_addr;
        let task = tokio::spawn(serve(self.listener, self.state, stop.clone()));
        RunningServer { local_addr, stop, task: Some(task) }
    }
}

/// A server running on a tokio task. Dropping it kills the server, as [`RunningServer::kill`] does, without waiting.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    stop: StopSignals,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// Returns the address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops gracefully: stops accepting, ends health streams, waits for in-flight requests (up to 10 s), then
    /// closes the store. Returns once the store is released.
    ///
    /// # Errors
    ///
    /// Returns [`ServerError::Task`] when the server task panicked.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future kills the server without waiting for it.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        self.stop.graceful.cancel();
        self.join().await
    }

    /// Stops like a crashed process: closes the listener and drops every open connection at once, health streams
    /// included, with no drain. Returns once the store is released, so that [`Server::bind`] on the same data
    /// directory and port works right after.
    ///
    /// Mints already queued for the store may still commit; their clients get no reply, as after a real crash.
    pub async fn kill(mut self) {
        self.stop.kill.cancel();
        if let Err(error) = self.join().await {
            tracing::error!(error = %chittyid::error_chain(&error), "the server task failed");
        }
    }

    async fn join(&mut self) -> Result<(), ServerError> {
        match self.task.take() {
            Some(task) => task.await.map_err(ServerError::Task),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop.kill.cancel();
    }
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
///
/// When a handler cannot be installed, that signal is ignored and the other one still works.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Builds the first log line of a server: version, address, data directory, authentication and admin endpoint.
///
/// It never contains a token, only their number.
///
/// # Examples
///
/// ```
/// use chittyid_server::{ServerConfig, startup_line};
///
/// let config = ServerConfig::new("/tmp/ids").token(chittyid::Token::new("s3cret"));
/// let line = startup_line(&config, "127.0.0.1:8080".parse().unwrap());
/// assert!(line.contains("1 token, required for minting"));
/// assert!(!line.contains("s3cret"));
/// ```
pub fn startup_line(config: &ServerConfig, addr: SocketAddr) -> String {
    let auth = match config.tokens.len() {
        0 => "none: minting is open".to_owned(),
        1 => "1 token, required for minting".to_owned(),
        count => format!("{count} tokens, required for minting"),
    };
    let admin = if config.enable_admin { "on" } else { "off" };
    format!(
        "chittyid-server {} on {addr}, data dir {}, auth: {auth}, admin endpoint: {admin}",
        env!("CARGO_PKG_VERSION"),
        config.data_dir.display()
    )
}
