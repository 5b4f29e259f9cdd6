//! The `tracing` spans of calls, attempts, health checks and reconnects, captured by a small recording layer while
//! the service talks to the real local service on loopback.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chittyid::format::EntityType;
use chittyid::resilience::RetryPolicy;
use chittyid::service::ServiceBuilder;
use chittyid::{Backoff, Mint, Token};
use chittyid_test_support::InProcessService;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

const TOKEN: &str = "span-test-token-4f1c";

/// One span as the layer saw it: name, parent name and every recorded field.
#[derive(Debug, Clone, Default)]
struct SpanRecord {
    name: String,
    parent: Option<String>,
    fields: HashMap<String, String>,
}

#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<HashMap<u64, SpanRecord>>>,
}

struct FieldWriter<'a>(&'a mut HashMap<String, String>);

impl Visit for FieldWriter<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S> Layer<S> for Capture
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let parent = context.span(id).and_then(|span| span.parent()).map(|parent| parent.name().to_owned());
        let mut record = SpanRecord { name: attributes.metadata().name().to_owned(), parent, ..SpanRecord::default() };
        attributes.record(&mut FieldWriter(&mut record.fields));
        self.spans.lock().unwrap().insert(id.into_u64(), record);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _context: Context<'_, S>) {
        if let Some(record) = self.spans.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut FieldWriter(&mut record.fields));
        }
    }
}

impl Capture {
    fn named(&self, name: &str) -> Vec<SpanRecord> {
        self.spans.lock().unwrap().values().filter(|span| span.name == name).cloned().collect()
    }
}

#[tokio::test]
async fn call_and_attempt_spans_carry_their_fields() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(capture.clone()));
    let local = InProcessService::start_with(|config| config.enable_admin(true).token(Token::new(TOKEN))).await;
    let backoff = Backoff::new().base(Duration::from_millis(10)).jitter(false);
    let service = ServiceBuilder::new(local.url())
        .token(Token::new(TOKEN))
        .retry(RetryPolicy::default().backoff(backoff))
        .build()
        .expect("valid settings");
    service.connect().await.expect("the local service is up");
    local.inject_fault(json!({"mode": "status", "status": 503, "count": 1})).await;

    let mint = Mint::new(EntityType::Person).idempotency_key("span-key-1");
    service.mint(&mint).await.expect("the retry succeeds");

    let calls = capture.named("chittyid.call");
    assert_eq!(calls.len(), 1, "one call span: {calls:#?}");
    let call = &calls[0];
    assert_eq!(call.fields.get("operation").map(String::as_str), Some("mint"));
    assert_eq!(call.fields.get("idempotency_key").map(String::as_str), Some("span-key-1"));
    assert_eq!(call.fields.get("attempts").map(String::as_str), Some("2"));
    assert_eq!(call.fields.get("outcome").map(String::as_str), Some("success"));

    let mut attempts = capture.named("chittyid.attempt");
    attempts.sort_by(|a, b| a.fields.get("attempt").cmp(&b.fields.get("attempt")));
    let outcomes: Vec<_> = attempts.iter().map(|span| span.fields.get("outcome").cloned()).collect();
    assert_eq!(outcomes, [Some("server_error".to_owned()), Some("success".to_owned())]);
    assert!(attempts.iter().all(|span| span.parent.as_deref() == Some("chittyid.call")));

    let checks = capture.named("chittyid.health_check");
    assert!(!checks.is_empty(), "the first connection attempt is a health check");
    assert_eq!(checks[0].fields.get("outcome").map(String::as_str), Some("healthy"));

    let all = format!("{:?}", capture.spans.lock().unwrap());
    assert!(!all.contains(TOKEN), "no span field may carry the token");
}

#[tokio::test]
async fn reconnect_span_parents_its_health_check() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(capture.clone()));
    let local = InProcessService::start().await;
    let backoff = Backoff::new().base(Duration::from_millis(5)).cap(Duration::from_millis(5)).jitter(false);
    let service = ServiceBuilder::new(local.url())
        .connection(move |manager| manager.backoff(backoff.max_attempts(Some(1))))
        .build()
        .expect("valid settings");
    service.connect().await.expect("the local service is up");
    local.kill().await;

    assert!(service.connection().perform_health_check().await.is_err(), "the service is gone");
    let failed = service
        .connection()
        .wait_for_state(chittyid::connection::ConnectionState::Failed, Duration::from_secs(10))
        .await;

    assert!(failed.is_ok(), "one reconnect attempt, then the manager gives up: {failed:?}");
    let reconnects = capture.named("chittyid.reconnect");
    assert_eq!(reconnects.len(), 1, "{reconnects:#?}");
    assert_eq!(reconnects[0].fields.get("attempt").map(String::as_str), Some("1"));
    assert_eq!(reconnects[0].fields.get("outcome").map(String::as_str), Some("unhealthy"));
    let checks = capture.named("chittyid.health_check");
    assert!(
        checks.iter().any(|span| span.parent.as_deref() == Some("chittyid.reconnect")),
        "the attempt's health check is a child of the reconnect span: {checks:#?}"
    );
}
