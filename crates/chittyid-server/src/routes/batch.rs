//! `POST /v1/mint/batch` and its aliases: mint up to 1,000 IDs in one request and one transaction.
//!
//! Aliases: `POST /api/v1/mint/batch`, `POST /api/v2/chittyid/mint/batch`. Each entry may carry its own `region`,
//! `jurisdiction` and `trust`; otherwise the batch's query string applies. An invalid entry fails alone, and the
//! reply lists the minted IDs in `chittyIds` and one result per entry in `results`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chittyid::wire::{BatchReply, BatchResult};
use serde_json::Value;
use time::OffsetDateTime;

use super::params::{self, RawParams};
use super::payload::Payload;
use super::run_job;
use crate::faults;
use crate::idempotency::json_response;
use crate::state::AppState;
use crate::store::writer::{MintRefusal, MintResult, MintSpec, Render, Rendered};

/// The maximum number of entries in one batch.
pub const MAX_BATCH_ENTRIES: usize = 1_000;

/// `POST /v1/mint/batch`, `/api/v1/mint/batch`, `/api/v2/chittyid/mint/batch`.
pub(crate) async fn batch(State(state): State<AppState>, payload: Payload) -> Response {
    if let Err(error) = payload.caller.require_mint() {
        return error.into_response();
    }
    let query = payload.query();
    let defaults = RawParams {
        entity: None,
        region: query.get("region").cloned(),
        jurisdiction: query.get("jurisdiction").cloned(),
        trust: query.get("trust").cloned(),
    };
    let body = match payload.json() {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let Some(entries) = body.get("requests").and_then(Value::as_array) else {
        return rejection("Invalid request: expected {\"requests\":[…]}", None);
    };
    if entries.is_empty() {
        return rejection("Invalid requests: the batch is empty", None);
    }
    if entries.len() > MAX_BATCH_ENTRIES {
        let message = format!(
            "a batch may have at most {MAX_BATCH_ENTRIES} entries, but this one has {}; split it into smaller batches",
            entries.len()
        );
        return rejection("BATCH_TOO_LARGE", Some(message));
    }

    let checked: Vec<Result<MintSpec, String>> = entries.iter().map(|entry| entry_spec(entry, &defaults)).collect();
    if let Some(fault) = state.faults().take_reply_fault() {
        return faults::batch_reply(&fault, &checked);
    }
    let specs: Vec<MintSpec> = checked.iter().filter_map(|entry| entry.as_ref().ok().cloned()).collect();
    let errors: Vec<Option<String>> = checked.into_iter().map(Result::err).collect();
    run_job(&state, &payload, specs, render(errors)).await
}

fn entry_spec(entry: &Value, defaults: &RawParams) -> Result<MintSpec, String> {
    let Some(object) = entry.as_object() else {
        return Err("Invalid entry: expected a JSON object".to_owned());
    };
    let field = |name: &str| object.get(name).and_then(params::text_of);
    let raw = RawParams {
        entity: params::entity_of(object),
        region: field("region"),
        jurisdiction: field("jurisdiction"),
        trust: field("trust"),
    };
    raw.or(defaults).into_spec()
}

/// Builds a rejected batch reply: status 200, `success:false`.
fn rejection(error: &str, message: Option<String>) -> Response {
    let mut body = serde_json::json!({ "success": false, "error": error, "chittyIds": [], "results": [] });
    if let Some(message) = message {
        body["message"] = Value::String(message);
    }
    axum::Json(body).into_response()
}

/// Renders the batch reply: `errors` has one slot per entry, `None` where the entry went to the writer, whose
/// results come in the same order.
fn render(errors: Vec<Option<String>>) -> Render {
    Box::new(move |results: &[MintResult], _now: OffsetDateTime| {
        let mut minted = results.iter();
        let mut reply = BatchReply { success: true, ..BatchReply::default() };
        for error in errors {
            let result = match error {
                Some(error) => BatchResult { success: false, error: Some(error), ..BatchResult::default() },
                None => match minted.next() {
                    Some(Ok(id)) => {
                        reply.chitty_ids.push(id.to_string());
                        BatchResult { success: true, chitty_id: Some(id.to_string()), ..BatchResult::default() }
                    }
                    Some(Err(MintRefusal::SequenceExhausted { .. })) => BatchResult {
                        success: false,
                        error: Some("SEQUENCE_EXHAUSTED".to_owned()),
                        ..BatchResult::default()
                    },
                    Some(Err(MintRefusal::Invalid(message))) => {
                        BatchResult { success: false, error: Some(message.clone()), ..BatchResult::default() }
                    }
                    None => {
                        BatchResult { success: false, error: Some("not minted".to_owned()), ..BatchResult::default() }
                    }
                },
            };
            reply.results.push(result);
        }
        let body = serde_json::to_vec(&reply).unwrap_or_else(|_| b"{}".to_vec());
        Rendered { status: 200, body: Bytes::from(body) }
    })
}

/// Sends a rendered batch reply (used by fault injection).
pub(crate) fn send(reply: &BatchReply) -> Response {
    let body = serde_json::to_vec(reply).unwrap_or_else(|_| b"{}".to_vec());
    json_response(Rendered { status: 200, body: Bytes::from(body) })
}
