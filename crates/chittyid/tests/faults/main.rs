//! The fault matrix: every fault the client can meet, injected for real against the local service on loopback.
//!
//! Each test checks that nothing panics and that the connection state and events are right. It checks that the
//! manager recovers once the fault ends, and that no ID is lost or minted twice: the client's IDs are compared with
//! the service's durable `minted` count. The errors must name the cause. RELIABILITY.md at the repository root lists the matrix.

mod auth;
mod network;
mod partition;
mod process;
mod secrets;
mod service;
mod support;
mod tls;
