//! A self-healing, observable client for the ChittyID identity service, and the ChittyID format.
//!
//! - [`format`]: parse, validate and build ChittyIDs offline.
//! - [`wire`]: the request and reply bodies of the protocol, shared with the local service.
//! - [`Token`]: the bearer token, redacted from every `Debug` output.
//! - [`ServiceUrl`]: the service's base URL, with plain `http://` kept to loopback.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

mod endpoint;
pub mod format;
mod token;
pub mod wire;

pub use endpoint::{DEFAULT_SERVICE_URL, SERVICE_URL_ENV, ServiceUrl, UrlError};
pub use token::Token;
