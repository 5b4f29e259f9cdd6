//! `GET /events`: the server-sent event stream that keeps the dashboard live.
//!
//! Every event carries a full [`Snapshot`](super::Snapshot), so a client that reconnects needs nothing from before:
//! the first event after a connect replaces whatever it showed. Events are named `snapshot` (the first one, then
//! about once a second) and `stateChange` (sent at once when the connection state changes). A comment every 15 s
//! keeps idle proxies from closing the stream.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::server::Shared;

/// Time between periodic snapshots.
const SNAPSHOT_INTERVAL: Duration = Duration::from_secs(1);

/// Time between keep-alive comments.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(15);

/// How long a browser waits before it reconnects a dropped stream. The first event sends it.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

pub(super) async fn events(State(shared): State<Arc<Shared>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let feed = Feed::new(shared);
    let stream = futures_util::stream::unfold(feed, Feed::next);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE_INTERVAL))
}

/// One client's stream position.
struct Feed {
    shared: Arc<Shared>,
    first: bool,
    ticks: Interval,
    changes: watch::Receiver<u64>,
    closing: watch::Receiver<bool>,
}

impl Feed {
    fn new(shared: Arc<Shared>) -> Feed {
        let mut ticks = tokio::time::interval_at(Instant::now() + SNAPSHOT_INTERVAL, SNAPSHOT_INTERVAL);
        // A slow client gets the current snapshot, not a burst of stale ones.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut changes = shared.timeline.subscribe();
        changes.mark_unchanged();
        let closing = shared.closing.subscribe();
        Feed { shared, first: true, ticks, changes, closing }
    }

    /// Waits for the next event. `None` ends the stream when the server shuts down.
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Feed)> {
        let first = std::mem::replace(&mut self.first, false);
        let name = if first {
            "snapshot"
        } else {
            tokio::select! {
                biased;
                _ = self.closing.wait_for(|closing| *closing) => return None,
                Ok(()) = self.changes.changed() => "stateChange",
                _ = self.ticks.tick() => "snapshot",
            }
        };
        // The snapshot below contains every change so far, so changes until now need no event of their own.
        self.changes.mark_unchanged();
        let mut event = Event::default().event(name);
        if first {
            event = event.retry(RECONNECT_DELAY);
        }
        let event = match event.json_data(self.shared.snapshot()) {
            Ok(event) => event,
            Err(error) => {
                tracing::debug!(%error, "monitor snapshot could not be serialised");
                Event::default().comment("snapshot unavailable")
            }
        };
        Some((Ok(event), self))
    }
}
