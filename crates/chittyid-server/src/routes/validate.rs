//! Validation: `POST /api/validate`, `GET /v1/validate/{id}`, `GET /api/v1/validate/{id}` and
//! `POST /api/v2/chittyid/verify`.
//!
//! Posting a valid fallback ID (`03-0-ERR-…`) to `/api/validate` replaces it: the service mints a new ID of the
//! same entity type (region 1, USA, trust 0) and returns `{replaced:true, oldId, newId}`. That mints, so it needs
//! the same authorization as minting and honours `Idempotency-Key`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chittyid::format::{ChittyId, Components};
use chittyid::wire::ValidateReply;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::mint::exhausted_message;
use super::params::{DEFAULT_JURISDICTION, DEFAULT_REGION, DEFAULT_TRUST};
use super::payload::Payload;
use super::run_job;
use crate::state::AppState;
use crate::store::writer::{MintRefusal, MintResult, MintSpec, Render, Rendered};

/// How many characters of an invalid ID a reply repeats.
const ECHO_LIMIT: usize = 64;

/// `POST /api/validate` with `{"id":…}`.
pub(crate) async fn validate(State(state): State<AppState>, payload: Payload) -> Response {
    let body = match payload.json() {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let Some(text) = body.get("id").and_then(Value::as_str) else {
        let reply = ValidateReply {
            success: false,
            error: Some("Invalid request: expected {\"id\":\"…\"}".to_owned()),
            ..ValidateReply::default()
        };
        return axum::Json(reply).into_response();
    };
    let id = match ChittyId::parse(text) {
        Ok(id) => id,
        Err(error) => {
            let reply = ValidateReply {
                success: true,
                valid: Some(false),
                error: Some(error.to_string()),
                ..ValidateReply::default()
            };
            return axum::Json(reply).into_response();
        }
    };
    if !id.is_fallback() {
        let reply = ValidateReply {
            success: true,
            valid: Some(true),
            components: Some(Components::from(&id)),
            ..ValidateReply::default()
        };
        return axum::Json(reply).into_response();
    }

    if let Err(error) = payload.caller.require_mint() {
        return error.into_response();
    }
    let spec = MintSpec {
        region: DEFAULT_REGION,
        jurisdiction: DEFAULT_JURISDICTION.to_owned(),
        entity: id.entity_type(),
        trust: DEFAULT_TRUST,
    };
    run_job(&state, &payload, vec![spec], render_replacement(id.to_string())).await
}

fn render_replacement(old_id: String) -> Render {
    Box::new(move |results: &[MintResult], _now: OffsetDateTime| {
        let reply = match results.first() {
            Some(Ok(new_id)) => ValidateReply {
                success: true,
                valid: Some(true),
                replaced: Some(true),
                old_id: Some(old_id),
                new_id: Some(new_id.to_string()),
                ..ValidateReply::default()
            },
            Some(Err(MintRefusal::SequenceExhausted { key })) => {
                let body = json!({
                    "success": false,
                    "error": "SEQUENCE_EXHAUSTED",
                    "message": exhausted_message(key),
                    "oldId": old_id,
                });
                return rendered(serde_json::to_vec(&body));
            }
            Some(Err(MintRefusal::Invalid(message))) => {
                ValidateReply { success: false, error: Some(message.clone()), ..ValidateReply::default() }
            }
            None => {
                ValidateReply { success: false, error: Some("nothing minted".to_owned()), ..ValidateReply::default() }
            }
        };
        rendered(serde_json::to_vec(&reply))
    })
}

fn rendered(body: serde_json::Result<Vec<u8>>) -> Rendered {
    Rendered { status: 200, body: Bytes::from(body.unwrap_or_else(|_| b"{}".to_vec())) }
}

/// `GET /v1/validate/{id}` and `GET /api/v1/validate/{id}`: `{valid, chittyId, entity}`.
pub(crate) async fn validate_path(Path(text): Path<String>) -> Response {
    let echoed: String = text.chars().take(ECHO_LIMIT).collect();
    let body = match ChittyId::parse(&text) {
        Ok(id) => json!({
            "valid": true,
            "chittyId": id.to_string(),
            "entity": id.entity_type().word(),
            "fallback": id.is_fallback(),
        }),
        Err(error) => json!({ "valid": false, "chittyId": echoed, "error": error.to_string() }),
    };
    axum::Json(body).into_response()
}

/// `POST /api/v2/chittyid/verify` with `{"chittyId":…}`.
pub(crate) async fn verify(payload: Payload) -> Response {
    let body = match payload.json() {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let Some(text) = body.get("chittyId").and_then(Value::as_str) else {
        let body = json!({ "success": false, "error": "Invalid request: expected {\"chittyId\":\"…\"}" });
        return axum::Json(body).into_response();
    };
    let echoed: String = text.chars().take(ECHO_LIMIT).collect();
    let body = match ChittyId::parse(text) {
        Ok(id) => json!({
            "success": true,
            "valid": true,
            "chittyId": id.to_string(),
            "entity": id.entity_type().word(),
            "fallback": id.is_fallback(),
            "components": Components::from(&id),
        }),
        Err(error) => json!({ "success": true, "valid": false, "chittyId": echoed, "error": error.to_string() }),
    };
    axum::Json(body).into_response()
}
