//! Scenario 7, fleet: CPU and memory of this process with 1,000 and 10,000 connected managers polling one
//! `chittyid serve` child every second (polling only, so each manager makes one check per second), sharing one
//! `reqwest::Client`. The heap comes from the counting allocator. The resident set is not reported, because after
//! earlier scenarios of the same run it shows their high-water mark.
//!
//! CPU is `getrusage` over a 10 s window after the fleet settled; the child's CPU comes from `/proc`. The checks
//! actually completed in the window show whether the service kept up.

use std::time::Duration;

use chittyid::connection::ConnectionManager;
use futures_util::future::join_all;
use tokio::time::Instant;

use crate::alloc::live_bytes;
use crate::cpu::{own_cpu, process_cpu};
use crate::report::{Table, Verdict};
use crate::service::ServiceChild;

const FLEETS: [usize; 2] = [1_000, 10_000];
const WINDOW: Duration = Duration::from_secs(10);
const CONNECT_BATCH: usize = 500;

struct Sample {
    cores: f64,
    service_cores: f64,
    checks_per_second: f64,
    heap: isize,
}

pub(crate) async fn run(name: &str, table: &mut Table) -> anyhow::Result<()> {
    let mut samples = Vec::new();
    for size in FLEETS {
        let sample = measure(size).await?;
        let cpu_per_check = sample.cores / sample.checks_per_second * 1e6;
        table.info(
            name,
            &format!("{size} managers at 1 s: client cores / service cores"),
            format!("{:.3} / {:.3}", sample.cores, sample.service_cores),
        );
        table.info(
            name,
            &format!("{size} managers: checks/s done (of {size}), client CPU per check"),
            format!("{:.0}, {cpu_per_check:.0} µs", sample.checks_per_second),
        );
        table.info(name, &format!("{size} managers: heap"), format!("{:.1} MiB", sample.heap as f64 / 1048576.0));
        samples.push(sample);
    }
    let (small, large) = (&samples[0], &samples[1]);
    let cpu_growth = (large.cores / large.checks_per_second) / (small.cores / small.checks_per_second);
    let heap_growth = large.heap as f64 / small.heap as f64;
    table.row(
        name,
        "growth 1k → 10k: CPU per check, heap (×10 managers)",
        format!("{cpu_growth:.2}×, {heap_growth:.1}×"),
        "linear: CPU per check ≤ 1.5×, heap ≤ 15×",
        Verdict::from(cpu_growth <= 1.5 && heap_growth <= 15.0),
    );
    // Each manager checks one interval after its previous check ended, so N managers make somewhat fewer than N
    // checks per second. The CPU at exactly 10,000 checks/s is scaled from the CPU per check.
    let projected = large.cores / large.checks_per_second * 10_000.0;
    let value = format!("{projected:.3} cores ({:.3} at {:.0} checks/s)", large.cores, large.checks_per_second);
    let verdict = Verdict::from(projected < 0.5);
    table.row(name, "client CPU at 10,000 checks/s", value, "< 0.5 core", verdict);
    Ok(())
}

async fn measure(size: usize) -> anyhow::Result<Sample> {
    let child = ServiceChild::start(&[])?;
    let pid = child.pid().unwrap_or(0);
    let http = reqwest::Client::new();
    let heap_before = live_bytes();
    let mut managers = Vec::with_capacity(size);
    for _ in 0..size {
        let builder = ConnectionManager::builder(child.url()).client(http.clone());
        managers.push(builder.health_stream(false).health_check_interval(Duration::from_secs(1)).build()?);
    }
    for batch in managers.chunks(CONNECT_BATCH) {
        for outcome in join_all(batch.iter().map(ConnectionManager::connect)).await {
            outcome?;
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    let checks = |managers: &[ConnectionManager]| -> u64 {
        managers.iter().map(|manager| manager.stats().total_health_checks).sum()
    };
    let (checks_before, cpu_before, service_before) = (checks(&managers), own_cpu(), process_cpu(pid));
    let started = Instant::now();
    tokio::time::sleep(WINDOW).await;
    let elapsed = started.elapsed().as_secs_f64();
    let sample = Sample {
        cores: (own_cpu() - cpu_before).as_secs_f64() / elapsed,
        service_cores: (process_cpu(pid).saturating_sub(service_before)).as_secs_f64() / elapsed,
        checks_per_second: (checks(&managers) - checks_before) as f64 / elapsed,
        heap: live_bytes() - heap_before,
    };
    join_all(managers.iter().map(ConnectionManager::disconnect)).await;
    Ok(sample)
}
