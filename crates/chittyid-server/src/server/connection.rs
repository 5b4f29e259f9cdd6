//! The accept loop: one task per connection, all in one `JoinSet`, so that a kill can drop every connection at once.
//!
//! # Why not `axum::serve`
//!
//! `axum::serve` with graceful shutdown waits for open connections, and a `/health/stream` client keeps one open for
//! as long as it likes. A kill must behave like a crashed process: every connection closes at once, also idle and
//! streaming ones, and the store is released right after. Owning the connection tasks makes that an `abort_all`.
//!
//! # Slow clients
//!
//! A client that opens a connection and then sends its request slowly, or not at all, keeps a socket and a task busy.
//! Two deadlines bound that, both set by [`ServerConfig::header_read_timeout`](crate::ServerConfig):
//!
//! - before the first request, this loop closes a connection that has not started one in time. hyper's own timer
//!   cannot cover that phase, because the HTTP version is still being sniffed from the first bytes;
//! - for every HTTP/1 request after that, hyper closes a connection whose headers are not complete in time.
//!
//! The body has its own deadline, applied where handlers read it (408, then the connection closes).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::router::router;
use crate::state::AppState;
use chittyid::error_chain;

/// How long a graceful shutdown waits for in-flight requests before it drops the remaining connections.
pub(crate) const GRACEFUL_TIMEOUT: Duration = Duration::from_secs(10);

/// How often expired idempotency records are purged while the server runs.
const PURGE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// How long the loop pauses after a failed accept (for example, out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A handle on the connection a request arrived on; handlers find it in the request extensions.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionControl(CancellationToken);

impl ConnectionControl {
    /// Closes the connection at once, without a reply to the request in flight.
    pub(crate) fn close(&self) {
        self.0.cancel();
    }
}

/// The signals that stop the loop.
#[derive(Debug, Clone)]
pub(crate) struct StopSignals {
    /// Stop accepting, let in-flight requests finish (up to [`GRACEFUL_TIMEOUT`]), then close the store.
    pub(crate) graceful: CancellationToken,
    /// Stop accepting and drop every connection at once, then close the store.
    pub(crate) kill: CancellationToken,
}

/// Serves `listener` until a stop signal, then closes the store. Returns once the store is released.
pub(crate) async fn serve(listener: TcpListener, state: AppState, stop: StopSignals) {
    let app = router(state.clone());
    let header_read_timeout = state.header_read_timeout();
    let mut connections = JoinSet::new();
    let purge = tokio::spawn(purge_periodically(state.clone()));

    loop {
        tokio::select! {
            biased;
            () = stop.kill.cancelled() => break,
            () = stop.graceful.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let connection = serve_connection(stream, app.clone(), stop.graceful.clone(), header_read_timeout);
                    connections.spawn(connection);
                }
                Err(error) => {
                    tracing::warn!(error = %error, "failed to accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);

    if !stop.kill.is_cancelled() {
        // End health streams and held requests, so that only real work is left to finish.
        state.closing().cancel();
        let drain = async { while connections.join_next().await.is_some() {} };
        tokio::select! {
            () = drain => {}
            () = tokio::time::sleep(GRACEFUL_TIMEOUT) => {
                tracing::warn!(open = connections.len(), "graceful shutdown timed out; dropping the open connections");
            }
            () = stop.kill.cancelled() => {}
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    purge.abort();
    state.close().await;
}

/// Serves one connection until it ends, is closed by a handler, the server stops, or the client does not start a
/// request within `header_read_timeout`.
async fn serve_connection(stream: TcpStream, app: Router, graceful: CancellationToken, header_read_timeout: Duration) {
    // Small replies should leave at once, because each request waits for its reply before the next one.
    let _ = stream.set_nodelay(true);
    let control = ConnectionControl(CancellationToken::new());
    let closed = control.0.clone();
    let started = Arc::new(AtomicBool::new(false));
    let request_seen = started.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request_seen.store(true, Ordering::Relaxed);
        request.extensions_mut().insert(control.clone());
        app.clone().oneshot(request)
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);

    let first_request_overdue = async {
        tokio::time::sleep(header_read_timeout).await;
        if started.load(Ordering::Relaxed) {
            std::future::pending::<()>().await;
        }
    };

    tokio::select! {
        result = connection.as_mut() => log_end(result),
        () = closed.cancelled() => {}
        () = first_request_overdue => {
            tracing::debug!(timeout_ms = header_read_timeout.as_millis(), "closing a connection that sent no request");
        }
        () = graceful.cancelled() => {
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                result = connection.as_mut() => log_end(result),
                () = closed.cancelled() => {}
            }
        }
    }
}

fn log_end(result: Result<(), Box<dyn std::error::Error + Send + Sync>>) {
    if let Err(error) = result {
        tracing::debug!(error = %error_chain(error.as_ref()), "connection ended with an error");
    }
}

async fn purge_periodically(state: AppState) {
    let mut interval = tokio::time::interval(PURGE_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick fires at once; the store purged on open already.
    interval.tick().await;
    loop {
        interval.tick().await;
        // A failure was logged by the writer; a closed store means the server is stopping.
        if let Ok(purged) = state.store().purge().await {
            tracing::debug!(purged, "purged expired idempotency records");
        }
    }
}
