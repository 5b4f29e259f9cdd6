//! Unit tests of the state machine on tokio's paused clock, with a scripted probe instead of a socket.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::Notify;
use tokio::time::advance;

use super::probe::{BoxFuture, Probe, StreamEnd};
use super::*;
use crate::wire::HealthReply;
use crate::{Backoff, ServiceUrl};

mod behaviour;
mod lifecycle;

/// What the scripted service does when checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Healthy,
    Down,
    RejectsToken,
}

/// What the scripted health stream does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    /// Stays open until `break_stream` is called.
    Open,
    /// Answers 404.
    Unsupported,
}

#[derive(Debug)]
struct Script {
    service: Mutex<Service>,
    stream: Mutex<Stream>,
    check_duration: Mutex<Duration>,
    checks: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    watches: AtomicUsize,
    break_stream: Notify,
}

#[derive(Debug, Clone)]
struct ScriptedProbe(Arc<Script>);

impl ScriptedProbe {
    fn new(service: Service) -> ScriptedProbe {
        ScriptedProbe(Arc::new(Script {
            service: Mutex::new(service),
            stream: Mutex::new(Stream::Open),
            check_duration: Mutex::new(Duration::ZERO),
            checks: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            watches: AtomicUsize::new(0),
            break_stream: Notify::new(),
        }))
    }

    fn set_service(&self, service: Service) {
        *self.0.service.lock().unwrap() = service;
    }

    fn set_stream(&self, stream: Stream) {
        *self.0.stream.lock().unwrap() = stream;
    }

    fn set_check_duration(&self, duration: Duration) {
        *self.0.check_duration.lock().unwrap() = duration;
    }

    fn checks(&self) -> usize {
        self.0.checks.load(SeqCst)
    }

    fn max_in_flight(&self) -> usize {
        self.0.max_in_flight.load(SeqCst)
    }

    fn watches(&self) -> usize {
        self.0.watches.load(SeqCst)
    }

    fn break_stream(&self) {
        self.0.break_stream.notify_one();
    }
}

/// Decrements the in-flight count also when the check is cancelled.
struct InFlight(Arc<Script>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, SeqCst);
    }
}

impl Probe for ScriptedProbe {
    fn check(&self) -> BoxFuture<Result<HealthReply, HealthCheckError>> {
        let script = Arc::clone(&self.0);
        Box::pin(async move {
            let now = script.in_flight.fetch_add(1, SeqCst) + 1;
            script.max_in_flight.fetch_max(now, SeqCst);
            let _in_flight = InFlight(Arc::clone(&script));
            let duration = *script.check_duration.lock().unwrap();
            tokio::time::sleep(duration).await;
            script.checks.fetch_add(1, SeqCst);
            let service = *script.service.lock().unwrap();
            match service {
                Service::Healthy => Ok(HealthReply { status: "ok".into(), ..HealthReply::default() }),
                Service::Down => Err(HealthCheckError::Transport {
                    source: Arc::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
                }),
                Service::RejectsToken => Err(HealthCheckError::Unauthorized { status: 403 }),
            }
        })
    }

    fn watch(&self) -> BoxFuture<StreamEnd> {
        let script = Arc::clone(&self.0);
        script.watches.fetch_add(1, SeqCst);
        let stream = *script.stream.lock().unwrap();
        Box::pin(async move {
            match stream {
                Stream::Unsupported => StreamEnd::Unsupported,
                Stream::Open => {
                    script.break_stream.notified().await;
                    StreamEnd::Broken("scripted break".into())
                }
            }
        })
    }
}

fn builder(probe: &ScriptedProbe) -> ConnectionManagerBuilder {
    let url = ServiceUrl::parse("http://127.0.0.1:9").unwrap();
    ConnectionManager::builder(url).probe(Arc::new(probe.clone()))
}

fn plain_backoff() -> Backoff {
    Backoff::new().jitter(false)
}

/// Lets the manager's task run without moving the clock.
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

/// Returns the events received so far, without waiting.
fn drain(events: &mut EventStream) -> Vec<EventKind> {
    let mut kinds = Vec::new();
    while let Some(Some(item)) = events.recv().now_or_never() {
        kinds.push(item.expect("no missed events").kind);
    }
    kinds
}

fn state_changes(kinds: &[EventKind]) -> Vec<(ConnectionState, ConnectionState)> {
    kinds
        .iter()
        .filter_map(|kind| match kind {
            EventKind::StateChange { from, to } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

fn reconnect_delays(kinds: &[EventKind]) -> Vec<(u32, Duration)> {
    kinds
        .iter()
        .filter_map(|kind| match kind {
            EventKind::Reconnecting { attempt, delay } => Some((*attempt, *delay)),
            _ => None,
        })
        .collect()
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

/// Moves the paused clock forward in 100 ms steps, letting the manager run after each, so that timers armed along
/// the way fire in order. A single `advance` would jump past them.
async fn run_for(duration: Duration) {
    let step = Duration::from_millis(100);
    let mut elapsed = Duration::ZERO;
    while elapsed < duration {
        advance(step).await;
        settle().await;
        elapsed += step;
    }
}
