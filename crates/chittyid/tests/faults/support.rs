//! The rig every fault test uses: the local service with its admin endpoint, a fault proxy in front of it, and a
//! client and a connection manager that talk through the proxy with short timeouts.

use std::collections::HashSet;
use std::time::Duration;

use chittyid::connection::{ConnectionManager, ConnectionState, EventStream};
use chittyid::format::{ChittyId, EntityType};
use chittyid::{Backoff, Client, Mint, ServiceUrl};
use chittyid_test_support::{FaultProxy, InProcessService};
use futures_util::FutureExt;
use serde_json::Value;

/// The maximum wait for a state or a recovery, far above what the tests need, so a slow machine does not fail them.
pub(crate) const PATIENCE: Duration = Duration::from_secs(15);

/// The client's mint timeout: short, so that a stalled reply fails quickly.
pub(crate) const MINT_TIMEOUT: Duration = Duration::from_millis(1500);

/// The manager's health check timeout and interval.
pub(crate) const HEALTH_TIMEOUT: Duration = Duration::from_millis(1000);
pub(crate) const HEALTH_INTERVAL: Duration = Duration::from_millis(200);

/// Builds a client for `url` with the rig's short timeouts.
pub(crate) fn fast_client(url: ServiceUrl) -> Client {
    Client::builder()
        .base_url(url)
        .mint_timeout(MINT_TIMEOUT)
        .health_timeout(HEALTH_TIMEOUT)
        .validate_timeout(MINT_TIMEOUT)
        .connect_timeout(HEALTH_TIMEOUT)
        .build()
        .expect("the client builds")
}

/// Builds a manager for `url` that checks often and reconnects quickly.
pub(crate) fn fast_manager(url: ServiceUrl) -> ConnectionManager {
    ConnectionManager::builder(url)
        .health_check_interval(HEALTH_INTERVAL)
        .health_check_timeout(HEALTH_TIMEOUT)
        .backoff(Backoff::new().base(Duration::from_millis(50)).cap(Duration::from_millis(300)))
        .build()
        .expect("the manager builds")
}

/// Service, proxy, client and manager, wired together.
pub(crate) struct Rig {
    pub(crate) service: InProcessService,
    pub(crate) proxy: FaultProxy,
    pub(crate) client: Client,
    pub(crate) manager: ConnectionManager,
    pub(crate) events: EventStream,
    /// Talks to the service directly, past the proxy, for the admin endpoint and the statistics.
    admin: reqwest::Client,
}

impl Rig {
    /// Starts the rig without connecting the manager.
    pub(crate) async fn start() -> Rig {
        let service = InProcessService::start_with(|config| config.enable_admin(true)).await;
        let proxy = FaultProxy::start(service.addr()).await.expect("the proxy starts");
        let client = fast_client(proxy.url());
        let manager = fast_manager(proxy.url());
        let events = manager.events();
        Rig { service, proxy, client, manager, events, admin: reqwest::Client::new() }
    }

    /// Starts the rig and connects the manager.
    pub(crate) async fn connected() -> Rig {
        let rig = Rig::start().await;
        rig.manager.connect().await.expect("the manager connects through a clean proxy");
        rig
    }

    fn service_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.service.addr())
    }

    /// Activates a service fault with `POST /admin/faults`.
    pub(crate) async fn inject(&self, plan: Value) {
        let reply = self.admin.post(self.service_url("/admin/faults")).json(&plan).send().await.unwrap();
        assert!(reply.status().is_success(), "fault {plan} was not accepted: {}", reply.status());
    }

    /// Ends every fault: the service's and the proxy's.
    pub(crate) async fn clear(&self) {
        self.proxy.clear();
        let reply = self.admin.delete(self.service_url("/admin/faults")).send().await.unwrap();
        assert!(reply.status().is_success(), "faults were not cleared: {}", reply.status());
    }

    /// Returns the durable count of minted IDs, from `GET /api/stats` past the proxy.
    pub(crate) async fn minted(&self) -> u64 {
        let stats: Value = self.admin.get(self.service_url("/api/stats")).send().await.unwrap().json().await.unwrap();
        stats["minted"].as_u64().expect("stats carry `minted`")
    }

    /// Waits for `state`, failing the test with the events seen so far when it does not come.
    pub(crate) async fn expect_state(&mut self, state: ConnectionState) {
        if let Err(error) = self.manager.wait_for_state(state, PATIENCE).await {
            panic!("{error}; events: {:?}", self.drain_events());
        }
    }

    /// Ends every fault and waits until the manager is connected again.
    pub(crate) async fn recover(&mut self) {
        self.clear().await;
        self.expect_state(ConnectionState::Connected).await;
    }

    /// Returns the names of the events received so far.
    pub(crate) fn drain_events(&mut self) -> Vec<&'static str> {
        let mut names = Vec::new();
        while let Some(Some(Ok(event))) = self.events.recv().now_or_never() {
            names.push(event.kind.name());
        }
        names
    }

    /// Receives events until one named `name` arrives; see [`expect_event`].
    pub(crate) async fn expect_event(&mut self, name: &str) {
        expect_event(&mut self.events, name).await;
    }

    /// Sends `mint` until it succeeds, as an application does after an outage; the same idempotency key each time.
    pub(crate) async fn mint_after_recovery(&self, mint: &Mint) -> ChittyId {
        mint_until_done(&self.client, mint).await
    }

    /// Asserts the ledger: the IDs are distinct and the service minted exactly as many.
    pub(crate) async fn assert_ledger(&self, ids: &[ChittyId]) {
        assert_ledger(ids, self.minted().await);
    }
}

/// Sends `mint` through `client` until it succeeds; gives up after the rig's patience.
pub(crate) async fn mint_until_done(client: &Client, mint: &Mint) -> ChittyId {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match client.mint(mint).await {
            Ok(id) => return id,
            Err(error) if error.is_retryable() && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("mint did not succeed after the fault ended: {error}"),
        }
    }
}

/// Asserts that `ids` are distinct and that `minted`, the service's count, equals their number.
pub(crate) fn assert_ledger(ids: &[ChittyId], minted: u64) {
    let distinct: HashSet<String> = ids.iter().map(ToString::to_string).collect();
    assert_eq!(distinct.len(), ids.len(), "an ID was returned twice: {ids:?}");
    assert_eq!(minted, ids.len() as u64, "the service minted {minted} IDs, the client received {}", ids.len());
}

/// Creates a person mint with a fresh idempotency key.
pub(crate) fn person() -> Mint {
    Mint::new(EntityType::Person)
}

/// Receives events until one named `name` arrives, failing the test after the rig's patience.
///
/// A state is published before its event is sent, so a test that has just seen a state waits for the event.
pub(crate) async fn expect_event(events: &mut EventStream, name: &str) {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(PATIENCE, async {
        while let Some(received) = events.recv().await {
            if let Ok(event) = received {
                seen.push(event.kind.name());
                if event.kind.name() == name {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "no `{name}` event; received {seen:?}");
}
