//! The `--embedded` service: a local ChittyID service inside this process, for one command.
//!
//! It listens on an ephemeral loopback port and keeps its database in a temporary folder, so a command such as
//! `chittyid mint --embedded --input …` runs with no set-up. Both are gone when the command ends: the IDs it mints
//! are real ChittyIDs, but no later run can see or continue its sequences.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context;
use chittyid::ServiceUrl;
use chittyid_server::{RunningServer, Server, ServerConfig};
use tempfile::TempDir;

/// A running embedded service and its temporary data folder.
#[derive(Debug)]
pub(crate) struct Embedded {
    server: RunningServer,
    url: ServiceUrl,
    // Dropped after the server, because the server keeps the database open.
    data: TempDir,
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
        let config = ServerConfig::new(data.path());
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let server = Server::bind(config, address).await.context("cannot start the embedded service")?;
        let local = server.local_addr();
        let url = ServiceUrl::parse(&format!("http://{local}"))?;
        tracing::info!(url = %url, data = %data.path().display(), "embedded service started");
        Ok(Embedded { server: server.spawn(), url, data })
    }

    /// Returns the service's base URL.
    pub(crate) fn url(&self) -> &ServiceUrl {
        &self.url
    }

    /// Stops the service gracefully and removes its data folder.
    pub(crate) async fn shutdown(self) {
        match self.server.shutdown().await {
            Ok(()) => tracing::info!(data = %self.data.path().display(), "embedded service stopped"),
            Err(error) => tracing::warn!(%error, "embedded service failed while stopping"),
        }
        drop(self.data);
    }
}
