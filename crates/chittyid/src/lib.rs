//! A self-healing, observable client for the ChittyID identity service, and the ChittyID format.
//!
//! - [`format`]: parse, validate and build ChittyIDs offline.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

pub mod format;
