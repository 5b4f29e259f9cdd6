//! The `--embedded` service: a local ChittyID service inside this process, for one command.
//!
//! It listens on an ephemeral loopback port, so a command such as `chittyid mint --embedded --input …` runs with no
//! set-up. For most commands its database lives in a temporary folder and is gone when the command ends. A bulk
//! job keeps it in a folder beside its output instead, until the job finishes, so that a job interrupted or killed
//! and started again finds the same sequences and idempotency keys and mints nothing twice.
//!
//! [`Embedded::kill`] and [`Embedded::restart`] stop the service like a crash and start it again on the same port
//! and folder, for `--chaos`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use chittyid::ServiceUrl;
use chittyid_server::{RunningServer, Server, ServerConfig};
use tempfile::TempDir;

/// How long a restart keeps trying to bind the old port, which the kernel may hold for a moment.
const REBIND_TIMEOUT: Duration = Duration::from_secs(5);

/// A running (or killed) embedded service and its data folder.
#[derive(Debug)]
pub(crate) struct Embedded {
    /// `None` between [`Embedded::kill`] and [`Embedded::restart`].
    server: Mutex<Option<RunningServer>>,
    address: SocketAddr,
    url: ServiceUrl,
    // Dropped after the server, because the server keeps the database open.
    data: DataFolder,
}

#[derive(Debug)]
enum DataFolder {
    /// Removed when the value is dropped.
    Temporary(TempDir),
    /// Kept until [`Embedded::remove_data`].
    Kept(PathBuf),
}

impl DataFolder {
    fn path(&self) -> &Path {
        match self {
            DataFolder::Temporary(folder) => folder.path(),
            DataFolder::Kept(path) => path,
        }
    }
}

impl Embedded {
    /// Starts the service on `127.0.0.1:0` with a fresh temporary data folder.
    ///
    /// # Errors
    ///
    /// Fails when the folder cannot be created or the service cannot bind or open its database.
    pub(crate) async fn start() -> anyhow::Result<Embedded> {
        let data = tempfile::Builder::new()
            .prefix("chittyid-embedded-")
            .tempdir()
            .context("cannot create a temporary data folder for the embedded service")?;
        Embedded::start_with(DataFolder::Temporary(data)).await
    }

    /// Starts the service on `127.0.0.1:0` with its database in `folder`, created when missing and kept.
    ///
    /// # Errors
    ///
    /// Fails when the folder cannot be created or the service cannot bind or open its database.
    pub(crate) async fn start_in(folder: &Path) -> anyhow::Result<Embedded> {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the embedded service's data folder {}", folder.display()))?;
        Embedded::start_with(DataFolder::Kept(folder.to_owned())).await
    }

    async fn start_with(data: DataFolder) -> anyhow::Result<Embedded> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let server =
            Server::bind(ServerConfig::new(data.path()), address).await.context("cannot start the embedded service")?;
        let address = server.local_addr();
        let url = ServiceUrl::parse(&format!("http://{address}"))?;
        tracing::info!(url = %url, data = %data.path().display(), "embedded service started");
        Ok(Embedded { server: Mutex::new(Some(server.spawn())), address, url, data })
    }

    /// Returns the service's base URL.
    pub(crate) fn url(&self) -> &ServiceUrl {
        &self.url
    }

    /// Stops the service like a crash: open connections are dropped with no reply. Does nothing when it is
    /// already stopped.
    pub(crate) async fn kill(&self) {
        let server = self.server.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(server) = server {
            server.kill().await;
            tracing::info!(url = %self.url, "embedded service killed");
        }
    }

    /// Starts the service again on the same port and data folder, after [`Embedded::kill`].
    ///
    /// # Errors
    ///
    /// Fails when the port cannot be bound again within 5 s, or the database cannot be opened.
    pub(crate) async fn restart(&self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + REBIND_TIMEOUT;
        let server = loop {
            match Server::bind(ServerConfig::new(self.data.path()), self.address).await {
                Ok(server) => break server,
                Err(error) if tokio::time::Instant::now() >= deadline => {
                    return Err(error)
                        .with_context(|| format!("cannot restart the embedded service on {}", self.address));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        let previous = self.server.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).replace(server.spawn());
        drop(previous);
        tracing::info!(url = %self.url, "embedded service restarted");
        Ok(())
    }

    /// Stops the service gracefully; a temporary data folder is removed, a kept one stays.
    pub(crate) async fn shutdown(self) {
        let server = self.server.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(server) = server {
            match server.shutdown().await {
                Ok(()) => tracing::info!(data = %self.data.path().display(), "embedded service stopped"),
                Err(error) => tracing::warn!(%error, "embedded service failed while stopping"),
            }
        }
        drop(self.data);
    }

    /// Stops the service gracefully and removes its data folder, kept or not.
    ///
    /// # Errors
    ///
    /// Fails when a kept folder cannot be removed.
    pub(crate) async fn shutdown_and_remove_data(self) -> anyhow::Result<()> {
        let kept = match &self.data {
            DataFolder::Kept(path) => Some(path.clone()),
            DataFolder::Temporary(_) => None,
        };
        self.shutdown().await;
        if let Some(path) = kept {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("cannot remove the embedded service's data folder {}", path.display()))?;
        }
        Ok(())
    }
}
