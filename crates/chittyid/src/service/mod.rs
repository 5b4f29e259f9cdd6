//! The resilient service: the client, the connection manager and the resilience layers composed, and the
//! process-wide facade (`generate_chitty_id`, `service_health`, `connection_status`).
//!
//! The hosted service reports failures with HTTP 200, issues provisional fallback IDs, and has no idempotency of
//! its own. A client that retries every failed call, as the JavaScript ancestor did, mints a second ID whenever a
//! reply is lost. Here a mint is retried only with the same idempotency key on every attempt, only for failures a
//! retry can cure, within a retry budget and one deadline. A circuit breaker fails calls fast while the service is
//! down and lets a bounded number of trials through when it may be back. A fallback ID is never returned as final.
//!
//! # Tracing
//!
//! Each call runs in an info-level `chittyid.call` span with the fields `operation`, `idempotency_key` (mints
//! only), `attempts` and `outcome` (a [`CallOutcome`](crate::metrics::CallOutcome) label). Each HTTP request of a
//! call runs in a debug-level `chittyid.attempt` child span with `attempt` (from 1) and `outcome`. The connection
//! manager's checks run in info-level `chittyid.health_check` spans (`trigger`, `outcome`), inside a
//! `chittyid.reconnect` span (`attempt`, `outcome`) when the check is a reconnect attempt. No span records the
//! token. Every call is also counted in [`ChittyIdService::metrics`].
//!
//! # Examples
//!
//! ```no_run
//! use chittyid::format::EntityType;
//! use chittyid::service::{CallOptions, ServiceBuilder};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let service = ServiceBuilder::from_env().build()?;
//! let id = service.generate(EntityType::Place, None).await?;
//! let quick = service.mint_with(&chittyid::Mint::new(EntityType::Person), CallOptions::default().fail_fast()).await;
//! println!("{id} {quick:?}");
//! println!("{}", serde_json::to_string_pretty(&service.health_report().await)?);
//! # Ok(())
//! # }
//! ```

mod builder;
mod calls;
mod error;
mod facade;
mod options;
mod pipeline;
mod report;

pub use builder::{BuildError, ServiceBuilder};
pub use calls::ChittyIdService;
pub use error::CallError;
pub use facade::{
    FacadeError, connection_status, generate_chitty_id, reset_shared_service, service_health, shared_service,
};
pub use options::{CallOptions, ConnectionPolicy};
pub use report::{ConnectionReport, EntityTypeInfo, ResilienceReport, RetryReport, ServiceHealth, ServiceInfo};
