//! The request extractor of minting routes: the raw body (for the fingerprint), the route, the caller and the
//! connection.

use std::collections::HashMap;

use axum::extract::{FromRequest, Query, Request};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use bytes::Bytes;
use chittyid::wire::IDEMPOTENCY_KEY_HEADER;
use serde_json::Value;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::idempotency;
use crate::server::ConnectionControl;
use crate::state::AppState;

/// A request read in full, with the body kept as bytes so that its fingerprint covers exactly what was sent.
#[derive(Debug)]
pub(crate) struct Payload {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) caller: Caller,
    pub(crate) connection: Option<ConnectionControl>,
    idempotency_header: Option<HeaderValue>,
    pub(crate) body: Bytes,
}

impl FromRequest<AppState> for Payload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Payload, ApiError> {
        let method = request.method().clone();
        let uri = request.uri().clone();
        // The authentication layer always sets the caller; a router without it cannot mint.
        let caller = request.extensions().get::<Caller>().copied().unwrap_or(Caller::Anonymous);
        let connection = request.extensions().get::<ConnectionControl>().cloned();
        let idempotency_header = request.headers().get(IDEMPOTENCY_KEY_HEADER).cloned();
        let body = read_body(request, state).await?;
        Ok(Payload { method, uri, caller, connection, idempotency_header, body })
    }
}

/// Reads the whole body within the body read timeout and the body limit.
///
/// The deadline covers the whole body, not the gap between two chunks, so that a client that sends one byte at a
/// time cannot hold the request open for longer.
pub(crate) async fn read_body(request: Request, state: &AppState) -> Result<Bytes, ApiError> {
    let timeout = state.body_read_timeout();
    let read = tokio::time::timeout(timeout, Bytes::from_request(request, state)).await;
    match read {
        Err(_elapsed) => {
            tracing::debug!(timeout_ms = timeout.as_millis(), "a request body did not arrive in time");
            Err(ApiError::body_timeout(timeout))
        }
        Ok(Ok(body)) => Ok(body),
        Ok(Err(rejection)) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(ApiError::payload_too_large(state.body_limit()))
        }
        Ok(Err(rejection)) => Err(ApiError::new(rejection.status(), "INVALID_BODY", rejection.body_text())),
    }
}

impl Payload {
    /// Parses the body as JSON; 400 `INVALID_JSON` when it is empty or malformed.
    pub(crate) fn json(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid_json("the request body is empty; expected a JSON object"));
        }
        serde_json::from_slice(&self.body)
            .map_err(|error| ApiError::invalid_json(format!("the request body is not valid JSON: {error}")))
    }

    /// Returns the query string's parameters; a malformed query string counts as empty.
    pub(crate) fn query(&self) -> HashMap<String, String> {
        Query::<HashMap<String, String>>::try_from_uri(&self.uri).map(|query| query.0).unwrap_or_default()
    }

    /// Reads the `Idempotency-Key` header; 400 when it is malformed.
    pub(crate) fn idempotency_key(&self) -> Result<Option<String>, ApiError> {
        idempotency::parse_key(self.idempotency_header.as_ref())
    }

    /// Returns the SHA-256 fingerprint of the method, path, query string and body.
    pub(crate) fn fingerprint(&self) -> [u8; 32] {
        idempotency::fingerprint(self.method.as_str(), self.uri.path(), self.uri.query().unwrap_or(""), &self.body)
    }
}
