//! A sliding window of call counts over time, in fixed buckets, shared by the circuit breaker and the retry budget.

use std::time::Duration;

use tokio::time::Instant;

/// Calls and failures (or retries) counted over the last `span` of tokio time, in `buckets` slices.
///
/// A slice is reset lazily when its slot is reused, so recording and reading are O(buckets) at worst and
/// allocate nothing after construction.
#[derive(Debug, Clone)]
pub(crate) struct SlidingWindow {
    origin: Instant,
    width: Duration,
    slots: Box<[Slot]>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    epoch: u64,
    total: u32,
    marked: u32,
}

/// Totals over the window: all recorded events, and those marked (failures, or retries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) total: u32,
    pub(crate) marked: u32,
}

impl SlidingWindow {
    /// Creates a window over `span`, cut into `buckets` slices (at least one).
    pub(crate) fn new(span: Duration, buckets: u32) -> SlidingWindow {
        let buckets = buckets.max(1);
        let width = (span / buckets).max(Duration::from_millis(1));
        // Epoch 0 never occurs for a recorded event, so fresh slots count as empty.
        let slots = vec![Slot::default(); buckets as usize].into_boxed_slice();
        SlidingWindow { origin: Instant::now(), width, slots }
    }

    fn epoch(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.origin);
        (elapsed.as_nanos() / self.width.as_nanos()) as u64 + 1
    }

    /// Records one event at `now`; `marked` counts it as a failure (or a retry).
    pub(crate) fn record(&mut self, now: Instant, marked: bool) {
        let epoch = self.epoch(now);
        let index = (epoch % self.slots.len() as u64) as usize;
        let slot = &mut self.slots[index];
        if slot.epoch != epoch {
            *slot = Slot { epoch, total: 0, marked: 0 };
        }
        slot.total = slot.total.saturating_add(1);
        slot.marked = slot.marked.saturating_add(u32::from(marked));
    }

    /// Sums the slices that are still inside the window at `now`.
    pub(crate) fn totals(&self, now: Instant) -> Totals {
        let epoch = self.epoch(now);
        let oldest = epoch.saturating_sub(self.slots.len() as u64 - 1);
        self.slots.iter().filter(|slot| slot.epoch >= oldest && slot.epoch <= epoch).fold(
            Totals::default(),
            |sum, slot| Totals { total: sum.total + slot.total, marked: sum.marked + slot.marked },
        )
    }

    /// Forgets every event.
    pub(crate) fn clear(&mut self) {
        self.slots.iter_mut().for_each(|slot| *slot = Slot::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn events_leave_the_window_after_its_span() {
        let mut window = SlidingWindow::new(Duration::from_secs(10), 10);
        window.record(Instant::now(), true);
        window.record(Instant::now(), false);
        assert_eq!(window.totals(Instant::now()), Totals { total: 2, marked: 1 });

        tokio::time::advance(Duration::from_secs(5)).await;
        window.record(Instant::now(), false);
        assert_eq!(window.totals(Instant::now()), Totals { total: 3, marked: 1 });

        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(window.totals(Instant::now()), Totals { total: 1, marked: 0 });

        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(window.totals(Instant::now()), Totals::default());
    }

    #[tokio::test(start_paused = true)]
    async fn reused_slot_starts_empty() {
        let mut window = SlidingWindow::new(Duration::from_secs(2), 2);
        window.record(Instant::now(), true);
        tokio::time::advance(Duration::from_secs(2)).await;
        window.record(Instant::now(), false);
        assert_eq!(window.totals(Instant::now()), Totals { total: 1, marked: 0 });
    }
}
