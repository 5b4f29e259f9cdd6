//! Request and reply bodies of the ChittyID protocol's default dialect, shared by the client and the local service.
//!
//! Reply fields are optional wherever the hosted service may leave them out, so that decoding never fails on a
//! reply that is merely sparse. A client checks `success` and the presence of `chittyId`, never the HTTP status
//! alone, because the service reports failures with status 200.

use serde::{Deserialize, Serialize};

use crate::format::Components;

/// The request header that makes a mint idempotent: the same key and body return the stored reply.
///
/// The hosted service documents no idempotency, and the local service honours this header. The name follows the
/// IETF draft "The Idempotency-Key HTTP Header Field".
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The body of `POST /mint`. Region, jurisdiction and trust travel in the query string ([`MintQuery`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MintRequest {
    /// The entity type as a word (`person`) or letter (`P`).
    pub entity_type: String,
    /// Free-form metadata stored with the mint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

/// The query string of a mint: `?region=1&jurisdiction=USA&trust=0`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintQuery {
    /// Region 1–9. The service's default is 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<u8>,
    /// ISO 3166-1 alpha-3 code. The service's default is `USA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    /// Trust level 0–5. The service's default is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<u8>,
}

/// The reply to a mint, successful or not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MintReply {
    /// Whether the mint succeeded. A reply with status 200 can still carry `false`.
    pub success: bool,
    /// The minted ID, present on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chitty_id: Option<String>,
    /// The ID's fields as strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Components>,
    /// `true` when the ID is a provisional fallback ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<bool>,
    /// When the service minted the ID (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The name of the service that sent the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The name of the mint that produced the ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minted_by: Option<String>,
    /// A short error code or message, present on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A longer explanation of the failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One entry of a batch mint: a mint request that may carry its own region, jurisdiction and trust.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchEntry {
    /// The mint request.
    #[serde(flatten)]
    pub request: MintRequest,
    /// Overrides the batch's query string for this entry.
    #[serde(flatten)]
    pub query: MintQuery,
}

/// The body of `POST /v1/mint/batch` and its aliases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRequest {
    /// The entries, minted in order.
    pub requests: Vec<BatchEntry>,
}

/// The outcome of one entry of a batch mint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResult {
    /// Whether this entry was minted.
    pub success: bool,
    /// The minted ID, present on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chitty_id: Option<String>,
    /// The reason this entry failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The reply to a batch mint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReply {
    /// Whether the batch as a whole was processed.
    pub success: bool,
    /// The IDs of the entries that succeeded, in order.
    #[serde(default)]
    pub chitty_ids: Vec<String>,
    /// One result per entry, in order.
    #[serde(default)]
    pub results: Vec<BatchResult>,
    /// The reason the batch failed as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The body of `POST /api/validate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateRequest {
    /// The ID to validate.
    pub id: String,
}

/// The reply to a validation. Posting a fallback ID may replace it with a newly minted one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateReply {
    /// Whether the request was processed.
    pub success: bool,
    /// Whether the ID is valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid: Option<bool>,
    /// The ID's fields, when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Components>,
    /// The reason the ID is invalid, or the request failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `true` when a fallback ID was replaced by a newly minted ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<bool>,
    /// The fallback ID that was replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_id: Option<String>,
    /// The ID that replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_id: Option<String>,
}

/// The reply to `GET /health`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReply {
    /// `ok` when the service is healthy.
    pub status: String,
    /// The service's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The service's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The time of the reply (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Seconds since the service started (the local service reports it; the hosted one may not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime: Option<f64>,
}

impl HealthReply {
    /// Tells whether the reply reports a healthy service (`status` is `ok` or `healthy`, in any case).
    pub fn is_healthy(&self) -> bool {
        self.status.eq_ignore_ascii_case("ok") || self.status.eq_ignore_ascii_case("healthy")
    }
}

/// The body of every error reply that is not a mint or validation reply (404, 401, 413, 503 …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// Always `false`.
    pub success: bool,
    /// A short error code (`NOT_FOUND`) or message.
    pub error: String,
    /// A longer explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
