//! The count of finished records that a job shares with the `--chaos` schedule, and the hold that keeps workers
//! from starting records while an outage is being started.
//!
//! The job itself triggers each outage: the completion of the record that crosses a threshold puts the hold on,
//! so no new record starts until the schedule has killed the service and lifted the hold. The records after the
//! threshold therefore meet the outage, however fast the job mints.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;

/// Counts of the records this run mints, and the outage thresholds of `--chaos`.
#[derive(Debug)]
pub(crate) struct Tally {
    /// Records finished by this run, minted or rejected.
    done: AtomicUsize,
    /// The shares of the pending records after which an outage starts, in percent.
    pauses_at_percent: Vec<usize>,
    schedule: Mutex<Schedule>,
    /// Whether workers must wait before they start a record.
    held: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct Schedule {
    /// Thresholds in finished records, not armed yet, in order.
    waiting: VecDeque<usize>,
    /// The threshold whose crossing puts the hold on.
    armed: Option<usize>,
}

impl Tally {
    /// Creates a tally with no outages.
    pub(crate) fn new() -> Tally {
        Tally::with_pauses(&[])
    }

    /// Creates a tally that puts the hold on after each share of the pending records in `percents`, in order.
    pub(crate) fn with_pauses(percents: &[usize]) -> Tally {
        Tally {
            done: AtomicUsize::new(0),
            pauses_at_percent: percents.to_vec(),
            schedule: Mutex::new(Schedule::default()),
            held: watch::Sender::new(false),
        }
    }

    /// Sets the thresholds for `pending` records and arms the first. Returns a note when `pending` is too few for
    /// every outage: each needs records left after its threshold, and a threshold above the one before.
    pub(crate) fn start(&self, pending: usize) -> Option<String> {
        let mut thresholds = VecDeque::new();
        for percent in &self.pauses_at_percent {
            let threshold = (pending * percent).div_ceil(100).max(1);
            if threshold < pending && thresholds.back().is_none_or(|last| threshold > *last) {
                thresholds.push_back(threshold);
            }
        }
        let expected = self.pauses_at_percent.len();
        let note = (thresholds.len() < expected).then(|| {
            format!(
                "chaos: {pending} records to mint are too few for {expected} outages; scheduling {}",
                thresholds.len()
            )
        });
        let mut schedule = self.lock();
        schedule.armed = thresholds.pop_front();
        schedule.waiting = thresholds;
        note
    }

    /// Counts one finished record. The record that reaches the armed threshold puts the hold on.
    pub(crate) fn record_done(&self) {
        let mut schedule = self.lock();
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if schedule.armed.is_some_and(|threshold| done >= threshold) {
            schedule.armed = None;
            self.held.send_replace(true);
        }
    }

    /// Returns the records finished by this run.
    pub(crate) fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Arms the next threshold, or puts the hold on at once when it was crossed already. Returns whether a
    /// threshold was left.
    pub(crate) fn arm_next(&self) -> bool {
        let mut schedule = self.lock();
        let Some(threshold) = schedule.waiting.pop_front() else { return false };
        if self.done() >= threshold {
            self.held.send_replace(true);
        } else {
            schedule.armed = Some(threshold);
        }
        true
    }

    /// Waits until the hold is on.
    pub(crate) async fn wait_held(&self) {
        let mut held = self.held.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = held.wait_for(|held| *held).await;
    }

    /// Lifts the hold.
    pub(crate) fn release(&self) {
        self.held.send_replace(false);
    }

    /// Waits until the hold is off. A worker calls this before it starts a record.
    pub(crate) async fn wait_released(&self) {
        let mut held = self.held.subscribe();
        let _ = held.wait_for(|held| !*held).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Schedule> {
        self.schedule.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_a_threshold_puts_the_hold_on() {
        let tally = Tally::with_pauses(&[30, 70]);
        assert_eq!(tally.start(10), None);
        for _ in 0..3 {
            tally.record_done();
        }
        assert!(*tally.held.borrow());
    }

    #[test]
    fn next_threshold_waits_until_armed() {
        let tally = Tally::with_pauses(&[30, 70]);
        tally.start(10);
        for _ in 0..3 {
            tally.record_done();
        }
        tally.release();
        for _ in 0..5 {
            tally.record_done();
        }
        assert!(!*tally.held.borrow(), "the second threshold is not armed yet");
        assert!(tally.arm_next());
        assert!(*tally.held.borrow(), "arming a crossed threshold puts the hold on");
    }

    #[test]
    fn too_few_records_are_reported() {
        let tally = Tally::with_pauses(&[30, 70]);
        assert!(tally.start(1).is_some());
        assert!(Tally::with_pauses(&[30, 70]).start(2).is_some());
        assert_eq!(Tally::with_pauses(&[30, 70]).start(4), None);
    }

    #[test]
    fn no_pauses_never_hold() {
        let tally = Tally::new();
        assert_eq!(tally.start(5), None);
        for _ in 0..5 {
            tally.record_done();
        }
        assert!(!*tally.held.borrow());
    }
}
