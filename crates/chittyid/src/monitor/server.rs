//! [`Monitor`], its router, and [`MonitorServer`], the running endpoint.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::feed;
use super::snapshot::{Snapshot, Timeline};
use crate::connection::ListenerId;
use crate::service::ChittyIdService;

/// The dashboard, one self-contained HTML file with inline CSS and JavaScript, assembled on first use.
static DASHBOARD: LazyLock<String> = LazyLock::new(|| super::live_page(include_str!("dashboard.html")));

/// Lets the page run its inline script and style and talk to its own origin, and nothing else, so the browser
/// itself blocks any request to another host.
const DASHBOARD_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                                connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";

/// The monitoring endpoint of one service, before it is bound: builds the router and records the timeline of
/// connection state changes from the moment it is created.
///
/// Cheap to clone, and clones share the timeline.
#[derive(Clone)]
pub struct Monitor {
    shared: Arc<Shared>,
}

/// The state shared by the handlers.
pub(super) struct Shared {
    pub(super) service: ChittyIdService,
    pub(super) timeline: Arc<Timeline>,
    /// Set to `true` when the server shuts down, so that open event streams end.
    pub(super) closing: watch::Sender<bool>,
    listener: ListenerId,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.service.connection().remove_listener(self.listener);
    }
}

impl Monitor {
    /// Creates the monitor of `service` and starts recording its state changes.
    pub fn new(service: ChittyIdService) -> Monitor {
        let timeline = Arc::new(Timeline::new());
        let recorder = Arc::clone(&timeline);
        let listener = service.connection().on_event(move |event| recorder.record(event));
        let shared = Shared { service, timeline, closing: watch::Sender::new(false), listener };
        Monitor { shared: Arc::new(shared) }
    }

    /// Returns a snapshot of the service now, as `/api/snapshot` sends it.
    pub fn snapshot(&self) -> Snapshot {
        self.shared.snapshot()
    }

    /// Returns the router with every route, for serving it with your own server or testing it without a socket.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(dashboard))
            .route("/metrics", get(metrics))
            .route("/api/snapshot", get(snapshot))
            .route("/events", get(feed::events))
            .with_state(Arc::clone(&self.shared))
    }

    /// Binds `addr` (port 0 picks a free port) and starts serving on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// Returns the error of binding the address.
    ///
    /// # Panics
    ///
    /// Panics when called outside a tokio runtime.
    pub async fn bind(self, addr: SocketAddr) -> io::Result<MonitorServer> {
        self.serve(TcpListener::bind(addr).await?)
    }

    /// Starts serving on `listener` on the current tokio runtime. On a loopback address it adds
    /// [`loopback_host_only`](super::loopback_host_only).
    ///
    /// # Errors
    ///
    /// Returns the error of reading the listener's local address.
    ///
    /// # Panics
    ///
    /// Panics when called outside a tokio runtime.
    pub fn serve(self, listener: TcpListener) -> io::Result<MonitorServer> {
        let local_addr = listener.local_addr()?;
        let mut closing = self.shared.closing.subscribe();
        let stopped = async move {
            // An error means the sender is gone, which also means stop.
            let _ = closing.wait_for(|closing| *closing).await;
        };
        let mut router = self.router();
        if local_addr.ip().is_loopback() {
            router = router.layer(axum::middleware::from_fn(super::loopback_host_only));
        }
        let task = tokio::spawn(async move { axum::serve(listener, router).with_graceful_shutdown(stopped).await });
        tracing::debug!(%local_addr, "monitor listening");
        Ok(MonitorServer { local_addr, monitor: self, task: Some(task) })
    }
}

impl Shared {
    pub(super) fn snapshot(&self) -> Snapshot {
        Snapshot::take(&self.service, self.timeline.entries())
    }
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor").field("service", &self.shared.service.connection().service_url()).finish()
    }
}

/// A monitoring endpoint serving on a tokio task. Dropping it starts a graceful stop without waiting for it.
#[derive(Debug)]
pub struct MonitorServer {
    local_addr: SocketAddr,
    monitor: Monitor,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl MonitorServer {
    /// Returns the address the server listens on, with the real port when bound to port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Returns the monitor being served.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Stops accepting connections, ends every open event stream, waits for the requests in flight, and returns.
    ///
    /// # Errors
    ///
    /// Returns the server's I/O error, or an error when its task panicked.
    ///
    /// # Cancel safety
    ///
    /// The server stops even when the future is dropped, but in-flight requests may still be running.
    pub async fn shutdown(mut self) -> io::Result<()> {
        self.monitor.shared.closing.send_replace(true);
        let Some(task) = self.task.take() else { return Ok(()) };
        task.await.unwrap_or_else(|error| Err(io::Error::other(error)))
    }
}

impl Drop for MonitorServer {
    fn drop(&mut self) {
        self.monitor.shared.closing.send_replace(true);
    }
}

async fn dashboard() -> Response {
    let headers = [
        (CONTENT_TYPE, "text/html; charset=utf-8"),
        (CACHE_CONTROL, "no-store"),
        (HeaderName::from_static("content-security-policy"), DASHBOARD_POLICY),
        (HeaderName::from_static("x-content-type-options"), "nosniff"),
    ];
    (headers, DASHBOARD.as_str()).into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let text = shared.service.metrics().render();
    ([(CONTENT_TYPE, crate::metrics::CONTENT_TYPE), (CACHE_CONTROL, "no-store")], text).into_response()
}

async fn snapshot(State(shared): State<Arc<Shared>>) -> Response {
    ([(CACHE_CONTROL, "no-store")], Json(shared.snapshot())).into_response()
}
