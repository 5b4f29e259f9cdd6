//! Prometheus metrics of the service: the `GET /metrics` route, the request-duration middleware and
//! [`ServerSnapshot`] for pages that show the same numbers as JSON.
//!
//! # Why
//!
//! `/api/stats` shows two totals, but an operator watching a load test needs rates and latencies. These metrics show
//! how fast IDs are minted, how often clients replay or misuse idempotency keys, how close a sequence is to its
//! 9,999 limit and how long requests take per route. Prometheus scrapes them from `/metrics`.
//!
//! Each [`AppState`](crate::AppState) owns one [`ServerMetrics`] with its own prometheus-client `Registry`, and
//! nothing is global, so two servers in one process (parallel tests) never share a series.
//!
//! # Metrics
//!
//! Every name has the prefix `chittyid_server_`. Counters count since the server started.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `ids_minted_total` | counter | `entity_type` (`person`, `place`, `thing`, `event`, `authority`) |
//! | `idempotent_replays_total` | counter | |
//! | `idempotency_conflicts_total` | counter | `reason`: `in_use` (409) or `reused` (422) |
//! | `sequence_exhausted_total` | counter | |
//! | `sequence_last` | gauge | `key`, the sequence key as in `1-USA-P-2612` |
//! | `active_faults` | gauge | |
//! | `request_duration_seconds` | histogram | `method`, `route`, `status` |
//!
//! `sequence_last` is the last sequence number (1–9,999) this process issued for a key. It has a series only for
//! keys minted since the server started, at most [`MAX_SEQUENCE_SERIES`] of them.
//!
//! `route` is the route template, such as `/v1/validate/{id}`, so IDs in paths do not create series. A request that
//! no route matches gets `route="unmatched"`, and a method other than the standard ones gets `method="other"`. The
//! duration runs until the response head is ready, so a server-sent event stream counts only its start.
//!
//! # Authentication
//!
//! `/metrics` passes the same authentication as every other route. With tokens configured, a request without a
//! bearer token gets 401 `UNAUTHORIZED` and one with an unknown token gets 403 `FORBIDDEN`. Without tokens it is
//! open. Like every route outside `/admin/`, it is held while a `pause` fault is active.

mod http;
mod series;
mod snapshot;
mod tally;
#[cfg(test)]
mod tests;

pub(crate) use self::http::{record_request, serve};
pub(crate) use self::series::Conflict;
pub use self::series::ServerMetrics;
pub use self::snapshot::{RequestsByStatusClass, ServerSnapshot};
pub(crate) use self::tally::tally_render;

/// The content type of `GET /metrics`: OpenMetrics 1.0 text, as prometheus-client's text encoder writes it.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The maximum number of sequence keys with a `sequence_last` series.
///
/// Every key is a (region, jurisdiction, entity type, month) that was minted, so clients choose how many there are.
/// Keys beyond this limit get no series, and the first key left out is logged as a warning.
pub const MAX_SEQUENCE_SERIES: usize = 1_000;

/// The route label of a request that no route matched.
const UNMATCHED_ROUTE: &str = "unmatched";
