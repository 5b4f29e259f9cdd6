//! `GET /health/stream`: a server-sent event stream that a client keeps open to notice at once when the service
//! goes away.
//!
//! The stream sends one `event: health` with the [`HealthReply`](chittyid::wire::HealthReply) JSON at once, then
//! only keep-alive comments, so it costs one idle connection and a timer. When the server is killed, the client
//! sees EOF or a reset. A graceful shutdown ends the stream.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};

use super::health::health_reply;
use crate::state::AppState;

/// `GET /health/stream`.
pub(crate) async fn stream(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let reply = health_reply(&state);
    let data = serde_json::to_string(&reply).unwrap_or_else(|_| "{\"status\":\"ok\"}".to_owned());
    let first = Event::default().event("health").data(data);
    let events = stream::once(async move { Ok(first) })
        .chain(stream::pending())
        .take_until(state.closing().clone().cancelled_owned());
    Sse::new(events).keep_alive(KeepAlive::new().interval(state.stream_keepalive()))
}
