//! Scenario 6, memory: heap bytes per manager, read from the counting global allocator as the difference before
//! and after creating N managers that share one `reqwest::Client`.
//!
//! - Idle: built, never connected; 10,000 of them.
//! - Connected and monitoring: connected to one `chittyid serve` child at the default 30 s interval, the task
//!   running, with the health stream (one open HTTP connection each) and with polling only. The heap of the
//!   service is in the child and not counted. The shared client's connection pool is counted, because the
//!   managers' open connections live there.

use std::time::Duration;

use chittyid::connection::{ConnectionManager, ConnectionState};
use futures_util::future::join_all;

use crate::alloc::live_bytes;
use crate::report::{Table, Verdict};
use crate::service::ServiceChild;

const IDLE: usize = 10_000;
const CONNECTED: usize = 10_000;
const CONNECT_BATCH: usize = 500;

pub(crate) async fn run(name: &str, table: &mut Table) -> anyhow::Result<()> {
    let child = ServiceChild::start(&[])?;
    let http = reqwest::Client::new();

    let mut managers = Vec::with_capacity(IDLE);
    let before = live_bytes();
    for _ in 0..IDLE {
        managers.push(ConnectionManager::builder(child.url()).client(http.clone()).build()?);
    }
    let per_idle = (live_bytes() - before) as f64 / IDLE as f64;
    drop(managers);
    let metric = format!("idle manager, heap bytes each ({IDLE})");
    table.row(name, &metric, format!("{per_idle:.0} B"), "< 448 B", Verdict::from(per_idle < 448.0));
    table.info(name, "of which one tokio watch channel (the state), each", format!("{:.0} B", watch_bytes()));

    for stream in [true, false] {
        let label = if stream { "health stream" } else { "polling only" };
        match connected_bytes(&child, &http, stream).await {
            Ok(per) => {
                let metric = format!("connected, {label}, heap bytes each ({CONNECTED})");
                table.row(name, &metric, format!("{per:.0} B"), "≤ 2 KiB", Verdict::from(per <= 2048.0));
            }
            Err(error) => table.row(name, label, format!("{error:#}"), "≤ 2 KiB", Verdict::NotMeasured),
        }
    }
    Ok(())
}

/// Heap bytes of one `tokio::sync::watch` channel, the manager's state outlet, over `IDLE` instances.
fn watch_bytes() -> f64 {
    let mut senders = Vec::with_capacity(IDLE);
    let before = live_bytes();
    for _ in 0..IDLE {
        senders.push(tokio::sync::watch::Sender::new(ConnectionState::Disconnected));
    }
    (live_bytes() - before) as f64 / IDLE as f64
}

async fn connected_bytes(child: &ServiceChild, http: &reqwest::Client, stream: bool) -> anyhow::Result<f64> {
    // Warm the shared client and the runtime, so their one-off allocations are not charged to the managers.
    let warm = ConnectionManager::builder(child.url()).client(http.clone()).health_stream(stream).build()?;
    warm.connect().await?;
    warm.disconnect().await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut managers = Vec::with_capacity(CONNECTED);
    let before = live_bytes();
    for _ in 0..CONNECTED {
        managers.push(ConnectionManager::builder(child.url()).client(http.clone()).health_stream(stream).build()?);
    }
    for batch in managers.chunks(CONNECT_BATCH) {
        for outcome in join_all(batch.iter().map(ConnectionManager::connect)).await {
            outcome?;
        }
    }
    // Let the streams open and the connection setup's temporary buffers go.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let per = (live_bytes() - before) as f64 / CONNECTED as f64;
    join_all(managers.iter().map(ConnectionManager::disconnect)).await;
    drop(managers);
    // Let the pool close the connections before the next measurement.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(per)
}
