//! Span export over OTLP/HTTP and W3C trace context propagation, against a trace receiver and the local service,
//! both on loopback.
//!
//! Each test installs its subscriber as the thread's default and runs on a current-thread runtime, so the client,
//! the in-process service and their spans all live on the test's thread, and tests in one process do not share a
//! subscriber.

mod receiver;

use std::time::Duration;

use chittyid::format::EntityType;
use chittyid::service::ServiceBuilder;
use chittyid::telemetry::{OtlpBuilder, Telemetry};
use chittyid::{Client, Mint, Token};
use chittyid_test_support::InProcessService;
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

use receiver::{ReceivedSpan, Receiver};

const TOKEN: &str = "otel-test-token-7f3a9c";
const SERVICE_NAME: &str = "chittyid-otel-test";
/// The maximum wait for spans to arrive; only a failing test waits this long.
const ARRIVAL_TIMEOUT: Duration = Duration::from_secs(20);

fn start_export(receiver: &Receiver) -> (Telemetry, tracing::subscriber::DefaultGuard) {
    let telemetry = OtlpBuilder::new(receiver.url()).service_name(SERVICE_NAME).build().expect("a valid endpoint");
    let subscriber = tracing_subscriber::registry().with(telemetry.layer());
    let guard = tracing::subscriber::set_default(subscriber);
    (telemetry, guard)
}

async fn start_service() -> InProcessService {
    InProcessService::start_with(|config| config.token(Token::new(TOKEN))).await
}

fn named<'a>(spans: &'a [ReceivedSpan], name: &str) -> Vec<&'a ReceivedSpan> {
    spans.iter().filter(|span| span.name == name).collect()
}

fn route_of(span: &ReceivedSpan) -> &str {
    span.attribute("http.route").unwrap_or_default()
}

#[tokio::test]
async fn request_span_continues_the_callers_trace() {
    let receiver = Receiver::start();
    let (telemetry, subscriber) = start_export(&receiver);
    let local = start_service().await;
    let client = Client::builder().base_url(local.url()).token(Token::new(TOKEN)).build().unwrap();

    client.mint(&Mint::new(EntityType::Person)).instrument(tracing::info_span!("caller")).await.expect("a minted ID");
    // The service's request span ends when its reply is fully written, which may be after the client has it. A
    // graceful shutdown waits for every connection, so all request spans have ended before the export.
    local.shutdown().await;
    drop(subscriber);
    telemetry.shutdown().expect("the last batch is exported");

    let spans = receiver
        .wait_for(ARRIVAL_TIMEOUT, |spans| !named(spans, "caller").is_empty() && !named(spans, "request").is_empty())
        .await;
    let caller = named(&spans, "caller")[0];
    let request = named(&spans, "request")[0];
    assert_eq!(request.trace_id, caller.trace_id, "the service's span is in the caller's trace");
    assert_eq!(
        request.parent_span_id, caller.span_id,
        "the service's request span is a child of the caller's span (is chittyid-server's `otel` feature on?)"
    );
    assert!(caller.parent_span_id.is_empty(), "the caller's span is a root");
    assert_eq!(request.service_name.as_deref(), Some(SERVICE_NAME));
}

