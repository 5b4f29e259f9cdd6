//! The local service's own dashboard: a web page of its mint rate, idempotent replays, request rate and errors by
//! status class, latency and active faults, served on a listener of its own.
//!
//! The client's dashboard (`chittyid::monitor`) shows the service as one application observes it. This one shows
//! what the service itself does, so that an operator can tell a slow client from a slow service. It is a separate listener,
//! so it never shares the service's address, authentication or fault injection.
//!
//! Routes, all `GET` (any other method gets `405 Method Not Allowed`): `/` (the page), `/api/snapshot` (one
//! [`DashboardSnapshot`] as JSON) and `/events` (server-sent events: a `snapshot` at once, then one a second).
//!
//! The dashboard has no authentication, even when the service requires a token. Bind it to loopback unless every
//! host that can reach the address may read the service's counters. No reply contains a token.

mod server;

pub use server::{DashboardServer, DashboardSnapshot, dashboard_router};
