//! [`DashboardServer`], its router, and the snapshot it sends.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use futures_util::Stream;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::error::ServerError;
use crate::faults::FaultPlan;
use crate::metrics::ServerSnapshot;
use crate::state::AppState;

/// The page, one self-contained HTML file with inline CSS and JavaScript, assembled on first use from its template
/// and the parts it shares with the client's dashboard.
static PAGE: LazyLock<String> = LazyLock::new(|| chittyid::monitor::live_page(include_str!("page.html")));

/// Lets the page run its inline script and style and talk to its own origin, and nothing else.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                           connect-src 'self'; base-uri 'none'; form-action 'none'";

/// Time between two snapshots on `/events`.
const SNAPSHOT_INTERVAL: Duration = Duration::from_secs(1);

/// How long a browser waits before it reconnects a dropped stream. The first event sends it.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// The dashboard's data at one moment. Serialises in camelCase.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DashboardSnapshot {
    /// The service's counters since it started.
    pub metrics: ServerSnapshot,
    /// The injected faults now active, a pause included.
    pub active_faults: Vec<FaultPlan>,
}

impl DashboardSnapshot {
    fn take(state: &AppState) -> DashboardSnapshot {
        DashboardSnapshot { metrics: state.metrics().snapshot(), active_faults: state.active_faults() }
    }
}

#[derive(Clone)]
struct Shared {
    state: AppState,
    closing: watch::Receiver<bool>,
}

/// Builds the dashboard's router for `state`. Open event streams end when `closing` becomes `true`.
pub fn dashboard_router(state: AppState, closing: watch::Receiver<bool>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/snapshot", get(snapshot))
        .route("/events", get(events))
        .with_state(Shared { state, closing })
}

/// The dashboard of one service, serving on a tokio task. Dropping it starts a graceful stop without waiting.
#[derive(Debug)]
pub struct DashboardServer {
    local_addr: SocketAddr,
    closing: watch::Sender<bool>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl DashboardServer {
    /// Binds `addr` (port 0 picks a free port) and serves `state`'s dashboard on the current tokio runtime. On a
    /// loopback address it rejects requests for other hosts, as [`chittyid::monitor::loopback_host_only`] describes.
    ///
    /// # Errors
    ///
    /// Returns [`ServerError::Bind`] when the address cannot be bound.
    ///
    /// # Panics
    ///
    /// Panics when called outside a tokio runtime.
    pub async fn bind(state: AppState, addr: SocketAddr) -> Result<DashboardServer, ServerError> {
        let listener = TcpListener::bind(addr).await.map_err(|source| ServerError::Bind { addr, source })?;
        let local_addr = listener.local_addr().map_err(|source| ServerError::Bind { addr, source })?;
        let closing = watch::Sender::new(false);
        let mut router = dashboard_router(state, closing.subscribe());
        if local_addr.ip().is_loopback() {
            // The page has no authentication, so a loopback listener serves only requests for a loopback host.
            router = router.layer(axum::middleware::from_fn(chittyid::monitor::loopback_host_only));
        }
        let mut stop = closing.subscribe();
        let stopped = async move {
            // An error means the sender is gone, which also means stop.
            let _ = stop.wait_for(|closing| *closing).await;
        };
        let task = tokio::spawn(async move { axum::serve(listener, router).with_graceful_shutdown(stopped).await });
        Ok(DashboardServer { local_addr, closing, task: Some(task) })
    }

    /// Returns the address the dashboard listens on, with the real port when bound to port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, ends open event streams, and waits for the requests in flight.
    ///
    /// # Errors
    ///
    /// Returns the server's I/O error, or an error when its task panicked.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.closing.send_replace(true);
        let Some(task) = self.task.take() else { return Ok(()) };
        task.await.unwrap_or_else(|error| Err(std::io::Error::other(error)))
    }
}

impl Drop for DashboardServer {
    fn drop(&mut self) {
        self.closing.send_replace(true);
    }
}

async fn page() -> Response {
    let headers = [
        (CONTENT_TYPE, "text/html; charset=utf-8"),
        (CACHE_CONTROL, "no-store"),
        (HeaderName::from_static("content-security-policy"), PAGE_POLICY),
        (HeaderName::from_static("x-content-type-options"), "nosniff"),
    ];
    (headers, PAGE.as_str()).into_response()
}

async fn snapshot(State(shared): State<Shared>) -> Response {
    ([(CACHE_CONTROL, "no-store")], Json(DashboardSnapshot::take(&shared.state))).into_response()
}

async fn events(State(shared): State<Shared>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut ticks = tokio::time::interval_at(Instant::now() + SNAPSHOT_INTERVAL, SNAPSHOT_INTERVAL);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let feed = (shared, ticks, true);
    let stream = futures_util::stream::unfold(feed, |(mut shared, mut ticks, first)| async move {
        if !first {
            tokio::select! {
                biased;
                _ = shared.closing.wait_for(|closing| *closing) => return None,
                _ = ticks.tick() => {}
            }
        }
        let mut event = Event::default().event("snapshot");
        if first {
            event = event.retry(RECONNECT_DELAY);
        }
        let event = event.json_data(DashboardSnapshot::take(&shared.state)).unwrap_or_else(|error| {
            tracing::warn!(%error, "dashboard snapshot could not be serialised");
            Event::default().comment("snapshot unavailable")
        });
        Some((Ok(event), (shared, ticks, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
