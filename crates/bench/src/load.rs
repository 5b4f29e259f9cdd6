//! Load helpers shared by the scenarios: the bare HTTP mint that serves as a baseline, unique mint parameters, and
//! a closed loop that keeps N requests in flight.
//!
//! The local service numbers each (region, jurisdiction, type, month) from 0001 to 9999 and then refuses, so every
//! mint of a run takes the next jurisdiction code after 5,000 mints: `AAA`, `AAB`, …

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{bail, ensure};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use tokio::time::Instant;

static MINTS: AtomicU64 = AtomicU64::new(0);

/// Mints per jurisdiction code before the next one, well below the service's 9,999.
const MINTS_PER_CODE: u64 = 5_000;

/// Returns the jurisdiction for the next mint of this process: `AAA`, `AAB`, … (never `ERR`, which is reserved).
pub(crate) fn next_jurisdiction() -> String {
    let block = MINTS.fetch_add(1, Ordering::Relaxed) / MINTS_PER_CODE;
    // The first letter stays A for 676 blocks (3.3 million mints), so the reserved `ERR` never comes up.
    let letters = [b'A', b'A' + ((block / 26) % 26) as u8, b'A' + (block % 26) as u8];
    String::from_utf8_lossy(&letters).into_owned()
}

/// Sends one `POST /mint` with reqwest alone, the same request the library sends: JSON body, `Accept`, a fresh
/// `Idempotency-Key` when `with_key`. The reply is read and its `success` field checked, as the library does.
pub(crate) async fn bare_mint(http: &reqwest::Client, base: &str, with_key: bool) -> anyhow::Result<()> {
    let url = format!("{base}/mint?jurisdiction={}", next_jurisdiction());
    let mut request = http
        .post(url)
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"entityType":"P"}"#);
    if with_key {
        request = request.header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
    }
    let response = request.send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    ensure!(status.is_success(), "status {status}");
    let reply: serde_json::Value = serde_json::from_slice(&body)?;
    if reply.get("success").and_then(serde_json::Value::as_bool) != Some(true) {
        bail!("mint rejected: {reply}");
    }
    Ok(())
}

/// The outcome of a closed-loop run.
#[derive(Debug)]
pub(crate) struct LoopResult {
    /// Calls that succeeded.
    pub(crate) ok: u64,
    /// Calls that failed.
    pub(crate) failed: u64,
    /// The latency of every successful call.
    pub(crate) latencies: Vec<Duration>,
    /// The measured time.
    pub(crate) elapsed: Duration,
}

impl LoopResult {
    /// Successful calls per second.
    pub(crate) fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

/// Keeps `in_flight` calls of `call` running for `duration`, each task starting its next call when the previous
/// one ends.
pub(crate) async fn closed_loop<F, Fut>(in_flight: usize, duration: Duration, call: F) -> LoopResult
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let call = Arc::clone(&call);
            tokio::spawn(async move {
                let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
                while Instant::now() < deadline {
                    let begun = Instant::now();
                    match call().await {
                        Ok(()) => {
                            ok += 1;
                            latencies.push(begun.elapsed());
                        }
                        Err(_) => failed += 1,
                    }
                }
                (ok, failed, latencies)
            })
        })
        .collect();
    let mut result = LoopResult { ok: 0, failed: 0, latencies: Vec::new(), elapsed: Duration::ZERO };
    for task in tasks {
        if let Ok((ok, failed, latencies)) = task.await {
            result.ok += ok;
            result.failed += failed;
            result.latencies.extend(latencies);
        }
    }
    result.elapsed = started.elapsed();
    result
}
