//! The HTTP handlers, one file per route family, and the steps they share.
//!
//! - [`mint`]: `POST /mint` and its aliases.
//! - [`batch`]: `POST /v1/mint/batch` and its aliases.
//! - [`validate`]: validation, and the replacement of fallback IDs.
//! - [`health`], [`stream`]: the health check and its server-sent event stream.
//! - [`spec`], [`stats`]: the format description and the counters.

pub(crate) mod batch;
pub(crate) mod health;
pub(crate) mod mint;
pub(crate) mod params;
pub(crate) mod payload;
pub(crate) mod spec;
pub(crate) mod stats;
pub(crate) mod stream;
pub(crate) mod validate;

use std::time::Duration;

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::idempotency::{self, InFlight};
use crate::metrics::tally_render;
use crate::state::AppState;
use crate::store::writer::{IdempotencyClaim, MintJob, MintOutcome, MintSpec, Render};

use self::payload::Payload;

/// The service name in replies.
pub(crate) const SERVICE_NAME: &str = "chittyid-local";

/// How long a handler waits for its connection to close after a `dropAfterCommit` fault asked for it.
const DROP_WAIT: Duration = Duration::from_secs(30);

/// Mints `specs` in one durable transaction, honouring the request's `Idempotency-Key`, and sends the rendered reply.
///
/// The caller has checked authorization and the parameters.
pub(crate) async fn run_job(state: &AppState, payload: &Payload, specs: Vec<MintSpec>, render: Render) -> Response {
    let key = match payload.idempotency_key() {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let claim = key.map(|key| IdempotencyClaim { fingerprint: payload.fingerprint(), key });
    let _in_flight = match claim.as_ref().map(|claim| InFlight::claim(state, &claim.key)).transpose() {
        Ok(in_flight) => in_flight,
        Err(error) => return error.into_response(),
    };

    if let Some(delay) = state.faults().take_mint_delay() {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = state.closing().cancelled() => return ApiError::shutting_down().into_response(),
        }
    }

    let (render, tally) = tally_render(render);
    let outcome = state.store().mint(MintJob { specs, idempotency: claim, render }).await;
    tally.apply(&outcome, state.metrics());

    if matches!(outcome, Ok(MintOutcome::Minted(_))) && state.faults().take_drop_after_commit() {
        drop_connection(state, payload).await;
    }
    idempotency::respond(state, outcome)
}

/// Closes the request's connection without a reply, as a `dropAfterCommit` fault requests.
///
/// Without a connection (a router driven in a test without a socket) there is nothing to close, and the handler
/// replies as usual.
async fn drop_connection(state: &AppState, payload: &Payload) {
    let Some(connection) = &payload.connection else { return };
    tracing::debug!(path = payload.uri.path(), "dropping the connection after commit, as a fault asked");
    connection.close();
    // The connection task drops this handler once the connection is closed; the wait only bounds a handler that
    // runs elsewhere (an HTTP/2 stream task).
    tokio::select! {
        () = tokio::time::sleep(DROP_WAIT) => {}
        () = state.closing().cancelled() => {}
    }
}

/// Rejects a path that no route serves: 404 with the hosted service's envelope.
pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(uri.path())
}

/// Rejects a served path called with another method: 405 as JSON.
pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    let path: String = uri.path().chars().take(200).collect();
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", format!("{method} is not allowed on {path}"))
}

/// Formats a time as RFC 3339, as replies carry it.
pub(crate) fn timestamp(now: time::OffsetDateTime) -> String {
    now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
