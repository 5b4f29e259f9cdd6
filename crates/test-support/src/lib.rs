//! Test support for chittyid: start the local service on loopback, kill it, stop it and restart it.
//!
//! Every integration test of the workspace talks to a real service on `127.0.0.1`, never to the hosted one:
//!
//! - [`InProcessService`] runs the service inside the test process, with a temporary data folder.
//! - [`ServiceProcess`] runs the `chittyid serve` binary as a separate process, so that a test can SIGKILL it and
//!   restart it on the same port and data folder. Build the binary first (`cargo build -p chittyid-cli`); tests
//!   never invoke cargo, because `cargo test` holds the build lock.
//! - [`FaultProxy`] sits between client and service and injects network faults (latency, resets, blackhole…);
//!   [`TlsProxy`] puts TLS with a test-made certificate in front of the service.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

mod in_process;
mod process;
pub mod proxy;

pub use in_process::InProcessService;
pub use process::{BINARY_ENV, LOG_FILE, ServiceProcess, chittyid_binary};
pub use proxy::{FaultProxy, NetworkFault, TlsProxy};
