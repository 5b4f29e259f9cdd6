//! `chittyid serve`: run the local ChittyID service until Ctrl-C or SIGTERM.
//!
//! Once the socket is bound, it prints `listening on http://ADDR` on stdout and flushes it, so that a script or a
//! test that started it with port 0 can read the port it got.

use anyhow::Context;
use chittyid_server::dashboard::DashboardServer;
use chittyid_server::{Server, ServerConfig, shutdown_signal, startup_line};
use futures_util::FutureExt;

use crate::config::ServeConfig;
use crate::exit::Exit;
use crate::output::print_line;

/// Binds, announces the address, and serves until a shutdown signal.
///
/// # Errors
///
/// Fails when the address cannot be bound, the database cannot be opened, or the server fails while running.
pub(crate) async fn run(config: ServeConfig) -> anyhow::Result<Exit> {
    let mut server_config = ServerConfig::new(&config.data).enable_admin(config.enable_admin);
    for token in config.tokens {
        server_config = server_config.token(token);
    }
    let line = |address| startup_line(&server_config, address);
    let server = Server::bind(server_config.clone(), config.listen).await.with_context(|| {
        format!("cannot start the service on {} with data folder {}", config.listen, config.data.display())
    })?;
    let address = server.local_addr();
    tracing::info!("{}", line(address));
    let dashboard = match config.dashboard {
        Some(addr) => {
            let dashboard = DashboardServer::bind(server.state().clone(), addr)
                .await
                .with_context(|| format!("failed to listen on {addr} for the dashboard"))?;
            let local = dashboard.local_addr();
            tracing::info!(%local, "dashboard listening");
            eprintln!("chittyid: dashboard at http://{local}/");
            Some(dashboard)
        }
        None => None,
    };

    // Polling the signal future once installs its handlers. Doing so before the address is printed means that a
    // SIGTERM sent right after reading the line stops the service gracefully, instead of killing it.
    let mut signal = Box::pin(shutdown_signal());
    let signalled = (&mut signal).now_or_never().is_some();
    print_line(&format!("listening on http://{address}")).context("cannot write the listening address to stdout")?;

    let shutdown = async move {
        if !signalled {
            signal.await;
        }
    };
    let result = server.run_until(shutdown).await;
    if let Some(dashboard) = dashboard
        && let Err(error) = dashboard.shutdown().await
    {
        tracing::warn!(error = %chittyid::error_chain(&error), "dashboard did not stop cleanly");
    }
    result.context("the service failed while running")?;
    tracing::info!(%address, "service stopped");
    Ok(Exit::Success)
}
