//! The self-healing connection manager: keeps the link to one ChittyID service healthy, reports its state, and
//! recovers by itself when the service comes back.
//!
//! An application holds one [`ConnectionManager`] per service. After [`ConnectionManager::connect`] a background
//! task checks the service's health, notices a lost link, reconnects with a jittered [`Backoff`](crate::Backoff),
//! and reports every change as a [state](ConnectionManager::watch_state), an [event](ConnectionManager::events)
//! and [statistics](ConnectionManager::stats).
//!
//! # Why
//!
//! The JavaScript manager this one descends from noticed a dead service only at the next 30 s health check, noticed
//! a returning service up to a full backoff step late, reported `FAILED` between attempts while still retrying, told
//! a second concurrent `connect()` "connected" while the first failed, reconnected crowds of clients in lockstep,
//! and retried forever on an invalid token. Here:
//!
//! - a broken health stream, or a request failure that the client reports through
//!   [`ConnectionManager::report_connection_failure`], triggers a check at once;
//! - the backoff is jittered and bounded by half the outage so far (see [`crate::backoff`]);
//! - a manager that still retries is `Reconnecting`, never `Failed`;
//! - concurrent `connect()` calls share one attempt and its outcome;
//! - 401 and 403 are permanent failures: the manager moves to `Failed` with the reason and stops.
//!
//! # States and transitions
//!
//! | from | to | when |
//! |---|---|---|
//! | `Disconnected`, `Failed` | `Connecting` | `connect()` |
//! | `Connecting` | `Connected` | the first attempt succeeds |
//! | `Connecting` | `Reconnecting` | the first attempt fails with a transient error |
//! | `Connected` | `Reconnecting` | a health check fails with a transient error |
//! | `Reconnecting` | `Connected` | an attempt (or an on-demand check) succeeds |
//! | `Connecting`, `Connected`, `Reconnecting` | `Failed` | a permanent failure (401/403), or the last allowed attempt failed |
//! | `Connecting`, `Connected`, `Reconnecting`, `Failed` | `Disconnected` | `disconnect()` or `reset()` |
//!
//! [`ConnectionState::can_transition_to`] encodes this table; every other transition is a bug.
//!
//! # Health checks
//!
//! `GET /health` with the bearer token, every 30 s while connected, with a 5 s timeout; the next check starts one
//! interval after the previous one ended, so a slow check never overlaps the next. A 2xx reply with a healthy body
//! succeeds; a transport error, a timeout, 429, 5xx or another status is transient; 401 and 403 are permanent.
//! While connected, the manager also holds `GET /health/stream` (server-sent events) open when the service offers
//! it, and checks at once when the stream ends, fails or stays silent past
//! [`stream_silence_timeout`](ConnectionManagerBuilder::stream_silence_timeout). Against a service that answers
//! 404 there, it polls only.
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//! use chittyid::ServiceUrl;
//! use chittyid::connection::{ConnectionManager, ConnectionState};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let manager = ConnectionManager::builder(ServiceUrl::parse("http://127.0.0.1:8080")?).build()?;
//! let mut events = manager.events();
//! if let Err(error) = manager.connect().await {
//!     eprintln!("not connected yet: {error}");
//! }
//! manager.wait_for_state(ConnectionState::Connected, Duration::from_secs(2)).await?;
//! while let Some(Ok(event)) = events.recv().await {
//!     println!("{}", serde_json::to_string(&event)?);
//! }
//! # Ok(())
//! # }
//! ```

mod config;
mod core;
mod error;
mod events;
mod manager;
mod probe;
mod shared;
mod state;
mod stats;
mod stream;
mod task;
#[cfg(test)]
mod tests;

pub use config::ConnectionManagerBuilder;
pub use error::{ConfigError, ConnectError, FailureReason, HealthCheckError, WaitError};
pub use events::{ConnectionEvent, EventKind, EventStream, ListenerId, MissedEvents};
pub use manager::ConnectionManager;
pub use shared::{reset_shared, shared};
pub use state::ConnectionState;
pub use stats::ConnectionStats;
