//! `GET /api/stats`: the counters of this service (an extension of the protocol).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::state::AppState;

/// `GET /api/stats`: `minted` is the durable total of IDs minted in this data directory; `idempotentReplays` counts
/// replies replayed from idempotency records since the process started.
pub(crate) async fn stats(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "success": true,
        "minted": state.minted(),
        "idempotentReplays": state.idempotent_replays(),
    }))
}
