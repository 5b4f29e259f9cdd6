//! The resilient service against the real local service on loopback, with faults injected through its admin
//! endpoint.

mod service_support;

use std::net::SocketAddr;
use std::time::Duration;

use chittyid::format::EntityType;
use chittyid::resilience::{BreakerConfig, BreakerState, BudgetConfig, RetryPolicy};
use chittyid::service::{CallError, CallOptions};
use chittyid::{Mint, ServiceUrl};
use chittyid_server::{Server, ServerConfig};
use chittyid_test_support::InProcessService;
use serde_json::{Value, json};
use service_support::{builder, connected};

async fn start_service() -> InProcessService {
    InProcessService::start_with(|config| config.enable_admin(true)).await
}

async fn minted(addr: SocketAddr) -> u64 {
    let stats: Value = reqwest::get(format!("http://{addr}/api/stats")).await.unwrap().json().await.unwrap();
    stats["minted"].as_u64().expect("stats carry a minted count")
}

#[tokio::test]
async fn lost_reply_mints_exactly_once() {
    let local = start_service().await;
    let service = connected(builder(local.url())).await;
    local.inject_fault(json!({"mode": "dropAfterCommit", "count": 1})).await;

    let id = service.mint(&Mint::new(EntityType::Person)).await.expect("the retry recovers the stored reply");

    assert!(!id.is_fallback());
    assert_eq!(minted(local.addr()).await, 1, "the service minted once for two attempts");
}

