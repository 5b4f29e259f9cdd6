//! The HTTP side of the metrics: the `GET /metrics` handler and the middleware that times every request.

use axum::Extension;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::{METRICS_CONTENT_TYPE, UNMATCHED_ROUTE};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /metrics`: every series as OpenMetrics text. With tokens configured, it needs one.
pub(crate) async fn serve(State(state): State<AppState>, caller: Option<Extension<Caller>>) -> Response {
    // The authentication layer always inserts the caller, so a missing one is only a guard: it counts as no token.
    let caller = caller.map_or(Caller::Anonymous, |Extension(caller)| caller);
    if caller == Caller::Anonymous {
        let message = "/metrics requires an Authorization: Bearer token when the server has tokens configured";
        return ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message).into_response();
    }

    let metrics = state.metrics();
    metrics.set_active_faults(state.faults().list().len());
    let text = metrics.render();
    ([(header::CONTENT_TYPE, HeaderValue::from_static(METRICS_CONTENT_TYPE))], text).into_response()
}

/// Records the duration of every request under its method, route template and status.
///
/// A request whose future is dropped before it has a response (the client went away) is not recorded.
pub(crate) async fn record_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request.extensions().get::<MatchedPath>().map_or(UNMATCHED_ROUTE, MatchedPath::as_str).to_owned();

    let response = next.run(request).await;

    state.metrics().observe_request(method, route, response.status(), started.elapsed());
    response
}

/// Maps the standard methods to their names and every other method to `other`, because clients choose the method
/// and each distinct label value is a new series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_method_keeps_its_name() {
        assert_eq!(method_label(&Method::DELETE), "DELETE");
    }

    #[test]
    fn extension_method_is_other() {
        let method = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(method_label(&method), "other");
    }
}
