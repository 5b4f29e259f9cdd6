//! A self-healing, observable client for the ChittyID identity service, and the ChittyID format.
//!
//! Start with [`service`]: [`ServiceBuilder`](service::ServiceBuilder) builds a
//! [`ChittyIdService`](service::ChittyIdService) that mints, validates and reports health through a connection
//! manager, a circuit breaker and safe retries. The facade functions [`service::generate_chitty_id`],
//! [`service::service_health`] and [`service::connection_status`] use a shared instance built from the environment.
//!
//! - [`service`]: the resilient service and the facade.
//! - [`format`](mod@format): parse, validate and build ChittyIDs offline.
//! - [`client`]: the HTTP client: mint, batch mint, validate, reconcile and health, with typed errors.
//! - [`connection`]: the self-healing connection manager: health monitoring, reconnects, state and events.
//! - [`resilience`]: circuit breaker, retry loop and budget, and validation cache, on tokio's clock.
//! - `monitor` (cargo feature `monitor`, on by default): an HTTP endpoint with Prometheus metrics and a live
//!   dashboard for one service.
//! - [`Backoff`]: the seedable, jittered reconnect backoff.
//! - [`wire`]: the request and reply bodies of the protocol, shared with the local service.
//! - [`Token`]: the bearer token, redacted from every `Debug` output.
//! - [`ServiceUrl`]: the service's base URL, with plain `http://` kept to loopback.
//! - `telemetry` (with the `otel` feature): export of the library's spans over OTLP/HTTP, and W3C trace context on
//!   every request.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

pub mod backoff;
pub mod client;
pub mod connection;
mod endpoint;
mod error_chain;
pub mod format;
pub mod metrics;
#[cfg(feature = "monitor")]
pub mod monitor;
pub mod resilience;
pub mod service;
#[cfg(feature = "otel")]
pub mod telemetry;
mod token;
pub mod wire;

pub use backoff::{Backoff, BackoffError};
pub use client::{Client, ClientBuilder, Mint, MintOutcome};
pub use endpoint::{DEFAULT_SERVICE_URL, SERVICE_URL_ENV, ServiceUrl, UrlError};
pub use error_chain::error_chain;
pub use token::Token;
