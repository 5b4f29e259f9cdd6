//! The service's Prometheus metrics against the real local service on loopback: the exposition parses, and each
//! series moves when its layer acts.

mod service_support;

use std::collections::HashMap;
use std::time::Duration;

use chittyid::format::EntityType;
use chittyid::metrics::{CallOperation, CallOutcome, Metrics};
use chittyid::resilience::{BreakerConfig, RetryPolicy};
use chittyid::service::{BuildError, ServiceBuilder};
use chittyid::{Mint, ServiceUrl};
use chittyid_test_support::InProcessService;
use serde_json::json;
use service_support::{builder, connected};

/// Parses OpenMetrics text into `name{labels}` → value, checking the shape of every line on the way.
fn parse(text: &str) -> HashMap<String, f64> {
    assert!(text.ends_with("# EOF\n"), "exposition must end with # EOF");
    let mut samples = HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') {
            let kind = line.split_whitespace().nth(1).unwrap_or_default();
            assert!(["TYPE", "HELP", "UNIT", "EOF"].contains(&kind), "unexpected comment line: {line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("sample line without value: {line}"));
        assert!(series.starts_with("chittyid_"), "series without the prefix: {line}");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value is not a number: {line}"));
        assert!(samples.insert(series.to_owned(), value).is_none(), "duplicate series: {series}");
    }
    samples
}

fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    *samples.get(series).unwrap_or_else(|| panic!("series {series} missing from {samples:#?}"))
}

#[tokio::test]
async fn calls_cache_and_connection_are_counted() {
    let local = InProcessService::start_with(|config| config.enable_admin(true)).await;
    let service = connected(builder(local.url())).await;

    let id = service.mint(&Mint::new(EntityType::Person)).await.expect("mint succeeds");
    local.inject_fault(json!({"mode": "status", "status": 503, "count": 1})).await;
    service.mint(&Mint::new(EntityType::Place)).await.expect("the retry succeeds");
    service.validate(&id.to_string()).await.expect("validate succeeds");
    service.validate(&id.to_string()).await.expect("validate succeeds from the cache");

    let samples = parse(&service.metrics().render());
    assert_eq!(value(&samples, r#"chittyid_calls_total{operation="mint",outcome="success"}"#), 2.0);
    assert_eq!(value(&samples, r#"chittyid_calls_total{operation="validate",outcome="success"}"#), 1.0);
    assert_eq!(value(&samples, r#"chittyid_retries_total{operation="mint"}"#), 1.0);
    assert_eq!(value(&samples, r#"chittyid_call_duration_seconds_count{operation="mint"}"#), 2.0);
    assert_eq!(value(&samples, "chittyid_cache_hits_total"), 1.0);
    assert_eq!(value(&samples, "chittyid_cache_misses_total"), 1.0);
    assert_eq!(value(&samples, "chittyid_cache_entries"), 1.0);
    assert_eq!(value(&samples, r#"chittyid_connection_state{state="connected"}"#), 1.0);
    assert_eq!(value(&samples, r#"chittyid_connection_state{state="reconnecting"}"#), 0.0);
    assert_eq!(value(&samples, r#"chittyid_connection_transitions_total{from="connecting",to="connected"}"#), 1.0);
    assert_eq!(value(&samples, r#"chittyid_health_checks_total{outcome="healthy"}"#), 1.0);
    assert_eq!(value(&samples, "chittyid_health_check_duration_seconds_count"), 1.0);
    assert_eq!(value(&samples, r#"chittyid_breaker_state{state="closed"}"#), 1.0);

    let snapshot = service.metrics().snapshot();
    let mints = snapshot.calls.iter().find(|count| count.operation == CallOperation::Mint).expect("mint counted");
    assert_eq!((mints.outcome, mints.count), (CallOutcome::Success, 2));
    assert_eq!(snapshot.retries, 1);
    assert_eq!(snapshot.call_duration.count, 3);
    assert_eq!(snapshot.cache_hits, 1);
}

#[tokio::test]
async fn lost_service_moves_connection_series() {
    let local = InProcessService::start().await;
    let service = connected(builder(local.url())).await;

    local.kill().await;
    assert!(service.connection().perform_health_check().await.is_err(), "the service is gone");

    let samples = parse(&service.metrics().render());
    assert_eq!(value(&samples, r#"chittyid_connection_state{state="reconnecting"}"#), 1.0);
    assert_eq!(value(&samples, r#"chittyid_connection_state{state="connected"}"#), 0.0);
    assert_eq!(value(&samples, r#"chittyid_connection_transitions_total{from="connected",to="reconnecting"}"#), 1.0);
    // The broken health stream may add a check of its own, so the counts are compared with each other.
    let healthy = value(&samples, r#"chittyid_health_checks_total{outcome="healthy"}"#);
    let unhealthy = value(&samples, r#"chittyid_health_checks_total{outcome="unhealthy"}"#);
    assert!(unhealthy >= 1.0, "the check after the kill failed");
    assert_eq!(value(&samples, "chittyid_health_check_duration_seconds_count"), healthy + unhealthy);
}

#[tokio::test]
async fn open_breaker_is_reported() {
    let local = InProcessService::start_with(|config| config.enable_admin(true)).await;
    let breaker = BreakerConfig::default().consecutive_failures(1).open_duration(Duration::from_secs(60));
    let service = connected(builder(local.url()).breaker(breaker).retry(RetryPolicy::default().max_attempts(1))).await;
    local.inject_fault(json!({"mode": "status", "status": 503, "count": 1})).await;

    assert!(service.mint(&Mint::new(EntityType::Person)).await.is_err(), "the 503 fails the call");
    assert!(service.mint(&Mint::new(EntityType::Person)).await.is_err(), "the open breaker rejects the call");

    let samples = parse(&service.metrics().render());
    assert_eq!(value(&samples, r#"chittyid_calls_total{operation="mint",outcome="server_error"}"#), 1.0);
    assert_eq!(value(&samples, r#"chittyid_calls_total{operation="mint",outcome="circuit_open"}"#), 1.0);
    assert_eq!(value(&samples, r#"chittyid_breaker_state{state="open"}"#), 1.0);
    assert_eq!(value(&samples, r#"chittyid_breaker_transitions_total{from="closed",to="open"}"#), 1.0);
    assert_eq!(value(&samples, "chittyid_breaker_rejections_total"), 1.0);
}

#[test]
fn metrics_serve_one_service_only() {
    let url = ServiceUrl::parse("http://127.0.0.1:9").expect("valid URL");
    let metrics = Metrics::new();
    ServiceBuilder::new(url.clone()).metrics(metrics.clone()).build().expect("first service binds the metrics");

    let second = ServiceBuilder::new(url).metrics(metrics).build();

    assert!(matches!(second, Err(BuildError::MetricsInUse)), "got {second:?}");
}

#[test]
fn dropped_service_leaves_only_its_own_counts() {
    let url = ServiceUrl::parse("http://127.0.0.1:9").expect("valid URL");
    let metrics = Metrics::new();
    drop(ServiceBuilder::new(url).metrics(metrics.clone()).build().expect("valid settings"));

    let samples = parse(&metrics.render());

    assert!(!samples.keys().any(|series| series.starts_with("chittyid_connection_state")));
    assert_eq!(metrics.snapshot().breaker_state, None);
}
