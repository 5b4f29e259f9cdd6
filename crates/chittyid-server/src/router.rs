//! The HTTP routes of the service, built by [`router`] so that tests can drive them without a socket.

use std::any::Any;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Method, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{Any as AnyOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::auth::authenticate;
use crate::error::ApiError;
use crate::faults;
use crate::idempotency::REPLAYED_HEADER;
use crate::metrics;
use crate::request_span::{make_request_span, record_response};
use crate::routes::{batch, health, method_not_allowed, mint, not_found, spec, stats, stream, validate};
use crate::state::AppState;

/// How long browsers may cache a CORS preflight reply.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// Builds the service's router: every route and alias, authentication, body limit, CORS and a panic guard.
///
/// `/admin/faults` is served only when the state was opened with
/// [`ServerConfig::enable_admin`](crate::ServerConfig::enable_admin).
pub fn router(state: AppState) -> Router {
    let mut routes = Router::new()
        .route("/mint", post(mint::mint))
        .route("/v1/mint", post(mint::mint))
        .route("/api/v1/mint", post(mint::mint))
        .route("/api/v2/chittyid/mint", post(mint::mint_v2))
        .route("/api/get-chittyid", get(mint::mint_by_query))
        .route("/generate", get(mint::mint_by_query))
        .route("/v1/mint/batch", post(batch::batch))
        .route("/api/v1/mint/batch", post(batch::batch))
        .route("/api/v2/chittyid/mint/batch", post(batch::batch))
        .route("/api/validate", post(validate::validate))
        .route("/v1/validate/{id}", get(validate::validate_path))
        .route("/api/v1/validate/{id}", get(validate::validate_path))
        .route("/api/v2/chittyid/verify", post(validate::verify))
        .route("/health", get(health::health))
        .route("/api/health", get(health::health))
        .route("/v1/health", get(health::health))
        .route("/api/v1/health", get(health::health))
        .route("/health/stream", get(stream::stream))
        .route("/api/spec", get(spec::spec))
        .route("/api/stats", get(stats::stats))
        .route("/metrics", get(metrics::serve));
    if state.admin_enabled() {
        routes = routes.route("/admin/faults", post(faults::submit).delete(faults::clear).get(faults::list));
    }

    // The last layer added runs first: trace, panic guard, CORS, body limit, authentication, pause gate.
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), faults::pause_gate))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(DefaultBodyLimit::max(state.body_limit()))
        .layer(cors())
        .layer(middleware::from_fn(trim_cors_without_origin))
        .layer(CatchPanicLayer::custom(panic_reply))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::record_request))
        .layer(TraceLayer::new_for_http().make_span_with(make_request_span).on_response(record_response))
        .with_state(state)
}

/// Allows any origin, so that browser clients on any host can call a local service.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AnyOrigin)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            // The W3C trace context, so that a browser client's trace continues into the service.
            HeaderName::from_static("traceparent"),
            HeaderName::from_static("tracestate"),
        ])
        .expose_headers([header::RETRY_AFTER, HeaderName::from_static(REPLAYED_HEADER)])
        .max_age(PREFLIGHT_MAX_AGE)
}

/// Drops the CORS headers that only browsers use from replies to requests without an `Origin` header.
///
/// A connection manager checks `/health` every 30 s for as long as it runs, and these headers were about a third of
/// each reply. `Access-Control-Allow-Origin: *` stays, because it is the same for every request; `Vary` and
/// `Access-Control-Expose-Headers` matter only to a browser, which always sends `Origin`.
async fn trim_cors_without_origin(request: axum::extract::Request, next: middleware::Next) -> Response {
    let has_origin = request.headers().contains_key(header::ORIGIN);
    let mut response = next.run(request).await;
    if !has_origin {
        let headers = response.headers_mut();
        headers.remove(header::VARY);
        headers.remove(header::ACCESS_CONTROL_EXPOSE_HEADERS);
    }
    response
}

/// Turns a handler panic into a generic 500 and logs it once.
fn panic_reply(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned());
    tracing::error!(panic = %detail, "a request handler panicked");
    ApiError::internal().into_response()
}
