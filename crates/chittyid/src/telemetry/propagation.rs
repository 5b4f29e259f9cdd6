//! W3C trace context: `traceparent` and `tracestate` headers written from the current span on the client, and read
//! into a span's parent on the server.
//!
//! The propagator is used directly instead of through the global one that `opentelemetry::global` holds, so the
//! headers do not depend on whether the application registered a propagator.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Adds the `traceparent` and `tracestate` headers of the current `tracing` span to `request`.
///
/// Nothing is added when the current span is not exported, because no OpenTelemetry layer is installed or a filter
/// disabled the span.
pub(crate) fn inject_trace_context(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    let context = tracing::Span::current().context();
    let mut headers = HeaderMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(&mut headers));
    request.headers(headers)
}

/// Makes `span` a child of the remote span that the `traceparent` and `tracestate` headers name.
///
/// Call it right after creating the span and before it is entered, because an OpenTelemetry span's parent is fixed
/// when it starts. Nothing changes when the headers carry no valid trace context, or when no OpenTelemetry layer
/// records `span`.
pub fn set_remote_parent(span: &tracing::Span, headers: &HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if !parent.span().span_context().is_valid() {
        return;
    }
    if let Err(error) = span.set_parent(parent) {
        tracing::trace!(%error, "request span keeps no remote parent");
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        // The propagator writes only its own valid header names, and values it formatted from hex and ASCII.
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(key.as_bytes()), HeaderValue::from_str(&value)) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const SPAN_ID: &str = "00f067aa0ba902b7";

    #[test]
    fn injector_writes_traceparent_for_a_sampled_context() {
        let span_context = SpanContext::new(
            TraceId::from_hex(TRACE_ID).unwrap(),
            SpanId::from_hex(SPAN_ID).unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        let context = opentelemetry::Context::new().with_remote_span_context(span_context);
        let mut headers = HeaderMap::new();
        TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(&mut headers));
        assert_eq!(headers["traceparent"], format!("00-{TRACE_ID}-{SPAN_ID}-01"));
    }

    #[test]
    fn injector_writes_nothing_without_a_span() {
        let mut request = reqwest::Client::new().get("http://127.0.0.1:1/health");
        request = inject_trace_context(request);
        let request = request.build().unwrap();
        assert!(request.headers().get("traceparent").is_none());
    }

    #[test]
    fn extractor_reads_traceparent() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", HeaderValue::from_str(&format!("00-{TRACE_ID}-{SPAN_ID}-01")).unwrap());
        let context = TraceContextPropagator::new().extract(&HeaderExtractor(&headers));
        let span = context.span();
        assert_eq!(span.span_context().trace_id().to_string(), TRACE_ID);
        assert_eq!(span.span_context().span_id().to_string(), SPAN_ID);
    }

    #[test]
    fn extractor_ignores_a_malformed_traceparent() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", HeaderValue::from_static("00-zz-not-a-trace"));
        let context = TraceContextPropagator::new().extract(&HeaderExtractor(&headers));
        assert!(!context.span().span_context().is_valid());
    }
}