#[tokio::test]
async fn stale_pooled_connection_is_retried() {
    let data = tempfile::tempdir().unwrap();
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let first = Server::bind(ServerConfig::new(data.path()), listen).await.unwrap().spawn();
    let addr = first.local_addr();
    let url = ServiceUrl::parse(&format!("http://{addr}")).unwrap();
    let service = connected(builder(url)).await;
    let before = service.mint(&Mint::new(EntityType::Thing)).await.unwrap();

    first.kill().await;
    let second = Server::bind(ServerConfig::new(data.path()), addr).await.unwrap().spawn();
    let after = service
        .mint_with(&Mint::new(EntityType::Thing), CallOptions::default().deadline(Duration::from_secs(20)))
        .await
        .expect("no error reaches the caller after the restart");

    assert_ne!(before, after);
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn too_many_requests_is_retried() {
    let local = start_service().await;
    let service = connected(builder(local.url())).await;
    local.inject_fault(json!({"mode": "status", "status": 429, "retryAfter": 1, "count": 1})).await;

    let id = service.mint(&Mint::new(EntityType::Event)).await;

    assert!(id.is_ok(), "{id:?}");
    let report = service.health_report().await;
    assert_eq!(report.resilience.retry.budget.retries_allowed, 1);
}

#[tokio::test]
async fn reused_key_is_neither_retried_nor_counted() {
    let local = start_service().await;
    let service = connected(builder(local.url())).await;
    service.mint(&Mint::new(EntityType::Person).idempotency_key("same-key")).await.unwrap();

    let error = service.mint(&Mint::new(EntityType::Place).idempotency_key("same-key")).await.unwrap_err();

    let CallError::Request { attempts, source } = &error else { panic!("expected a request error, got {error:?}") };
    assert_eq!(*attempts, 1);
    assert!(source.to_string().contains("422"), "{source}");
    assert_eq!(service.breaker().stats().failed_calls, 0);
    assert_eq!(service.breaker().state(), BreakerState::Closed);
}

#[tokio::test]
async fn half_open_admits_only_trial_calls() {
    let local = start_service().await;
    let breaker =
        BreakerConfig::default().consecutive_failures(1).open_duration(Duration::from_millis(100)).half_open_permits(3);
    let service = connected(builder(local.url()).breaker(breaker).retry(RetryPolicy::default().max_attempts(1))).await;
    local.inject_fault(json!({"mode": "status", "status": 503, "count": 1})).await;
    assert!(service.mint(&Mint::new(EntityType::Person)).await.is_err());
    assert_eq!(service.breaker().state(), BreakerState::Open);

    tokio::time::sleep(Duration::from_millis(150)).await;
    // Hold the trial calls at the service so that all 200 calls arrive while the trials are in flight.
    local.inject_fault(json!({"mode": "slowMint", "delayMs": 300})).await;
    let calls = (0..200).map(|_| {
        let service = service.clone();
        tokio::spawn(async move { service.mint_with(&Mint::new(EntityType::Person), CallOptions::default()).await })
    });
    let results: Vec<_> = futures_util::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();

    let succeeded = results.iter().filter(|result| result.is_ok()).count();
    let rejected = results.iter().filter(|result| matches!(result, Err(CallError::CircuitOpen(_)))).count();
    assert_eq!(succeeded, 3);
    assert_eq!(rejected, 197);
    assert_eq!(minted(local.addr()).await, 3, "only the trial calls reached the service");
    assert_eq!(service.breaker().state(), BreakerState::Closed);
}

#[tokio::test]
async fn open_breaker_rejects_without_requests() {
    let local = start_service().await;
    let breaker = BreakerConfig::default().consecutive_failures(2).open_duration(Duration::from_secs(60));
    let service = connected(builder(local.url()).breaker(breaker).retry(RetryPolicy::default().max_attempts(1))).await;
    local.inject_fault(json!({"mode": "status", "status": 500, "count": 2})).await;
    for _ in 0..2 {
        assert!(service.mint(&Mint::new(EntityType::Person)).await.is_err());
    }

    for _ in 0..50 {
        let error = service.mint(&Mint::new(EntityType::Person)).await.unwrap_err();
        let CallError::CircuitOpen(rejected) = &error else { panic!("expected a rejection, got {error:?}") };
        assert!(rejected.retry_after.is_some());
    }

    assert_eq!(minted(local.addr()).await, 0);
    assert_eq!(service.breaker().stats().rejected_calls, 50);
}

#[tokio::test]
async fn retry_budget_caps_extra_load() {
    let local = start_service().await;
    // A breaker that never opens, so that every call reaches the retry loop.
    let breaker = BreakerConfig::default().consecutive_failures(0).minimum_calls(u32::MAX);
    let budget = BudgetConfig::default().ratio(0.2).min_per_second(0);
    let service = connected(builder(local.url()).breaker(breaker).retry_budget(budget)).await;
    local.inject_fault(json!({"mode": "status", "status": 503})).await;

    let mut requests = 0;
    for _ in 0..100 {
        match service.mint(&Mint::new(EntityType::Person)).await {
            Err(CallError::Request { attempts, .. }) => requests += attempts,
            other => panic!("expected a failed request, got {other:?}"),
        }
    }

    assert!(requests <= 120, "{requests} requests for 100 calls exceed the 20 % budget");
    assert!(requests > 100, "some retries were allowed");
}

#[tokio::test]
async fn fail_fast_names_the_connection_state() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = ServiceUrl::parse(&format!("http://{unused}")).unwrap();
    let service = builder(url).build().unwrap();

    let error =
        service.mint_with(&Mint::new(EntityType::Person), CallOptions::default().fail_fast()).await.unwrap_err();

    assert!(matches!(error, CallError::NotConnected { .. }), "{error:?}");
    assert!(error.to_string().contains("DISCONNECTED"), "{error}");
}

#[tokio::test]
async fn health_report_has_every_section() {
    let local = start_service().await;
    let service = connected(builder(local.url())).await;
    service.mint(&Mint::new(EntityType::Place)).await.unwrap();
    let valid = service.mint(&Mint::new(EntityType::Place)).await.unwrap().to_string();
    service.validate(&valid).await.unwrap();
    service.validate(&valid).await.unwrap();

    let report = serde_json::to_value(service.health_report().await).unwrap();

    assert_eq!(report["connection"]["state"], "CONNECTED");
    assert_eq!(report["connection"]["initialized"], true);
    assert_eq!(report["resilience"]["enabled"], true);
    assert_eq!(report["resilience"]["circuitBreaker"]["state"], "CLOSED");
    assert_eq!(report["resilience"]["cache"]["hits"], 1);
    assert_eq!(report["format"], "VV-G-LLL-SSSS-T-YYMM-C-XX");
    assert_eq!(report["entityTypes"].as_array().map(Vec::len), Some(5));
    assert_eq!(report["service"]["status"], "ok");
}
