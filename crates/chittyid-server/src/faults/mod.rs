//! Fault injection for tests: make the service fail in the ways the hosted one can, on request.
//!
//! # Why
//!
//! A client's retry, fallback and reconnect paths only run when the service misbehaves. The admin endpoint lets a
//! test switch a misbehaviour on and off against the real service, instead of mocking the client's transport.
//!
//! # The endpoint
//!
//! Served only with [`ServerConfig::enable_admin`](crate::ServerConfig::enable_admin); with tokens configured it
//! requires one, like minting.
//!
//! - `POST /admin/faults` with a [`FaultPlan`], for example `{"mode":"status","status":503,"retryAfter":2}` or
//!   `{"mode":"dropAfterCommit","count":1}`. A plan replaces an active fault of the same mode; faults of different
//!   modes stay active together. `count` limits a fault to the next N matching requests.
//! - `DELETE /admin/faults` clears every fault and ends a pause.
//! - `GET /admin/faults` lists the active faults.
//!
//! Mint faults (`status`, `rejected`, `fallback`, `malformedJson`, `oversizedBody`, `wrongContentType`) replace the
//! reply of mint and batch requests whose parameters are valid. At most one of them applies per request. `slowMint` and
//! `dropAfterCommit` apply to every request that mints, also replacements of fallback IDs.

mod admin;
mod plan;
mod reply;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

pub(crate) use self::admin::{clear, list, pause_gate, submit};
pub use self::plan::{Fault, FaultPlan};
pub(crate) use self::reply::{batch_reply, mint_reply};

/// A fault that delays or stalls `GET /health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HealthFault {
    Delay(Duration),
    Hang,
}

/// The active faults of one service instance.
#[derive(Debug)]
pub(crate) struct Faults {
    active: Mutex<Vec<FaultPlan>>,
    paused: watch::Sender<bool>,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults { active: Mutex::new(Vec::new()), paused: watch::Sender::new(false) }
    }
}

impl Faults {
    /// Activates a plan, replacing an active fault of the same mode; `pause` and `resume` set the pause instead.
    pub(crate) fn set(&self, plan: FaultPlan) {
        match plan.fault {
            Fault::Pause => {
                self.paused.send_replace(true);
            }
            Fault::Resume => {
                self.paused.send_replace(false);
            }
            _ => {
                let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
                active
                    .retain(|existing| std::mem::discriminant(&existing.fault) != std::mem::discriminant(&plan.fault));
                active.push(plan);
            }
        }
    }

    /// Clears every fault and ends a pause.
    pub(crate) fn clear(&self) {
        self.active.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.paused.send_replace(false);
    }

    /// Returns the active faults, a pause included.
    pub(crate) fn list(&self) -> Vec<FaultPlan> {
        let mut plans = self.active.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if *self.paused.borrow() {
            plans.push(FaultPlan { fault: Fault::Pause, count: None });
        }
        plans
    }

    /// Takes one use of the first active fault that `select` maps to a value.
    fn take<T>(&self, select: impl Fn(&Fault) -> Option<T>) -> Option<T> {
        let mut active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        let index = active.iter().position(|plan| select(&plan.fault).is_some())?;
        let value = select(&active[index].fault);
        match &mut active[index].count {
            Some(0) | Some(1) => {
                active.remove(index);
            }
            Some(count) => *count -= 1,
            None => {}
        }
        value
    }

    /// Takes a fault that replaces a mint or batch reply.
    pub(crate) fn take_reply_fault(&self) -> Option<Fault> {
        self.take(|fault| match fault {
            Fault::Status { .. }
            | Fault::Rejected { .. }
            | Fault::Fallback { .. }
            | Fault::MalformedJson
            | Fault::OversizedBody
            | Fault::WrongContentType => Some(fault.clone()),
            _ => None,
        })
    }

    /// Takes a `slowMint` delay.
    pub(crate) fn take_mint_delay(&self) -> Option<Duration> {
        self.take(|fault| match fault {
            Fault::SlowMint { delay_ms } => Some(Duration::from_millis(*delay_ms)),
            _ => None,
        })
    }

    /// Takes a `dropAfterCommit`.
    pub(crate) fn take_drop_after_commit(&self) -> bool {
        self.take(|fault| matches!(fault, Fault::DropAfterCommit).then_some(())).is_some()
    }

    /// Takes a `slowHealth` or `hangHealth`.
    pub(crate) fn take_health_fault(&self) -> Option<HealthFault> {
        self.take(|fault| match fault {
            Fault::SlowHealth { delay_ms } => Some(HealthFault::Delay(Duration::from_millis(*delay_ms))),
            Fault::HangHealth => Some(HealthFault::Hang),
            _ => None,
        })
    }

    /// Returns a receiver of the pause flag.
    pub(crate) fn paused(&self) -> watch::Receiver<bool> {
        self.paused.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_fault_ends_after_count() {
        let faults = Faults::default();
        faults.set(FaultPlan { fault: Fault::DropAfterCommit, count: Some(2) });
        assert!(faults.take_drop_after_commit());
        assert!(faults.take_drop_after_commit());
        assert!(!faults.take_drop_after_commit());
    }

    #[test]
    fn uncounted_fault_stays_until_cleared() {
        let faults = Faults::default();
        faults.set(FaultPlan { fault: Fault::HangHealth, count: None });
        assert_eq!(faults.take_health_fault(), Some(HealthFault::Hang));
        assert_eq!(faults.take_health_fault(), Some(HealthFault::Hang));
        faults.clear();
        assert_eq!(faults.take_health_fault(), None);
    }

    #[test]
    fn new_plan_replaces_same_mode() {
        let faults = Faults::default();
        faults.set(FaultPlan { fault: Fault::Status { status: 500, retry_after: None }, count: None });
        faults.set(FaultPlan { fault: Fault::Status { status: 503, retry_after: None }, count: None });
        assert_eq!(faults.list().len(), 1);
        assert_eq!(faults.take_reply_fault(), Some(Fault::Status { status: 503, retry_after: None }));
    }

    #[test]
    fn pause_and_resume_set_the_flag() {
        let faults = Faults::default();
        faults.set(FaultPlan { fault: Fault::Pause, count: None });
        assert!(*faults.paused().borrow());
        faults.set(FaultPlan { fault: Fault::Resume, count: None });
        assert!(!*faults.paused().borrow());
    }
}
