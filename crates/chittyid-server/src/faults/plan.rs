//! The fault plan: the JSON body of `POST /admin/faults`.

use serde::{Deserialize, Serialize};

/// One fault to inject, with an optional limit on how many requests it applies to.
///
/// The JSON form is flat: `{"mode":"status","status":503,"retryAfter":2,"count":3}`.
///
/// # Examples
///
/// ```
/// use chittyid_server::{Fault, FaultPlan};
///
/// let plan: FaultPlan = serde_json::from_str(r#"{"mode":"status","status":503,"retryAfter":2,"count":3}"#)?;
/// assert_eq!(plan.fault, Fault::Status { status: 503, retry_after: Some(2) });
/// assert_eq!(plan.count, Some(3));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// The fault.
    #[serde(flatten)]
    pub fault: Fault,
    /// How many matching requests the fault applies to; `None` means until `DELETE /admin/faults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// A fault mode. Mint faults apply to the mint and batch routes, health faults to `GET /health` and its aliases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Fault {
    /// Mint routes reply with this HTTP status (500, 502, 503, 429 …) and an error body, and `Retry-After` in
    /// seconds when given.
    #[serde(rename_all = "camelCase")]
    Status {
        /// The HTTP status, 400–599.
        status: u16,
        /// The `Retry-After` header in seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u32>,
    },
    /// Mint routes reply 200 with `success:false` and this error (default `Invalid entityType: injected fault`).
    Rejected {
        /// The `error` field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Mint routes reply 200 with a fallback ID of this error code (default 1, mint unavailable).
    Fallback {
        /// The fallback ID's error code, as in `03-0-ERR-<code>-…`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<u16>,
    },
    /// Mint routes reply 200 with a truncated JSON body.
    MalformedJson,
    /// Mint routes reply 200 with a 2 MiB JSON body.
    OversizedBody,
    /// Mint routes reply 200 with an HTML page.
    WrongContentType,
    /// Mint routes hold the request this long before it reaches the store, with its idempotency key claimed.
    #[serde(rename_all = "camelCase")]
    SlowMint {
        /// The delay in milliseconds.
        delay_ms: u64,
    },
    /// Mint routes commit the mint durably, then close the connection without a reply.
    DropAfterCommit,
    /// `GET /health` replies after this delay.
    #[serde(rename_all = "camelCase")]
    SlowHealth {
        /// The delay in milliseconds.
        delay_ms: u64,
    },
    /// `GET /health` sends no reply until the server stops.
    HangHealth,
    /// Every route except `/admin/faults` waits until `resume` or `DELETE /admin/faults`.
    Pause,
    /// Ends a `pause`.
    Resume,
}
