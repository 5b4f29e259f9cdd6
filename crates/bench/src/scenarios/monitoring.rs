//! Scenario 10, cost of monitoring: bytes on the wire and CPU time per hour for one connected manager at the
//! default 30 s interval.
//!
//! Bytes are **measured**: two managers (polling only, and with the health stream) reach one `chittyid serve` child
//! through a counting TCP forwarder each, and the bytes of 61 s after the connect (two checks, and four stream
//! keep-alives at the service's default 15 s) are scaled to an hour. The count is of TCP payload: HTTP headers and
//! bodies, not TCP/IP headers.
//!
//! CPU is **derived**: 200 managers polling every second for 5 s give the client CPU time of one check, times the
//! 120 checks of an hour. The stream's keep-alives are not in that figure.

use std::time::Duration;

use chittyid::connection::ConnectionManager;
use futures_util::future::join_all;

use crate::cpu::own_cpu;
use crate::forwarder::Forwarder;
use crate::report::{Table, Verdict};
use crate::service::{ServiceChild, url_of};

const WINDOW: Duration = Duration::from_secs(61);
const TARGET_BYTES: f64 = 24_000.0;
const CPU_MANAGERS: usize = 200;
const CPU_WINDOW: Duration = Duration::from_secs(5);

pub(crate) async fn run(name: &str, table: &mut Table) -> anyhow::Result<()> {
    let child = ServiceChild::start(&[])?;

    let mut probes = Vec::new();
    for stream in [false, true] {
        let forwarder = Forwarder::start(child.addr()).await?;
        let manager = ConnectionManager::builder(url_of(forwarder.addr())).health_stream(stream).build()?;
        manager.connect().await?;
        probes.push((stream, forwarder, manager));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let counts = |forwarder: &Forwarder, manager: &ConnectionManager| {
        let stats = manager.stats();
        let checks = [stats.total_health_checks, stats.failed_health_checks];
        [forwarder.sent(), forwarder.received(), forwarder.connections(), checks[0], checks[1]]
    };
    let before: Vec<[u64; 5]> = probes.iter().map(|(_, forwarder, manager)| counts(forwarder, manager)).collect();
    tokio::time::sleep(WINDOW).await;
    for ((stream, forwarder, manager), before) in probes.iter().zip(before) {
        let after = counts(forwarder, manager);
        let [sent, received, connections, checks, failed] = [0, 1, 2, 3, 4].map(|index| after[index] - before[index]);
        let bytes = sent + received;
        let per_hour = bytes as f64 * 3600.0 / WINDOW.as_secs_f64();
        let label = if *stream { "health stream + 30 s checks" } else { "polling at 30 s" };
        let metric = format!(
            "{label}: bytes per hour ({sent} B sent + {received} B received in 61 s, {checks} checks \
             of which {failed} failed, {connections} new TCP)"
        );
        let verdict = Verdict::from(per_hour <= TARGET_BYTES);
        table.row(name, &metric, format!("{:.1} KB", per_hour / 1000.0), "≤ 24 KB", verdict);
        manager.disconnect().await;
    }

    let http = reqwest::Client::new();
    let mut managers = Vec::with_capacity(CPU_MANAGERS);
    for _ in 0..CPU_MANAGERS {
        let builder = ConnectionManager::builder(child.url()).client(http.clone()).health_stream(false);
        managers.push(builder.health_check_interval(Duration::from_secs(1)).build()?);
    }
    for outcome in join_all(managers.iter().map(ConnectionManager::connect)).await {
        outcome?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let checks = |managers: &[ConnectionManager]| -> u64 {
        managers.iter().map(|manager| manager.stats().total_health_checks).sum()
    };
    let (checks_before, cpu_before) = (checks(&managers), own_cpu());
    tokio::time::sleep(CPU_WINDOW).await;
    let cpu = own_cpu() - cpu_before;
    let done = checks(&managers) - checks_before;
    join_all(managers.iter().map(ConnectionManager::disconnect)).await;
    let per_check = cpu.as_secs_f64() / done.max(1) as f64;
    let per_hour = per_check * 120.0;
    table.info(
        name,
        "polling at 30 s: client CPU per hour (120 × CPU per check)",
        format!("{:.1} ms ({:.0} µs per check, {done} checks)", per_hour * 1e3, per_check * 1e6),
    );
    Ok(())
}
