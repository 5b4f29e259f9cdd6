//! Scenario 3, detection: the time from SIGKILL of a `chittyid serve` child to the manager leaving `Connected`,
//! with an idle application, measured with real sockets.
//!
//! - Health stream: the default manager; the kernel closes the stream's socket when the process dies.
//! - Polling only at 30 s (`health_stream(false)`): killed 1 s after the last check, so close to the worst case.
//!   Over a random moment of death the mean would be half the interval.
//! - Passive: polling only at 30 s, with light traffic (one mint every 100 ms through a client sharing the
//!   manager's HTTP client) that reports each connection-level failure to the manager, as `ChittyIdService` does.

use std::time::Duration;

use chittyid::connection::{ConnectionManager, ConnectionState};
use chittyid::format::EntityType;
use chittyid::{Client, Mint};
use tokio::time::Instant;

use crate::report::{Table, Verdict};
use crate::service::ServiceChild;
use crate::stats::{median, millis, percentile, secs};

const STREAM_RUNS: usize = 10;
const PASSIVE_RUNS: usize = 5;
const STREAM_TARGET: Duration = Duration::from_millis(100);

pub(crate) async fn run(name: &str, table: &mut Table) -> anyhow::Result<()> {
    let mut stream = Vec::new();
    for _ in 0..STREAM_RUNS {
        stream.push(measure(true, false).await?);
    }
    let worst = percentile(&mut stream, 100.0);
    table.info(name, &format!("health stream: median of {STREAM_RUNS}"), millis(median(&mut stream)));
    table.row(name, "health stream: max", millis(worst), "≤ 100 ms", Verdict::from(worst <= STREAM_TARGET));

    let mut passive = Vec::new();
    for _ in 0..PASSIVE_RUNS {
        passive.push(measure(false, true).await?);
    }
    let passive_max = percentile(&mut passive, 100.0);
    table.info(name, &format!("passive, a mint every 100 ms: median / max of {PASSIVE_RUNS}"), {
        format!("{} / {}", millis(median(&mut passive)), millis(passive_max))
    });

    let polled = measure(false, false).await?;
    table.info(name, "polling only at 30 s, killed 1 s after a check (1 run)", secs(polled));
    Ok(())
}

/// Starts a child, connects a manager, kills the child and returns how long the manager stayed `Connected`.
async fn measure(stream: bool, traffic: bool) -> anyhow::Result<Duration> {
    let mut child = ServiceChild::start(&[])?;
    let http = reqwest::Client::new();
    let manager = ConnectionManager::builder(child.url()).client(http.clone()).health_stream(stream).build()?;
    manager.connect().await?;
    let client = Client::builder().base_url(child.url()).http_client(http).build()?;
    let traffic = traffic.then(|| {
        let manager = manager.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                let mint = Mint::new(EntityType::Person).jurisdiction(crate::load::next_jurisdiction());
                if let Err(error) = client.mint(&mint).await
                    && error.is_connection_level()
                {
                    manager.report_connection_failure();
                }
            }
        })
    });
    // Let the stream open and the passive check spacing (1 s) pass since the connect check. Then kill at a random
    // moment between two mints, because a kill in step with the traffic's 100 ms tick would time only the mint in
    // flight.
    tokio::time::sleep(Duration::from_millis(1_200 + fastrand::u64(0..100))).await;
    let mut state = manager.watch_state();
    let killed = Instant::now();
    child.kill();
    let left = tokio::time::timeout(Duration::from_secs(60), state.wait_for(|now| *now != ConnectionState::Connected));
    // The `Ref` that `wait_for` returns holds the watch's read lock: drop it at once, or the manager's task blocks
    // on its next state change.
    let left = matches!(left.await, Ok(Ok(_)));
    let elapsed = killed.elapsed();
    if let Some(traffic) = &traffic {
        traffic.abort();
    }
    manager.disconnect().await;
    anyhow::ensure!(left, "the manager stayed connected for 60 s");
    eprintln!("  detection (stream {stream}, traffic {}): {elapsed:?}", traffic.is_some());
    Ok(elapsed)
}
