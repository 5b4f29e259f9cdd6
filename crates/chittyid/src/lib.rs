//! A self-healing, observable client for the ChittyID identity service, and the ChittyID format.
//!
//! - [`format`]: parse, validate and build ChittyIDs offline.
//! - [`wire`]: the request and reply bodies of the protocol, shared with the local service.
//! - [`Token`]: the bearer token, redacted from every `Debug` output.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

pub mod format;
mod token;
pub mod wire;

pub use token::Token;
