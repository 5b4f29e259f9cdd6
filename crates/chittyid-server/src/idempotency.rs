//! `Idempotency-Key` handling: key checks, request fingerprints, in-flight claims and replies from stored records.
//!
//! # Why
//!
//! A client whose mint reply was lost cannot tell whether the ID was minted; without idempotency, retrying creates a
//! second ID. With the header, the first request stores its reply in the same transaction as its sequence bump, and
//! a retry with the same key and the same request gets that reply byte for byte. The same key with a different
//! request is a client bug (422). The same key while the first request still runs gets 409, so two copies never
//! race. Records are kept at least 24 hours.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::{AppState, KeyClaim};
use crate::store::writer::{MintOutcome, Rendered, WriteError};

/// The longest accepted idempotency key, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// The response header that marks a reply replayed from an idempotency record.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Reads the `Idempotency-Key` header: `None` when absent, 400 when empty, too long or not visible ASCII.
pub(crate) fn parse_key(value: Option<&HeaderValue>) -> Result<Option<String>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    let invalid = |reason: &str| {
        ApiError::new(StatusCode::BAD_REQUEST, "INVALID_IDEMPOTENCY_KEY", format!("Idempotency-Key {reason}"))
    };
    let key = value.to_str().map_err(|_| invalid("must be visible ASCII"))?;
    if key.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(invalid("must be at most 255 characters"));
    }
    Ok(Some(key.to_owned()))
}

/// Computes SHA-256 over the method, path, query string and body, each prefixed by its length so that no two
/// different requests share an input.
pub(crate) fn fingerprint(method: &str, path: &str, query: &str, body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), query.as_bytes(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// An idempotency key marked as in flight; dropping it releases the key, also when the request is cancelled.
#[derive(Debug)]
pub(crate) struct InFlight {
    state: AppState,
    key: String,
}

impl InFlight {
    /// Marks `key` as in flight. Returns 409 when another running request has claimed it, and 503 with
    /// `Retry-After` when the limit of keys in flight is reached.
    pub(crate) fn claim(state: &AppState, key: &str) -> Result<InFlight, ApiError> {
        match state.claim_key(key) {
            KeyClaim::Claimed => Ok(InFlight { state: state.clone(), key: key.to_owned() }),
            KeyClaim::InUse => Err(ApiError::new(
                StatusCode::CONFLICT,
                "IDEMPOTENCY_KEY_IN_USE",
                "a request with this Idempotency-Key is still running; retry after it finishes",
            )),
            KeyClaim::Full => {
                // Debug, not warn: a flood of keys would otherwise flood the log too.
                tracing::debug!("too many idempotency keys in flight; rejecting a request with 503");
                Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "TOO_MANY_REQUESTS_IN_FLIGHT",
                    "too many requests with an Idempotency-Key are running; retry shortly",
                )
                .with_retry_after(1))
            }
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.state.release_key(&self.key);
    }
}

/// Turns the writer's outcome into the HTTP response.
pub(crate) fn respond(state: &AppState, outcome: Result<MintOutcome, WriteError>) -> Response {
    match outcome {
        Ok(MintOutcome::Minted(rendered)) => json_response(rendered),
        Ok(MintOutcome::Replayed(rendered)) => {
            state.count_replay();
            let mut response = json_response(rendered);
            response.headers_mut().insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
            response
        }
        Ok(MintOutcome::KeyReused) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with a different request; use a new key for a new request",
        )
        .into_response(),
        Err(WriteError::Closed) => ApiError::shutting_down().into_response(),
        Err(WriteError::Failed) => ApiError::internal().into_response(),
    }
}

/// Sends a stored or fresh JSON body as it is, so that a replay is byte-identical.
pub(crate) fn json_response(rendered: Rendered) -> Response {
    let status = StatusCode::from_u16(rendered.status).unwrap_or(StatusCode::OK);
    let mut response = (status, rendered.body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_value(key: &str) -> HeaderValue {
        HeaderValue::from_str(key).unwrap()
    }

    #[test]
    fn absent_key_is_none() {
        assert_eq!(parse_key(None).unwrap(), None);
    }

    #[test]
    fn key_of_255_chars_is_accepted() {
        let key = "k".repeat(MAX_KEY_LEN);
        assert_eq!(parse_key(Some(&header_value(&key))).unwrap(), Some(key));
    }

    #[test]
    fn key_of_256_chars_is_rejected() {
        assert!(parse_key(Some(&header_value(&"k".repeat(MAX_KEY_LEN + 1)))).is_err());
    }

    #[test]
    fn empty_key_is_rejected() {
        assert!(parse_key(Some(&header_value(""))).is_err());
    }

    #[test]
    fn fingerprint_separates_fields() {
        assert_ne!(fingerprint("POST", "/mint", "a", "b".as_bytes()), fingerprint("POST", "/mint", "ab", b""));
    }

    fn state_with_limit(dir: &std::path::Path, limit: usize) -> AppState {
        AppState::open(&crate::ServerConfig::new(dir).max_keys_in_flight(limit)).unwrap()
    }

    #[tokio::test]
    async fn released_keys_leave_memory() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_with_limit(dir.path(), 100);

        for index in 0..50_000 {
            let claim = InFlight::claim(&state, &format!("key-{index}"));
            assert!(claim.is_ok(), "key {index} was not claimed");
        }

        assert_eq!(state.idempotency_keys_in_flight(), 0);
        state.close().await;
    }

    #[tokio::test]
    async fn keys_in_flight_stop_at_limit() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_with_limit(dir.path(), 100);

        let held: Vec<_> =
            (0..50_000).filter_map(|index| InFlight::claim(&state, &format!("key-{index}")).ok()).collect();

        assert_eq!(held.len(), 100);
        assert_eq!(state.idempotency_keys_in_flight(), 100);
        drop(held);
        assert_eq!(state.idempotency_keys_in_flight(), 0);
        state.close().await;
    }

    #[tokio::test]
    async fn key_in_flight_gets_409_not_503() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_with_limit(dir.path(), 1);
        let _held = InFlight::claim(&state, "same").unwrap();

        let again = InFlight::claim(&state, "same").unwrap_err().into_response();
        let other = InFlight::claim(&state, "other").unwrap_err().into_response();

        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert_eq!(other.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn fingerprint_is_stable() {
        assert_eq!(fingerprint("POST", "/mint", "", b"{}"), fingerprint("POST", "/mint", "", b"{}"));
    }
}
