//! An HTTP endpoint for watching one [`ChittyIdService`](crate::service::ChittyIdService): Prometheus metrics, a live
//! dashboard, and the snapshots behind it as JSON and server-sent events.
//!
//! Metrics kept inside the process are of no use to an operator during an outage. [`Monitor`] serves them on an
//! address the application chooses, beside a self-contained web page. The page shows the connection state, a
//! timeline of state changes, health-check success rate and latency, call and error rates, and the circuit
//! breaker, updated live with no reload. It loads nothing from the internet and needs no build step.
//!
//! Routes, all `GET` (any other method gets `405 Method Not Allowed`):
//!
//! | path | reply |
//! |---|---|
//! | `/` | the dashboard page |
//! | `/metrics` | the service's metrics in the OpenMetrics text format, for Prometheus |
//! | `/api/snapshot` | one [`Snapshot`] as JSON |
//! | `/events` | server-sent events: a full snapshot at once, another about once a second, and one at once on each connection state change |
//!
//! The endpoint has no authentication. Bind it to loopback (`127.0.0.1`) unless every host that can reach the
//! address may read the service's state. No reply contains the token. On a loopback address, requests for any host
//! other than `localhost` or a loopback IP are rejected ([`loopback_host_only`]), so that a web page from another
//! site cannot read the endpoint through DNS rebinding.
//!
//! This module needs the `monitor` cargo feature, which is on by default.
//!
//! # Examples
//!
//! ```no_run
//! use chittyid::monitor::Monitor;
//! use chittyid::service::ServiceBuilder;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let service = ServiceBuilder::from_env().build()?;
//! let server = Monitor::new(service.clone()).bind("127.0.0.1:9464".parse()?).await?;
//! println!("dashboard at http://{}/", server.local_addr());
//! service.connect().await?;
//! // … use the service …
//! server.shutdown().await?;
//! # Ok(())
//! # }
//! ```

mod feed;
mod host;
mod page;
mod server;
mod snapshot;

pub use host::loopback_host_only;
pub use page::live_page;
pub use server::{Monitor, MonitorServer};
pub use snapshot::{Snapshot, StateChange, TIMELINE_CAPACITY};