#[tokio::test]
async fn service_mint_exports_linked_spans() {
    let receiver = Receiver::start();
    let (telemetry, subscriber) = start_export(&receiver);
    let local = start_service().await;
    let service = ServiceBuilder::new(local.url()).token(Token::new(TOKEN)).build().expect("valid settings");
    service.connect().await.expect("the local service is up");

    let mint = Mint::new(EntityType::Person).idempotency_key("otel-test-key-1");
    service.mint(&mint).await.expect("a minted ID");
    drop(service);
    local.shutdown().await;
    drop(subscriber);
    telemetry.shutdown().expect("the last batch is exported");

    let spans = receiver
        .wait_for(ARRIVAL_TIMEOUT, |spans| {
            !named(spans, "chittyid.call").is_empty()
                && !named(spans, "chittyid.attempt").is_empty()
                && named(spans, "request").iter().any(|span| route_of(span).ends_with("mint"))
        })
        .await;

    let call = named(&spans, "chittyid.call")[0];
    let attempt = named(&spans, "chittyid.attempt")[0];
    let mint_request = *named(&spans, "request").iter().find(|span| route_of(span).ends_with("mint")).unwrap();

    assert_eq!(attempt.parent_span_id, call.span_id, "chittyid.attempt is a child of chittyid.call");
    assert_eq!(attempt.trace_id, call.trace_id, "the attempt is in the call's trace");
    assert_eq!(mint_request.parent_span_id, attempt.span_id, "the service's request span is a child of the attempt");
    assert_eq!(mint_request.trace_id, call.trace_id, "the service's request span is in the call's trace");

    assert_eq!(call.attribute("operation"), Some("mint"));
    assert_eq!(call.attribute("idempotency_key"), Some("otel-test-key-1"));
    assert_eq!(attempt.int_attribute("attempt"), Some(1), "attempt is exported as an integer");
    assert_eq!(mint_request.attribute("http.request.method"), Some("POST"));
    assert_eq!(mint_request.int_attribute("http.response.status_code"), Some(200), "status is an integer");

    for span in &spans {
        for (key, value) in &span.attributes {
            assert!(!value.contains(TOKEN), "span {} attribute {key} carries the token", span.name);
        }
    }
}

#[tokio::test]
async fn health_check_parents_health_request() {
    let receiver = Receiver::start();
    let (telemetry, subscriber) = start_export(&receiver);
    let local = start_service().await;
    let service = ServiceBuilder::new(local.url()).token(Token::new(TOKEN)).build().expect("valid settings");

    service.connect().await.expect("the local service is up");
    drop(service);
    local.shutdown().await;
    drop(subscriber);
    telemetry.shutdown().expect("the last batch is exported");

    let spans = receiver
        .wait_for(ARRIVAL_TIMEOUT, |spans| {
            !named(spans, "chittyid.health_check").is_empty()
                && named(spans, "request").iter().any(|span| route_of(span) == "/health")
        })
        .await;
    let check = named(&spans, "chittyid.health_check")[0];
    let health_requests: Vec<_> =
        named(&spans, "request").into_iter().filter(|span| route_of(span) == "/health").collect();
    assert!(
        health_requests.iter().any(|request| request.parent_span_id == check.span_id),
        "a GET /health request span is a child of the health check span"
    );
}

#[tokio::test]
async fn service_continues_only_valid_traceparent() {
    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const PARENT_ID: &str = "00f067aa0ba902b7";
    let receiver = Receiver::start();
    let (telemetry, subscriber) = start_export(&receiver);
    let local = start_service().await;
    let http = reqwest::Client::new();
    let send = |path: &str, traceparent: String| {
        http.get(format!("http://{}{path}", local.addr())).header("traceparent", traceparent)
    };

    let valid = send("/api/spec", format!("00-{TRACE_ID}-{PARENT_ID}-01")).send().await.unwrap();
    let malformed = send("/api/stats", format!("00-{TRACE_ID}-not-a-span-id-01")).send().await.unwrap();
    assert!(valid.status().is_success());
    assert!(malformed.status().is_success());
    local.shutdown().await;
    drop(subscriber);
    telemetry.shutdown().expect("the last batch is exported");

    let spans = receiver
        .wait_for(ARRIVAL_TIMEOUT, |spans| {
            let routes: Vec<_> = named(spans, "request").into_iter().map(route_of).collect();
            routes.contains(&"/api/spec") && routes.contains(&"/api/stats")
        })
        .await;
    let requests = named(&spans, "request");
    let continued = requests.iter().find(|span| route_of(span) == "/api/spec").unwrap();
    let fresh = requests.iter().find(|span| route_of(span) == "/api/stats").unwrap();
    assert_eq!(continued.trace_id, TRACE_ID, "a valid traceparent's trace is continued");
    assert_eq!(continued.parent_span_id, PARENT_ID, "a valid traceparent's span is the parent");
    assert!(fresh.parent_span_id.is_empty(), "a malformed traceparent leaves the span a root");
    assert_ne!(fresh.trace_id, TRACE_ID, "a malformed traceparent starts a new trace");
}
