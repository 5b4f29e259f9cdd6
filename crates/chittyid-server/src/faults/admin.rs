//! The admin handlers (`/admin/faults`) and the gate that stalls requests while the service is paused.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::FaultPlan;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /admin/faults`: activates a [`FaultPlan`].
pub(crate) async fn submit(State(state): State<AppState>, request: Request) -> Response {
    if let Err(error) = caller(&request).require_mint() {
        return error.into_response();
    }
    let body = match crate::routes::payload::read_body(request, &state).await {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let plan: FaultPlan = match serde_json::from_slice(&body) {
        Ok(plan) => plan,
        Err(error) => return ApiError::invalid_json(format!("invalid fault plan: {error}")).into_response(),
    };
    if let super::Fault::Status { status, .. } = plan.fault
        && !(400..=599).contains(&status)
    {
        let message = format!("invalid fault plan: status {status} is not an error status (400-599)");
        return ApiError::new(StatusCode::BAD_REQUEST, "INVALID_FAULT", message).into_response();
    }
    tracing::info!(fault = ?plan.fault, count = ?plan.count, "fault injected");
    state.faults().set(plan);
    Json(json!({ "success": true, "faults": state.faults().list() })).into_response()
}

/// `DELETE /admin/faults`: clears every fault and ends a pause.
pub(crate) async fn clear(State(state): State<AppState>, request: Request) -> Response {
    if let Err(error) = caller(&request).require_mint() {
        return error.into_response();
    }
    state.faults().clear();
    tracing::info!("faults cleared");
    Json(json!({ "success": true, "faults": [] })).into_response()
}

/// `GET /admin/faults`: lists the active faults.
pub(crate) async fn list(State(state): State<AppState>) -> Response {
    Json(json!({ "success": true, "faults": state.faults().list() })).into_response()
}

fn caller(request: &Request) -> Caller {
    request.extensions().get::<Caller>().copied().unwrap_or(Caller::Anonymous)
}

/// Holds every request except `/admin/…` while a `pause` fault is active, until it ends or the server stops.
pub(crate) async fn pause_gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/admin/") {
        let mut paused = state.faults().paused();
        tokio::select! {
            result = paused.wait_for(|paused| !*paused) => {
                if result.is_err() {
                    return ApiError::shutting_down().into_response();
                }
            }
            () = state.closing().cancelled() => return ApiError::shutting_down().into_response(),
        }
    }
    next.run(request).await
}
