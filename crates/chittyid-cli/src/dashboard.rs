//! The `--listen ADDR` flag of `watch` and `mint`: serve the service's metrics and live dashboard while the command
//! runs, with [`chittyid::monitor`].

use std::net::SocketAddr;

use anyhow::Context;
use chittyid::monitor::{Monitor, MonitorServer};
use chittyid::service::ChittyIdService;
use tokio::net::TcpListener;

/// The help text shared by every `--listen` flag that serves the dashboard.
pub(crate) const LISTEN_HELP: &str = "Serve a live dashboard (/), Prometheus metrics (/metrics) and their data \
     (/api/snapshot, /events) on ADDR, such as 127.0.0.1:9464; port 0 picks a free port. The endpoint has no \
     authentication, so keep it on loopback unless every host that can reach ADDR may read it.";

/// Binds `addr` for the dashboard. A command binds before it creates anything, so that an address in use leaves
/// nothing behind.
///
/// # Errors
///
/// Returns the error of binding `addr`.
pub(crate) async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| format!("failed to listen on {addr} for the dashboard"))
}

/// Starts serving `service`'s monitor on `listener` and prints its URL on stderr.
///
/// # Errors
///
/// Returns the error of reading the listener's address.
pub(crate) fn start(service: &ChittyIdService, listener: TcpListener) -> anyhow::Result<MonitorServer> {
    let server =
        Monitor::new(service.clone()).serve(listener).context("failed to read the dashboard's listening address")?;
    let local = server.local_addr();
    tracing::info!(%local, "dashboard listening");
    eprintln!("chittyid: dashboard at http://{local}/ (metrics at http://{local}/metrics)");
    Ok(server)
}

/// Stops the monitor, if one runs, and logs a failure instead of returning it: the command's own outcome matters
/// more than the endpoint's.
pub(crate) async fn stop(server: Option<MonitorServer>) {
    let Some(server) = server else { return };
    if let Err(error) = server.shutdown().await {
        tracing::warn!(error = %chittyid::error_chain(&error), "dashboard did not stop cleanly");
    }
}
