//! A SIGKILL in the middle of minting: after a restart on the same data folder, no ID is handed out twice.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chittyid::format::{ChittyId, EntityType};
use chittyid::{Client, Mint};
use chittyid_test_support::ServiceProcess;

/// Mints wanted before the kill and after the restart.
const MINTS_PER_PHASE: usize = 300;
/// Concurrent minting tasks.
const TASKS: usize = 4;
/// Bound on each phase, so a broken service fails the test instead of hanging it.
const PHASE_LIMIT: Duration = Duration::from_secs(60);

/// Mints from several tasks until `stop` is set, collecting every ID the service returned.
fn spawn_minters(
    client: &Client,
    stop: &Arc<AtomicBool>,
    ids: &Arc<Mutex<Vec<ChittyId>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..TASKS)
        .map(|task| {
            let (client, stop, ids) = (client.clone(), stop.clone(), ids.clone());
            tokio::spawn(async move {
                // Two entity types, so more than one sequence counter is in play.
                let entity = if task % 2 == 0 { EntityType::Person } else { EntityType::Thing };
                while !stop.load(Ordering::Relaxed) {
                    match client.mint(&Mint::new(entity).region(1).jurisdiction("USA")).await {
                        Ok(id) => ids.lock().unwrap().push(id),
                        // Expected while the service is down; the loop tries again.
                        Err(_) => tokio::task::yield_now().await,
                    }
                }
            })
        })
        .collect()
}

async fn wait_for(ids: &Arc<Mutex<Vec<ChittyId>>>, count: usize) {
    let started = Instant::now();
    while ids.lock().unwrap().len() < count {
        assert!(started.elapsed() < PHASE_LIMIT, "fewer than {count} mints within {PHASE_LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_stay_unique_across_sigkill_and_restart() {
    let data = tempfile::tempdir().unwrap();
    let mut service = ServiceProcess::start(data.path(), &[]);
    let address = service.addr();
    let client = Client::builder().base_url(service.url()).build().unwrap();

    let before = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let minters = spawn_minters(&client, &stop, &before);
    wait_for(&before, MINTS_PER_PHASE).await;
    // Killed while the tasks still have requests in flight.
    service.kill();
    stop.store(true, Ordering::Relaxed);
    for minter in minters {
        minter.await.unwrap();
    }
    let before: Vec<ChittyId> = before.lock().unwrap().clone();

    tokio::task::block_in_place(|| service.restart());
    assert_eq!(service.addr(), address, "restarted on the same port");
    let after = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let minters = spawn_minters(&client, &stop, &after);
    wait_for(&after, MINTS_PER_PHASE).await;
    stop.store(true, Ordering::Relaxed);
    for minter in minters {
        minter.await.unwrap();
    }
    let after: Vec<ChittyId> = after.lock().unwrap().clone();

    for id in before.iter().chain(&after) {
        assert!(ChittyId::parse(&id.to_string()).is_ok(), "{id} does not parse");
    }
    let before_set: HashSet<ChittyId> = before.iter().copied().collect();
    assert_eq!(before_set.len(), before.len(), "an ID was handed out twice before the kill");
    let after_set: HashSet<ChittyId> = after.iter().copied().collect();
    assert_eq!(after_set.len(), after.len(), "an ID was handed out twice after the restart");
    let reused: Vec<&ChittyId> = after_set.intersection(&before_set).collect();
    assert!(reused.is_empty(), "{} IDs minted after the restart equal IDs minted before: {reused:?}", reused.len());
}
