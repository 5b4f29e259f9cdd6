//! Scenario 8, local service: durable mints per second and p99 latency of a `chittyid serve` child at 1, 16 and 64
//! requests in flight, without and with `Idempotency-Key`, each for 3 s with a bare reqwest client.
//!
//! A mint counts when the reply contains `success: true`, which the service sends only after the sequence number is
//! committed with fsync. The load generator runs on the same two cores as the service and takes part of them.

use std::time::Duration;

use crate::cpu::process_cpu;
use crate::load::{bare_mint, closed_loop};
use crate::report::{Table, Verdict};
use crate::service::ServiceChild;
use crate::stats::{millis, percentile};

const IN_FLIGHT: [usize; 3] = [1, 16, 64];
const RUN: Duration = Duration::from_secs(3);

pub(crate) async fn run(name: &str, table: &mut Table) -> anyhow::Result<()> {
    let child = ServiceChild::start(&[])?;
    let pid = child.pid().unwrap_or(0);
    let http = reqwest::Client::new();
    let base = child.url().to_string().trim_end_matches('/').to_owned();
    for with_key in [false, true] {
        for in_flight in IN_FLIGHT {
            let (http, base) = (http.clone(), base.clone());
            let service_before = process_cpu(pid);
            let mut result = closed_loop(in_flight, RUN, move || {
                let (http, base) = (http.clone(), base.clone());
                async move { bare_mint(&http, &base, with_key).await }
            })
            .await;
            let service_cores = process_cpu(pid).saturating_sub(service_before).as_secs_f64() / RUN.as_secs_f64();
            let p99 = percentile(&mut result.latencies, 99.0);
            let keys = if with_key { "with keys" } else { "no keys" };
            let metric = format!("{keys}, {in_flight} in flight: mints/s, p99, service cores");
            let value = format!("{:.0}, {}, {service_cores:.2} ({} failed)", result.rate(), millis(p99), result.failed);
            if in_flight == 64 {
                table.row(name, &metric, value, "≥ 10,000/s", Verdict::from(result.rate() >= 10_000.0));
            } else {
                table.info(name, &metric, value);
            }
        }
    }
    Ok(())
}
