//! The `tracing` span around each HTTP request, for `tower_http`'s trace layer.
//!
//! Field names follow the OpenTelemetry HTTP semantic conventions, so exported spans read like those of other
//! services. With the `otel` feature, a request that carries a W3C `traceparent` header gets a span that continues
//! the caller's trace: the client's attempt span becomes its parent.

use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use tracing::Span;

/// Creates the `request` span with the method, the matched route and the path; the status is recorded later.
///
/// `http.route` is the route pattern (`/v1/validate/{id}`), or empty for a request that matched no route. The span
/// is at debug level, like `tower_http`'s default span.
pub(crate) fn make_request_span<B>(request: &Request<B>) -> Span {
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
    let span = tracing::debug_span!(
        "request",
        http.request.method = %request.method(),
        http.route = route,
        url.path = request.uri().path(),
        http.response.status_code = tracing::field::Empty,
    );
    #[cfg(feature = "otel")]
    chittyid::telemetry::set_remote_parent(&span, request.headers());
    span
}

/// Records the reply's status on the request span and logs the reply at debug level, as `tower_http` does by
/// default.
pub(crate) fn record_response<B>(response: &Response<B>, latency: Duration, span: &Span) {
    let status = response.status().as_u16();
    // An i64, because tracing-opentelemetry 0.34 exports unsigned fields as strings.
    span.record("http.response.status_code", i64::from(status));
    tracing::debug!(status, latency_ms = latency.as_millis() as u64, "finished processing request");
}
