//! A self-healing, observable client for the ChittyID identity service, and the ChittyID format.
//!
//! - [`format`]: parse, validate and build ChittyIDs offline.
//! - [`wire`]: the request and reply bodies of the protocol, shared with the local service.
//! - [`Token`]: the bearer token, redacted from every `Debug` output.
//! - [`ServiceUrl`]: the service's base URL, with plain `http://` kept to loopback.
//! - [`connection`]: the self-healing connection manager: health monitoring, reconnects, state and events.
//! - [`Backoff`]: the seedable, jittered reconnect backoff.
//! - [`client`]: the HTTP client: mint, batch mint, validate, reconcile and health, with typed errors.
//! - [`resilience`]: circuit breaker, retry budget and validation cache, on tokio's clock.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

pub mod backoff;
pub mod client;
pub mod connection;
mod endpoint;
pub mod format;
pub mod resilience;
pub mod service;
mod token;
pub mod wire;

pub use backoff::{Backoff, BackoffError};
pub use client::{Client, ClientBuilder, Mint, MintOutcome};
pub use endpoint::{DEFAULT_SERVICE_URL, SERVICE_URL_ENV, ServiceUrl, UrlError};
pub use token::Token;
