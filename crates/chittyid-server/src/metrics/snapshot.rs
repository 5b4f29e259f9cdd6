//! [`ServerSnapshot`]: the totals of [`ServerMetrics`](super::ServerMetrics) as one serializable value, for pages
//! that show them as JSON rather than scrape `/metrics`.

use std::collections::BTreeMap;

use serde::Serialize;

/// The totals of [`ServerMetrics`](super::ServerMetrics) since the server started, serialized in camelCase.
///
/// Made by [`ServerMetrics::snapshot`](super::ServerMetrics::snapshot). The fields are read one by one, so a
/// snapshot taken while requests run can be a few events apart between fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ServerSnapshot {
    /// IDs minted, of every entity type.
    pub ids_minted: u64,
    /// IDs minted per entity type, keyed by its word (`person`, `place`, `thing`, `event`, `authority`).
    pub ids_minted_by_entity_type: BTreeMap<String, u64>,
    /// Replies replayed from a stored idempotency record.
    pub idempotent_replays: u64,
    /// Requests rejected with 409 or 422 because of their `Idempotency-Key`.
    pub idempotency_conflicts: u64,
    /// IDs not minted because their sequence key had no numbers left.
    pub sequences_exhausted: u64,
    /// Finished requests by status class.
    pub requests: RequestsByStatusClass,
    /// Number of requests timed by the request-duration middleware.
    pub request_duration_count: u64,
    /// Sum of those requests' durations, in seconds.
    pub request_duration_sum_seconds: f64,
}

/// Request counts by the first digit of the status code, serialized as `1xx` to `5xx`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RequestsByStatusClass {
    /// Status 100–199.
    #[serde(rename = "1xx")]
    pub informational: u64,
    /// Status 200–299.
    #[serde(rename = "2xx")]
    pub success: u64,
    /// Status 300–399.
    #[serde(rename = "3xx")]
    pub redirection: u64,
    /// Status 400–499.
    #[serde(rename = "4xx")]
    pub client_error: u64,
    /// Status 500–599.
    #[serde(rename = "5xx")]
    pub server_error: u64,
}
