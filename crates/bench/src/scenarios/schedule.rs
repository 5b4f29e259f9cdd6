//! Scenarios 4 and 5, recovery and herd: how soon after the service returns the manager probes it again.
//!
//! Once an outage is detected, the manager probes at the cumulative sums of its [`Backoff`] delays, and a probe
//! against a reachable loopback service succeeds within a millisecond. So for outages of 5–120 s and 20 or 1,000
//! runs, the numbers are **simulated** from the real `Backoff` iterator (the same code the manager runs), not
//! waited out. One short case (5 s outage) is also **measured** with real sockets, to check the simulation.

use std::time::Duration;

use chittyid::Backoff;
use chittyid::connection::ConnectionState;
use chittyid::format::EntityType;
use chittyid::service::ServiceBuilder;
use chittyid::{Mint, service::CallOptions};
use tokio::time::Instant;

use crate::report::{Table, Verdict};
use crate::service::ServiceChild;
use crate::stats::{median, secs};

const OUTAGES: [u64; 4] = [5, 15, 45, 120];
const RUNS: u64 = 20;
const SPREAD_RUNS: u64 = 1_000;
const MEASURED_RUNS: usize = 3;
const HERD: u64 = 1_000;
const HERD_OUTAGE: Duration = Duration::from_secs(45);
const BUCKET: Duration = Duration::from_millis(100);

/// The time from the service's return, `outage` after detection, to the first probe of `backoff` at or after it.
fn recovery_after(backoff: &Backoff, outage: Duration) -> Duration {
    let mut probe_at = Duration::ZERO;
    for delay in backoff.delays() {
        probe_at += delay;
        if probe_at >= outage {
            return probe_at - outage;
        }
    }
    Duration::MAX
}

pub(crate) async fn recovery(name: &str, table: &mut Table) -> anyhow::Result<()> {
    for outage in OUTAGES.map(Duration::from_secs) {
        let plain = recovery_after(&Backoff::new().jitter(false), outage);
        let mut jittered: Vec<Duration> =
            (0..RUNS).map(|seed| recovery_after(&Backoff::new().seed(seed), outage)).collect();
        let jittered = median(&mut jittered);
        let metric = format!("{}-s outage: median of {RUNS} seeds (simulated) / no jitter", outage.as_secs());
        let met = jittered.as_secs_f64() <= plain.as_secs_f64() / 2.0;
        table.row(name, &metric, format!("{} / {}", secs(jittered), secs(plain)), "≤ half of no jitter", {
            Verdict::from(met)
        });
        // The un-jittered schedule probes at 1, 3, 7, 15, 31, 63, 123 s, so its recovery depends on where the outage
        // ends between two probes. Outages spread over T/2 to 3T/2 compare the two schedules without that accident.
        let spread = |jitter: bool| {
            let total: Duration = (0..SPREAD_RUNS)
                .map(|run| {
                    let outage = outage / 2 + outage * run as u32 / SPREAD_RUNS as u32;
                    recovery_after(&Backoff::new().seed(run).jitter(jitter), outage)
                })
                .sum();
            total / SPREAD_RUNS as u32
        };
        let metric = format!("{}-s ± 50 % outage: mean of {SPREAD_RUNS} (simulated) / no jitter", outage.as_secs());
        table.info(name, &metric, format!("{} / {}", secs(spread(true)), secs(spread(false))));
    }
    table.info(
        name,
        "application waiting on the connection",
        "same schedule: a waiting call adds no probe (service/calls.rs)".to_owned(),
    );

    let (mut manager_times, mut caller_times) = (Vec::new(), Vec::new());
    for _ in 0..MEASURED_RUNS {
        let (manager, caller) = measure_outage(Duration::from_secs(5)).await?;
        manager_times.push(manager);
        caller_times.push(caller);
    }
    let metric = format!("5-s outage, real sockets: median of {MEASURED_RUNS}, manager / waiting call");
    table.info(name, &metric, format!("{} / {}", secs(median(&mut manager_times)), secs(median(&mut caller_times))));
    Ok(())
}

/// Kills a child under a connected default service, restarts it after `outage`, and returns the times from the
/// restart to `Connected` and to the end of a mint that waited on the connection.
async fn measure_outage(outage: Duration) -> anyhow::Result<(Duration, Duration)> {
    let mut child = ServiceChild::start(&[])?;
    let service = ServiceBuilder::new(child.url()).build()?;
    service.connect().await?;
    child.kill();
    service.connection().wait_for_state(ConnectionState::Reconnecting, Duration::from_secs(5)).await?;
    let waiting = service.clone();
    let call = tokio::spawn(async move {
        let mint = Mint::new(EntityType::Person);
        let outcome = waiting.mint_with(&mint, CallOptions::default().deadline(Duration::from_secs(120))).await;
        (Instant::now(), outcome)
    });
    tokio::time::sleep(outage).await;
    child.restart()?;
    let back = Instant::now();
    service.connection().wait_for_state(ConnectionState::Connected, Duration::from_secs(120)).await?;
    let connected = back.elapsed();
    let (finished, outcome) = call.await?;
    outcome?;
    service.disconnect().await;
    Ok((connected, finished.saturating_duration_since(back)))
}

pub(crate) fn herd(name: &str, table: &mut Table) -> anyhow::Result<()> {
    for jitter in [true, false] {
        let mut reconnects: Vec<Duration> = (0..HERD)
            .map(|seed| HERD_OUTAGE + recovery_after(&Backoff::new().seed(seed).jitter(jitter), HERD_OUTAGE))
            .collect();
        reconnects.sort_unstable();
        let span = reconnects[reconnects.len() - 1] - reconnects[0];
        let label = if jitter { "jitter" } else { "no jitter" };
        let (peak, uniform) = peak_and_uniform(&reconnects, BUCKET);
        let ratio = peak as f64 / uniform;
        let metric = format!("{label}: reconnect probes per 100 ms, peak / uniform over {} (simulated)", secs(span));
        let value = format!("{peak} / {uniform:.1} = {ratio:.1}×");
        if jitter {
            table.row(name, &metric, value, "peak ≤ 3× uniform", Verdict::from(ratio <= 3.0));
            let (peak, uniform) = peak_and_uniform(&reconnects, Duration::from_secs(1));
            let metric = format!("{label}: the same per 1 s, less counting noise (simulated)");
            table.info(name, &metric, format!("{peak} / {uniform:.1} = {:.1}×", peak as f64 / uniform));
        } else {
            table.info(name, &metric, value);
        }
    }
    Ok(())
}

/// Returns the largest count of `times` (sorted) in one bucket of `bucket`, and the mean count per bucket over
/// their span.
fn peak_and_uniform(times: &[Duration], bucket: Duration) -> (u64, f64) {
    let first = times[0];
    let span = times[times.len() - 1] - first;
    let buckets = (span.as_nanos() / bucket.as_nanos()) as usize + 1;
    let mut histogram = vec![0_u64; buckets];
    for at in times {
        histogram[((*at - first).as_nanos() / bucket.as_nanos()) as usize] += 1;
    }
    let peak = histogram.iter().copied().max().unwrap_or(0);
    (peak, times.len() as f64 / buckets as f64)
}
