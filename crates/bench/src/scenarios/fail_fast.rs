//! Scenario 2, fail-fast: the latency of a call with `CallOptions::default().fail_fast()` while the manager is not
//! connected, and while the circuit breaker is open, each timed call by call over 10,000 calls.
//!
//! Not connected: the service points at a loopback port where no process listens, so the manager stays `Reconnecting`.
//! Breaker open: a `chittyid serve --enable-admin` child answers every mint with 503 (fault injection), one call
//! opens a breaker set to open after one failure, and the manager stays `Connected` because `/health` is fine.

use std::time::Duration;

use anyhow::ensure;
use chittyid::Mint;
use chittyid::format::EntityType;
use chittyid::resilience::{BreakerConfig, BreakerState, RetryPolicy};
use chittyid::service::{CallError, CallOptions, ChittyIdService, ServiceBuilder};
use tokio::time::Instant;

use crate::report::{Table, Verdict};
use crate::service::{ServiceChild, url_of};
use crate::stats::{micros, percentile};

const CALLS: usize = 10_000;
const TARGET: Duration = Duration::from_micros(20);

pub(crate) async fn run(name: &str, table: &mut Table) -> anyhow::Result<()> {
    // A port that was free a moment ago: connecting to it is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let service = ServiceBuilder::new(url_of(closed)).build()?;
    let mint = Mint::new(EntityType::Person);
    let _ = service.mint_with(&mint, CallOptions::default().fail_fast()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let samples = time_calls(&service, &mint, |error| matches!(error, CallError::NotConnected { .. })).await?;
    report(name, "not connected", samples, table);
    service.disconnect().await;

    let child = ServiceChild::start(&["--enable-admin"])?;
    let fault = serde_json::json!({"mode": "status", "status": 503});
    let base = child.url().to_string().trim_end_matches('/').to_owned();
    reqwest::Client::new().post(format!("{base}/admin/faults")).json(&fault).send().await?.error_for_status()?;
    let breaker = BreakerConfig::default().consecutive_failures(1).open_duration(Duration::from_secs(30));
    let service =
        ServiceBuilder::new(child.url()).breaker(breaker).retry(RetryPolicy::default().max_attempts(1)).build()?;
    service.connect().await?;
    let _ = service.mint(&mint).await;
    ensure!(
        service.breaker().state() == BreakerState::Open,
        "the breaker did not open: {:?}",
        service.breaker().state()
    );
    let samples = time_calls(&service, &mint, |error| matches!(error, CallError::CircuitOpen(_))).await?;
    report(name, "breaker open", samples, table);
    service.disconnect().await;
    Ok(())
}

async fn time_calls(
    service: &ChittyIdService,
    mint: &Mint,
    expected: impl Fn(&CallError) -> bool,
) -> anyhow::Result<Vec<Duration>> {
    let options = CallOptions::default().fail_fast();
    let mut samples = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        let outcome = service.mint_with(mint, options).await;
        samples.push(started.elapsed());
        ensure!(outcome.as_ref().is_err_and(&expected), "unexpected outcome {outcome:?}");
    }
    Ok(samples)
}

fn report(name: &str, case: &str, mut samples: Vec<Duration>, table: &mut Table) {
    let p50 = percentile(&mut samples, 50.0);
    let p99 = percentile(&mut samples, 99.0);
    table.info(name, &format!("{case}: p50"), micros(p50));
    table.row(name, &format!("{case}: p99"), micros(p99), "≤ 20 µs", Verdict::from(p99 <= TARGET));
}
