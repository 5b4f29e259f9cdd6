//! `GET /health` and its aliases `/api/health`, `/v1/health`, `/api/v1/health`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chittyid::wire::HealthReply;
use time::OffsetDateTime;

use super::{SERVICE_NAME, timestamp};
use crate::error::ApiError;
use crate::faults::HealthFault;
use crate::state::AppState;

/// Builds the health reply: status, service name, version, time and uptime in seconds.
pub(crate) fn health_reply(state: &AppState) -> HealthReply {
    HealthReply {
        status: "ok".to_owned(),
        service: Some(SERVICE_NAME.to_owned()),
        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        timestamp: Some(timestamp(OffsetDateTime::now_utc())),
        uptime: Some(state.uptime().as_secs_f64()),
    }
}

/// `GET /health`; a `slowHealth` or `hangHealth` fault delays or stalls the reply.
pub(crate) async fn health(State(state): State<AppState>) -> Response {
    match state.faults().take_health_fault() {
        Some(HealthFault::Delay(delay)) => {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = state.closing().cancelled() => return ApiError::shutting_down().into_response(),
            }
        }
        Some(HealthFault::Hang) => {
            state.closing().cancelled().await;
            return ApiError::shutting_down().into_response();
        }
        None => {}
    }
    Json(health_reply(&state)).into_response()
}
