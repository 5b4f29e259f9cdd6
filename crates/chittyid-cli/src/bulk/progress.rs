//! Progress of a bulk job on stderr, and the outages it rode out.
//!
//! On a terminal, an indicatif bar shows records done of the records this run mints, the rate, the ETA, the
//! connection state and the retries. Elsewhere (a log file, CI), a plain line is printed every few seconds instead,
//! because a redrawn bar would fill a log with control characters. Either way each change of the connection state
//! gets its own line, so the user sees the job pause during an outage and go on by itself.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use chittyid::connection::ConnectionState;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use tokio::time::Instant;

/// Time between plain progress lines when stderr is not a terminal.
const PLAIN_INTERVAL: Duration = Duration::from_secs(5);

/// The progress display and the outage tally of one job.
#[derive(Debug)]
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    pending: u64,
    started: Instant,
    last_plain_line: Instant,
    state: ConnectionState,
    /// Connected-to-not-connected changes seen during the job.
    // NOTE: the state comes from a watch channel, which keeps only the latest value, so an outage that starts and
    // ends between two looks at the channel is not counted.
    outages: u32,
    /// When the connection stopped being `Connected`, while it is not.
    down_since: Option<Instant>,
    /// Time spent not `Connected`, ended outages and the initial connect included.
    waited: Duration,
}

impl Progress {
    /// Starts the display for `pending` records, with the connection in `state`.
    pub(crate) fn new(pending: usize, state: ConnectionState) -> Progress {
        let now = Instant::now();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(pending as u64), ProgressDrawTarget::stderr());
            let template = "{bar:30} {pos}/{len} minted, {rate}, eta {eta}, {msg}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                // indicatif's own {per_sec} prints up to four decimals, which flicker on a terminal.
                let style = style.with_key("rate", |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.0}/s", state.per_sec());
                });
                bar.set_style(style);
            }
            bar
        });
        let down_since = (state != ConnectionState::Connected).then_some(now);
        let progress = Progress {
            bar,
            pending: pending as u64,
            started: now,
            last_plain_line: now,
            state,
            outages: 0,
            down_since,
            waited: Duration::ZERO,
        };
        progress.update(0, 0);
        progress
    }

    /// Prints a line above the bar, or on its own.
    pub(crate) fn note(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("chittyid: {text}")),
            None => {
                let _ = writeln!(std::io::stderr().lock(), "chittyid: {text}");
            }
        }
    }

    /// Records a new connection state and prints a line about the change.
    pub(crate) fn on_state(&mut self, state: ConnectionState, done: u64, retries: u64) {
        if state == self.state {
            return;
        }
        let now = Instant::now();
        if state == ConnectionState::Connected {
            if let Some(since) = self.down_since.take() {
                let outage = now - since;
                self.waited += outage;
                // The first connection of the job is no outage, so it passes without a line.
                if self.outages > 0 {
                    self.note(&format!("connection {state} after {}; minting goes on", seconds(outage)));
                }
            }
        } else if self.down_since.is_none() {
            self.outages += 1;
            self.down_since = Some(now);
            self.note(&format!("connection {state}: minting pauses until the service is back"));
        }
        self.state = state;
        self.update(done, retries);
    }

    /// Refreshes the bar, or prints a plain line when one is due.
    pub(crate) fn tick(&mut self, done: u64, retries: u64) {
        self.update(done, retries);
        if self.bar.is_none() && self.last_plain_line.elapsed() >= PLAIN_INTERVAL {
            self.last_plain_line = Instant::now();
            let elapsed = self.started.elapsed().as_secs_f64();
            let rate = if elapsed > 0.0 { done as f64 / elapsed } else { 0.0 };
            let percent = (done * 100).checked_div(self.pending).unwrap_or(100);
            let eta = if rate > 0.0 { format!("{:.0} s", (self.pending - done) as f64 / rate) } else { "?".into() };
            self.note(&format!(
                "minted {done} of {} ({percent} %), {rate:.0}/s, eta {eta}, connection {}, {retries} retries",
                self.pending, self.state
            ));
        }
    }

    fn update(&self, done: u64, retries: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            bar.set_message(format!("{}, {retries} retries", self.state));
        }
    }

    /// Clears the bar and returns the outages seen and the time spent waiting for the connection.
    pub(crate) fn finish(mut self) -> (u32, Duration) {
        if let Some(since) = self.down_since.take() {
            self.waited += since.elapsed();
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        (self.outages, self.waited)
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}
