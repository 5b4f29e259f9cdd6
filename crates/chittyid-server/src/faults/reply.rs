//! The replies that mint faults put in place of the real ones.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chittyid::format::{ChittyId, Components, EntityType, FallbackReason};
use chittyid::wire::{BatchReply, BatchResult, MintReply};
use time::OffsetDateTime;

use super::Fault;
use crate::error::ApiError;
use crate::idempotency::json_response;
use crate::routes::mint::{Dialect, rendered};
use crate::routes::{SERVICE_NAME, batch, timestamp};
use crate::store::writer::MintSpec;

/// The size of an `oversizedBody` reply: 2 MiB.
const OVERSIZED_BYTES: usize = 2 * 1024 * 1024;

/// Builds the reply of a mint route under `fault`.
pub(crate) fn mint_reply(fault: &Fault, entity: EntityType, dialect: Dialect) -> Response {
    match fault {
        Fault::Rejected { error } => {
            let reply = MintReply { success: false, error: Some(rejection(error)), ..MintReply::default() };
            json_response(rendered(&reply, dialect))
        }
        Fault::Fallback { code } => {
            let now = OffsetDateTime::now_utc();
            let reply = match fallback_id(*code, entity, now) {
                Some(id) => MintReply {
                    success: true,
                    chitty_id: Some(id.to_string()),
                    components: Some(Components::from(&id)),
                    fallback: Some(true),
                    timestamp: Some(timestamp(now)),
                    service: Some(SERVICE_NAME.to_owned()),
                    minted_by: Some("fallback".to_owned()),
                    ..MintReply::default()
                },
                None => MintReply {
                    success: false,
                    error: Some("invalid fallback code".to_owned()),
                    ..MintReply::default()
                },
            };
            json_response(rendered(&reply, dialect))
        }
        other => transport_reply(other),
    }
}

/// Builds the reply of a batch route under `fault`.
pub(crate) fn batch_reply(fault: &Fault, entries: &[Result<MintSpec, String>]) -> Response {
    match fault {
        Fault::Rejected { error } => {
            batch::send(&BatchReply { success: false, error: Some(rejection(error)), ..BatchReply::default() })
        }
        Fault::Fallback { code } => {
            let now = OffsetDateTime::now_utc();
            let mut reply = BatchReply { success: true, ..BatchReply::default() };
            for entry in entries {
                let result = match entry.as_ref().ok().and_then(|spec| fallback_id(*code, spec.entity, now)) {
                    Some(id) => {
                        reply.chitty_ids.push(id.to_string());
                        BatchResult { success: true, chitty_id: Some(id.to_string()), error: None }
                    }
                    None => BatchResult { success: false, chitty_id: None, error: Some("not minted".to_owned()) },
                };
                reply.results.push(result);
            }
            batch::send(&reply)
        }
        other => transport_reply(other),
    }
}

/// Builds the replies that do not depend on the route: a status, malformed JSON, a huge body, HTML.
fn transport_reply(fault: &Fault) -> Response {
    match fault {
        Fault::Status { status, retry_after } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let error = ApiError::new(status, "INJECTED_FAULT", format!("injected status {}", status.as_u16()));
            match retry_after {
                Some(seconds) => error.with_retry_after(*seconds).into_response(),
                None => error.into_response(),
            }
        }
        Fault::MalformedJson => with_type("application/json", "{\"success\":true,\"chittyId\":\"03-1-US".to_owned()),
        Fault::OversizedBody => {
            let padding = "x".repeat(OVERSIZED_BYTES);
            with_type(
                "application/json",
                format!("{{\"success\":false,\"error\":\"oversized\",\"padding\":\"{padding}\"}}"),
            )
        }
        Fault::WrongContentType => with_type(
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>".to_owned(),
        ),
        _ => ApiError::internal().into_response(),
    }
}

fn with_type(content_type: &'static str, body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn rejection(error: &Option<String>) -> String {
    error.clone().unwrap_or_else(|| "Invalid entityType: injected fault".to_owned())
}

fn fallback_id(code: Option<u16>, entity: EntityType, now: OffsetDateTime) -> Option<ChittyId> {
    let reason = FallbackReason::from_code(code.unwrap_or(1));
    let year = u8::try_from(now.year().rem_euclid(100)).ok()?;
    ChittyId::fallback(reason, entity, year, u8::from(now.month())).ok()
}
