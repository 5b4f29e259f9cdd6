//! `POST /mint` and its aliases: mint one ID.
//!
//! Aliases: `POST /v1/mint`, `POST /api/v1/mint`, `POST /api/v2/chittyid/mint` (whose reply also carries
//! `chitty_id`), and `GET /api/get-chittyid?type=…` and `GET /generate?type=…`, which take the entity type from the
//! query string. Rejected parameters get status 200 with `success:false`, as from the hosted service.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chittyid::format::Components;
use chittyid::wire::MintReply;
use time::OffsetDateTime;

use super::params::{self, RawParams};
use super::payload::Payload;
use super::{SERVICE_NAME, run_job, timestamp};
use crate::faults;
use crate::idempotency::json_response;
use crate::state::AppState;
use crate::store::writer::{MintRefusal, MintResult, Render, Rendered};

/// The reply shape of a mint route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `MintReply` as the default dialect has it.
    Default,
    /// `MintReply` plus `chitty_id`, as `/api/v2/chittyid/mint` replies.
    V2,
}

/// `POST /mint`, `/v1/mint`, `/api/v1/mint`.
pub(crate) async fn mint(State(state): State<AppState>, payload: Payload) -> Response {
    mint_with(&state, payload, Dialect::Default, true).await
}

/// `POST /api/v2/chittyid/mint`.
pub(crate) async fn mint_v2(State(state): State<AppState>, payload: Payload) -> Response {
    mint_with(&state, payload, Dialect::V2, true).await
}

/// `GET /api/get-chittyid?type=…` and `GET /generate?type=…`.
pub(crate) async fn mint_by_query(State(state): State<AppState>, payload: Payload) -> Response {
    mint_with(&state, payload, Dialect::Default, false).await
}

async fn mint_with(state: &AppState, payload: Payload, dialect: Dialect, entity_in_body: bool) -> Response {
    if let Err(error) = payload.caller.require_mint() {
        return error.into_response();
    }
    let query = payload.query();
    let mut raw = RawParams {
        entity: None,
        region: query.get("region").cloned(),
        jurisdiction: query.get("jurisdiction").cloned(),
        trust: query.get("trust").cloned(),
    };
    if entity_in_body {
        let body = match payload.json() {
            Ok(body) => body,
            Err(error) => return error.into_response(),
        };
        let Some(object) = body.as_object() else {
            return rejection("Invalid request: expected a JSON object".to_owned());
        };
        raw.entity = params::entity_of(object);
    } else {
        raw.entity = query.get("type").or_else(|| query.get("entityType")).cloned();
    }
    let spec = match raw.into_spec() {
        Ok(spec) => spec,
        Err(message) => return rejection(message),
    };

    if let Some(fault) = state.faults().take_reply_fault() {
        return faults::mint_reply(&fault, spec.entity, dialect);
    }
    run_job(state, &payload, vec![spec], render(dialect)).await
}

/// Builds a rejected mint reply: status 200, `success:false` and the reason in `error`.
fn rejection(message: String) -> Response {
    let reply = MintReply {
        success: false,
        error: Some(message),
        service: Some(SERVICE_NAME.to_owned()),
        ..MintReply::default()
    };
    json_response(rendered(&reply, Dialect::Default)).into_response()
}

fn render(dialect: Dialect) -> Render {
    Box::new(move |results: &[MintResult], now: OffsetDateTime| match results.first() {
        Some(result) => rendered(&mint_reply(result, now), dialect),
        None => rendered(
            &MintReply { success: false, error: Some("nothing to mint".to_owned()), ..MintReply::default() },
            dialect,
        ),
    })
}

/// Builds the reply for the outcome of one mint.
pub(crate) fn mint_reply(result: &MintResult, now: OffsetDateTime) -> MintReply {
    let service = Some(SERVICE_NAME.to_owned());
    match result {
        Ok(id) => MintReply {
            success: true,
            chitty_id: Some(id.to_string()),
            components: Some(Components::from(id)),
            timestamp: Some(timestamp(now)),
            service: service.clone(),
            minted_by: service,
            ..MintReply::default()
        },
        Err(MintRefusal::SequenceExhausted { key }) => MintReply {
            success: false,
            error: Some("SEQUENCE_EXHAUSTED".to_owned()),
            message: Some(exhausted_message(key)),
            service,
            ..MintReply::default()
        },
        Err(MintRefusal::Invalid(message)) => {
            MintReply { success: false, error: Some(message.clone()), service, ..MintReply::default() }
        }
    }
}

/// Explains an exhausted sequence and what to do instead.
pub(crate) fn exhausted_message(key: &crate::store::SequenceKey) -> String {
    format!(
        "all sequence numbers 0001-9999 of {key} are spent; mint with another region, jurisdiction or entity type, \
         or wait for the next month"
    )
}

/// Serialises a reply; the V2 dialect adds `chitty_id` beside `chittyId`.
pub(crate) fn rendered(reply: &MintReply, dialect: Dialect) -> Rendered {
    let body = match (dialect, serde_json::to_value(reply)) {
        (Dialect::V2, Ok(mut value)) => {
            if let (Some(object), Some(id)) = (value.as_object_mut(), &reply.chitty_id) {
                object.insert("chitty_id".to_owned(), serde_json::Value::String(id.clone()));
            }
            serde_json::to_vec(&value)
        }
        _ => serde_json::to_vec(reply),
    };
    // serde_json fails only on maps with non-string keys, which these structs lack. The empty object is a guard.
    Rendered { status: 200, body: Bytes::from(body.unwrap_or_else(|_| b"{}".to_vec())) }
}
