//! Counters a manager keeps, in atomics, and the snapshot users read.
//!
//! The manager's task writes the counters and any handle reads them, with no lock, so reading statistics never
//! waits for the manager and the manager never waits for a reader.

use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::time::Instant;

use super::ConnectionState;
use super::events::{serialize_millis, serialize_optional_timestamp};

/// A snapshot of a manager's statistics, with the field names of the JavaScript manager.
///
/// Serialises in camelCase: `totalConnections`, `healthCheckSuccessRate`, `uptime` …
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConnectionStats {
    /// Connections made, first connections and reconnections alike.
    pub total_connections: u64,
    /// Reconnect attempts started.
    pub total_reconnections: u64,
    /// Connection and reconnect attempts that failed.
    pub total_failures: u64,
    /// Health checks completed, including connection attempts.
    pub total_health_checks: u64,
    /// Health checks that found a healthy service.
    pub successful_health_checks: u64,
    /// Health checks that failed.
    pub failed_health_checks: u64,
    /// `successful_health_checks` as a percentage (0–100) of `total_health_checks`; 0 before the first check.
    ///
    /// The JavaScript manager reports the same value as a string such as `"98.50%"`; this is the number.
    pub health_check_success_rate: f64,
    /// The state when the snapshot was taken.
    pub current_state: ConnectionState,
    /// Time since the current connection was made; zero when not connected. Serialised in milliseconds.
    #[serde(serialize_with = "serialize_millis")]
    pub uptime: Duration,
    /// When the last successful health check ended (wall clock); `None` before the first.
    #[serde(serialize_with = "serialize_optional_timestamp")]
    pub last_health_check: Option<SystemTime>,
    /// When the last connection was made (wall clock); `None` before the first.
    #[serde(serialize_with = "serialize_optional_timestamp")]
    pub last_successful_connection: Option<SystemTime>,
    /// Reconnect attempts in the current outage; reset to zero by a successful connection.
    pub reconnect_attempts: u32,
    /// `true` while the state is `Connected`.
    pub is_healthy: bool,
}

/// The live counters behind [`ConnectionStats`].
#[derive(Debug)]
pub(super) struct Counters {
    pub(super) total_connections: AtomicU64,
    pub(super) total_reconnections: AtomicU64,
    pub(super) total_failures: AtomicU64,
    pub(super) total_health_checks: AtomicU64,
    pub(super) successful_health_checks: AtomicU64,
    pub(super) failed_health_checks: AtomicU64,
    pub(super) reconnect_attempts: AtomicU32,
    state: AtomicU8,
    /// Start of the tokio clock's time line for `connected_at`.
    origin: Instant,
    /// Nanoseconds from `origin` to the current connection, plus one; zero when not connected.
    connected_at: AtomicU64,
    /// Milliseconds since the Unix epoch; zero for none.
    last_health_check: AtomicU64,
    last_successful_connection: AtomicU64,
}

impl Counters {
    pub(super) fn new() -> Counters {
        Counters {
            total_connections: AtomicU64::new(0),
            total_reconnections: AtomicU64::new(0),
            total_failures: AtomicU64::new(0),
            total_health_checks: AtomicU64::new(0),
            successful_health_checks: AtomicU64::new(0),
            failed_health_checks: AtomicU64::new(0),
            reconnect_attempts: AtomicU32::new(0),
            state: AtomicU8::new(ConnectionState::Disconnected.to_index()),
            origin: Instant::now(),
            connected_at: AtomicU64::new(0),
            last_health_check: AtomicU64::new(0),
            last_successful_connection: AtomicU64::new(0),
        }
    }

    pub(super) fn increment(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    pub(super) fn record_check(&self, healthy: bool) {
        Counters::increment(&self.total_health_checks);
        if healthy {
            Counters::increment(&self.successful_health_checks);
            self.last_health_check.store(unix_millis(SystemTime::now()), Relaxed);
        } else {
            Counters::increment(&self.failed_health_checks);
        }
    }

    /// Records the state, and the start or end of a connection.
    pub(super) fn record_state(&self, state: ConnectionState) {
        self.state.store(state.to_index(), Relaxed);
        if state == ConnectionState::Connected {
            let since_origin = u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
            self.connected_at.store(since_origin + 1, Relaxed);
            self.last_successful_connection.store(unix_millis(SystemTime::now()), Relaxed);
            self.reconnect_attempts.store(0, Relaxed);
            Counters::increment(&self.total_connections);
        } else {
            self.connected_at.store(0, Relaxed);
        }
    }

    /// Sets every counter back to zero, keeping the state.
    pub(super) fn clear(&self) {
        for counter in [
            &self.total_connections,
            &self.total_reconnections,
            &self.total_failures,
            &self.total_health_checks,
            &self.successful_health_checks,
            &self.failed_health_checks,
            &self.connected_at,
            &self.last_health_check,
            &self.last_successful_connection,
        ] {
            counter.store(0, Relaxed);
        }
        self.reconnect_attempts.store(0, Relaxed);
    }

    pub(super) fn snapshot(&self) -> ConnectionStats {
        let total = self.total_health_checks.load(Relaxed);
        let successful = self.successful_health_checks.load(Relaxed);
        let current_state = ConnectionState::from_index(self.state.load(Relaxed));
        let uptime = match self.connected_at.load(Relaxed) {
            0 => Duration::ZERO,
            since_origin => self.origin.elapsed().saturating_sub(Duration::from_nanos(since_origin - 1)),
        };
        ConnectionStats {
            total_connections: self.total_connections.load(Relaxed),
            total_reconnections: self.total_reconnections.load(Relaxed),
            total_failures: self.total_failures.load(Relaxed),
            total_health_checks: total,
            successful_health_checks: successful,
            failed_health_checks: self.failed_health_checks.load(Relaxed),
            health_check_success_rate: if total == 0 { 0.0 } else { successful as f64 * 100.0 / total as f64 },
            current_state,
            uptime,
            last_health_check: from_unix_millis(self.last_health_check.load(Relaxed)),
            last_successful_connection: from_unix_millis(self.last_successful_connection.load(Relaxed)),
            reconnect_attempts: self.reconnect_attempts.load(Relaxed),
            is_healthy: current_state == ConnectionState::Connected,
        }
    }
}

fn unix_millis(time: SystemTime) -> u64 {
    let millis = time.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    u64::try_from(millis).unwrap_or(u64::MAX).max(1)
}

fn from_unix_millis(millis: u64) -> Option<SystemTime> {
    (millis != 0).then(|| UNIX_EPOCH + Duration::from_millis(millis))
}
