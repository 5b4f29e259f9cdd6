//! The state shared by every request: the store's writer, the tokens, the limits and the counters.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::auth::TokenSet;
use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::faults::{FaultPlan, Faults};
use crate::metrics::{Conflict, ServerMetrics};
use crate::store::writer::StoreHandle;
use crate::store::{MintStore, RedbStore};

/// The result of [`AppState::claim_key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyClaim {
    /// The key is now in flight.
    Claimed,
    /// Another running request has claimed the key.
    InUse,
    /// The limit of keys in flight is reached.
    Full,
}

/// The state of one service instance, shared by all requests; cheap to clone.
///
/// [`router`](crate::router()) serves it. A test can drive that router without a socket:
///
/// ```
/// use chittyid_server::{AppState, ServerConfig, router};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let state = AppState::open(&ServerConfig::new(dir.path()))?;
/// let request = axum::http::Request::get("/health").body(axum::body::Body::empty())?;
/// let response = router(state.clone()).oneshot(request).await?;
/// assert_eq!(response.status(), 200);
/// state.close().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: StoreHandle,
    tokens: TokenSet,
    body_limit: usize,
    stream_keepalive: Duration,
    enable_admin: bool,
    header_read_timeout: Duration,
    body_read_timeout: Duration,
    max_keys_in_flight: usize,
    started: Instant,
    replays: AtomicU64,
    /// Idempotency keys of requests still running, for 409 replies to concurrent duplicates.
    in_flight: Mutex<HashSet<String>>,
    /// Cancelled when the server stops, to end health streams and held requests.
    closing: CancellationToken,
    faults: Faults,
    metrics: ServerMetrics,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("tokens", &self.inner.tokens)
            .field("body_limit", &self.inner.body_limit)
            .field("minted", &self.inner.store.minted())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the redb store in `config.data_dir` and starts its writer thread.
    ///
    /// Expired idempotency records are purged before the first request.
    ///
    /// # Errors
    ///
    /// Returns [`ServerError::Config`] for an invalid configuration and [`ServerError::Store`] when the store cannot
    /// be opened, for example because another server has the same data directory open.
    pub fn open(config: &ServerConfig) -> Result<AppState, ServerError> {
        config.validate()?;
        let store = RedbStore::open(&config.data_dir)?;
        AppState::with_store(config, Box::new(store))
    }

    /// Like [`AppState::open`], with any [`MintStore`] in place of the redb file; `config.data_dir` is unused.
    ///
    /// # Errors
    ///
    /// Returns [`ServerError`] for an invalid configuration or when the store cannot be read.
    pub fn with_store(config: &ServerConfig, store: Box<dyn MintStore>) -> Result<AppState, ServerError> {
        config.validate()?;
        let store = StoreHandle::spawn(store)?;
        let inner = Inner {
            store,
            tokens: TokenSet::new(&config.tokens),
            body_limit: config.body_limit,
            stream_keepalive: config.stream_keepalive,
            enable_admin: config.enable_admin,
            header_read_timeout: config.header_read_timeout,
            body_read_timeout: config.body_read_timeout,
            max_keys_in_flight: config.max_keys_in_flight,
            started: Instant::now(),
            replays: AtomicU64::new(0),
            in_flight: Mutex::new(HashSet::new()),
            closing: CancellationToken::new(),
            faults: Faults::default(),
            metrics: ServerMetrics::new(),
        };
        Ok(AppState { inner: Arc::new(inner) })
    }

    /// Ends open health streams and held requests, then closes the store and waits until it is released.
    ///
    /// Mints queued before the call are committed; later ones get 503. Calling it again returns at once.
    pub async fn close(&self) {
        self.inner.closing.cancel();
        self.inner.store.close().await;
    }

    /// Returns the durable total of IDs minted in this data directory.
    pub fn minted(&self) -> u64 {
        self.inner.store.minted()
    }

    /// Returns how many requests were served from a stored idempotency record since the state was opened.
    pub fn idempotent_replays(&self) -> u64 {
        self.inner.replays.load(Ordering::Relaxed)
    }

    /// Returns how many idempotency keys running requests hold in memory now.
    ///
    /// A key leaves memory when its request ends, so this is at most
    /// [`ServerConfig::max_keys_in_flight`], however many distinct keys clients send.
    pub fn idempotency_keys_in_flight(&self) -> usize {
        self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Returns the Prometheus metrics that this state's routes update and `GET /metrics` serves.
    pub fn metrics(&self) -> &ServerMetrics {
        &self.inner.metrics
    }

    /// Returns the active injected faults, a pause included. The list is empty unless the admin endpoint set some.
    pub fn active_faults(&self) -> Vec<FaultPlan> {
        self.inner.faults.list()
    }

    pub(crate) fn store(&self) -> &StoreHandle {
        &self.inner.store
    }

    pub(crate) fn tokens(&self) -> &TokenSet {
        &self.inner.tokens
    }

    pub(crate) fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    pub(crate) fn stream_keepalive(&self) -> Duration {
        self.inner.stream_keepalive
    }

    pub(crate) fn admin_enabled(&self) -> bool {
        self.inner.enable_admin
    }

    pub(crate) fn header_read_timeout(&self) -> Duration {
        self.inner.header_read_timeout
    }

    pub(crate) fn body_read_timeout(&self) -> Duration {
        self.inner.body_read_timeout
    }

    pub(crate) fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    pub(crate) fn count_replay(&self) {
        self.inner.replays.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn closing(&self) -> &CancellationToken {
        &self.inner.closing
    }

    pub(crate) fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// Marks `key` as in flight, unless it already is or the limit of keys in flight is reached.
    pub(crate) fn claim_key(&self, key: &str) -> KeyClaim {
        let mut in_flight = self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        if in_flight.contains(key) {
            self.inner.metrics.count_conflict(Conflict::InUse);
            return KeyClaim::InUse;
        }
        if in_flight.len() >= self.inner.max_keys_in_flight {
            return KeyClaim::Full;
        }
        in_flight.insert(key.to_owned());
        KeyClaim::Claimed
    }

    pub(crate) fn release_key(&self, key: &str) {
        let mut in_flight = self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        in_flight.remove(key);
    }
}
