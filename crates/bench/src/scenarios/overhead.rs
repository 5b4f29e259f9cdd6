//! Scenario 1, request overhead: a mint through the full stack (`ChittyIdService`: connection gate, breaker, retry,
//! cache) against a bare reqwest `POST /mint` to the same `chittyid serve` child, interleaved in one run.
//!
//! Latency: 1 in flight, the two paths alternate request by request. Throughput: 64 in flight, the two paths
//! alternate in rounds of 2 s, three rounds each, and the ratio is of the summed counts.

use std::sync::Arc;
use std::time::Duration;

use chittyid::Mint;
use chittyid::format::EntityType;
use chittyid::service::ServiceBuilder;
use tokio::time::Instant;

use crate::alloc::allocations;
use crate::load::{bare_mint, closed_loop, next_jurisdiction};
use crate::report::{Table, Verdict};
use crate::service::ServiceChild;
use crate::stats::{micros, percentile};

const LATENCY_SAMPLES: usize = 2_000;
const ROUNDS: usize = 3;
const ROUND: Duration = Duration::from_secs(2);
const IN_FLIGHT: usize = 64;

/// Average allocations of this process per call of `call`, over 1,000 sequential calls. The manager's task is idle
/// meanwhile, so nearly all of them belong to the call.
async fn allocations_per_call<F, Fut>(call: F) -> anyhow::Result<f64>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    const CALLS: usize = 1_000;
    let before = allocations();
    for _ in 0..CALLS {
        call().await?;
    }
    Ok((allocations() - before) as f64 / CALLS as f64)
}

pub(crate) async fn run(name: &str, table: &mut Table) -> anyhow::Result<()> {
    let service_process = ServiceChild::start(&[])?;
    let service = ServiceBuilder::new(service_process.url()).build()?;
    service.connect().await?;
    let http = reqwest::Client::new();
    let base = service_process.url().to_string().trim_end_matches('/').to_owned();

    let full = || async {
        let mint = Mint::new(EntityType::Person).jurisdiction(next_jurisdiction());
        service.mint(&mint).await.map(drop).map_err(anyhow::Error::from)
    };
    let bare = || bare_mint(&http, &base, true);

    for _ in 0..200 {
        full().await?;
        bare().await?;
    }
    let (mut full_latency, mut bare_latency) = (Vec::new(), Vec::new());
    for _ in 0..LATENCY_SAMPLES {
        let started = Instant::now();
        full().await?;
        full_latency.push(started.elapsed());
        let started = Instant::now();
        bare().await?;
        bare_latency.push(started.elapsed());
    }
    let (full_p50, bare_p50) = (percentile(&mut full_latency, 50.0), percentile(&mut bare_latency, 50.0));
    let (full_p99, bare_p99) = (percentile(&mut full_latency, 99.0), percentile(&mut bare_latency, 99.0));
    let p50_ratio = full_p50.as_secs_f64() / bare_p50.as_secs_f64();
    table.info(name, "bare reqwest p50 / p99, 1 in flight", format!("{} / {}", micros(bare_p50), micros(bare_p99)));
    table.info(name, "full stack p50 / p99, 1 in flight", format!("{} / {}", micros(full_p50), micros(full_p99)));
    table.row(name, "p50 ratio full / bare", format!("{p50_ratio:.3}"), "≤ 1.05", Verdict::from(p50_ratio <= 1.05));
    let p99_ratio = full_p99.as_secs_f64() / bare_p99.as_secs_f64();
    table.info(name, "p99 ratio full / bare", format!("{p99_ratio:.3}"));

    let (full_allocations, bare_allocations) = (allocations_per_call(full).await?, allocations_per_call(bare).await?);
    let value = format!("{full_allocations:.0} / {bare_allocations:.0}");
    table.info(name, "heap allocations per mint in this process, full / bare", value);

    let (mut full_count, mut bare_count) = (0, 0);
    let service = Arc::new(service);
    for _ in 0..ROUNDS {
        let stack = Arc::clone(&service);
        let result = closed_loop(IN_FLIGHT, ROUND, move || {
            let stack = Arc::clone(&stack);
            async move {
                let mint = Mint::new(EntityType::Person).jurisdiction(next_jurisdiction());
                stack.mint(&mint).await.map(drop).map_err(anyhow::Error::from)
            }
        })
        .await;
        full_count += result.ok;
        let (http, base) = (http.clone(), base.clone());
        let result = closed_loop(IN_FLIGHT, ROUND, move || {
            let (http, base) = (http.clone(), base.clone());
            async move { bare_mint(&http, &base, true).await }
        })
        .await;
        bare_count += result.ok;
    }
    let seconds = (ROUNDS as f64) * ROUND.as_secs_f64();
    let ratio = full_count as f64 / bare_count as f64;
    table.info(name, "bare reqwest mints/s, 64 in flight", format!("{:.0}", bare_count as f64 / seconds));
    table.info(name, "full stack mints/s, 64 in flight", format!("{:.0}", full_count as f64 / seconds));
    table.row(name, "throughput ratio full / bare", format!("{ratio:.3}"), "≥ 0.95", Verdict::from(ratio >= 0.95));
    service.disconnect().await;
    Ok(())
}
