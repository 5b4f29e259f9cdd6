//! How the client interprets replies, against small in-process axum mocks on loopback: failures with status 200,
//! fallback IDs, IDs that fail local validation, error statuses, and the headers every request carries.

mod client_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chittyid::client::{EntryError, ErrorKind, Operation};
use chittyid::format::{EntityType, FallbackReason};
use chittyid::{Mint, MintOutcome};
use client_support::{SECRET, assert_no_token, client, json, serve};
use serde_json::json as j;

const LIVE_ID: &str = "03-1-USA-4448-P-2609-0-88";
const FALLBACK_ID: &str = "03-0-ERR-0001-P-2609-0-24";
const BAD_CHECK_ID: &str = "03-1-USA-1234-P-2601-3-42";

fn mint_reply(id: &str) -> serde_json::Value {
    j!({"success": true, "chittyId": id, "timestamp": "2026-09-01T00:00:00Z"})
}

#[tokio::test]
async fn success_false_with_200_is_rejected() {
    let router = Router::new()
        .route("/mint", post(|| async { json(j!({"success": false, "error": "Invalid entityType: vehicle"})) }));
    let client = client(serve(router).await);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Rejected { message: "Invalid entityType: vehicle".into() });
    assert_eq!(error.operation(), Operation::Mint);
    assert!(!error.is_retryable(), "{error}");
    assert_no_token(&error);
}

#[tokio::test]
async fn valid_reply_returns_the_parsed_id() {
    let router = Router::new().route("/mint", post(|| async { json(mint_reply(LIVE_ID)) }));
    let client = client(serve(router).await);

    let id = client.mint(&Mint::new(EntityType::Person)).await.unwrap();

    assert_eq!(id.to_string(), LIVE_ID);
}

#[tokio::test]
async fn fallback_reply_is_provisional_and_keeps_the_id() {
    let router = Router::new()
        .route("/mint", post(|| async { json(j!({"success": true, "chittyId": FALLBACK_ID, "fallback": true})) }));
    let client = client(serve(router).await);
    let mint = Mint::new(EntityType::Person);

    let error = client.mint(&mint).await.unwrap_err();
    let outcome = client.mint_outcome(&mint).await.unwrap();

    let ErrorKind::Provisional { id } = error.kind() else { panic!("expected Provisional, got {error:?}") };
    assert_eq!(id.to_string(), FALLBACK_ID);
    assert_no_token(&error);
    let expected = MintOutcome::Provisional { id: *id, reason: Some(FallbackReason::MintUnavailable) };
    assert_eq!(outcome, expected);
}

#[tokio::test]
async fn fallback_flag_on_a_normal_id_is_provisional() {
    let router = Router::new()
        .route("/mint", post(|| async { json(j!({"success": true, "chittyId": LIVE_ID, "fallback": true})) }));
    let client = client(serve(router).await);

    let outcome = client.mint_outcome(&Mint::new(EntityType::Person)).await.unwrap();

    assert!(!outcome.is_final(), "{outcome:?}");
    assert!(matches!(outcome, MintOutcome::Provisional { reason: None, .. }), "{outcome:?}");
}

#[tokio::test]
async fn bad_check_value_is_invalid_id() {
    let router = Router::new().route("/mint", post(|| async { json(mint_reply(BAD_CHECK_ID)) }));
    let client = client(serve(router).await);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::InvalidId { raw: BAD_CHECK_ID.into() });
    let source = std::error::Error::source(&error).expect("the parse error as source");
    assert!(source.to_string().contains("expected 86"), "{source}");
    assert_no_token(&error);
}

#[tokio::test]
async fn success_without_chitty_id_is_decode_error() {
    let router = Router::new().route("/mint", post(|| async { json(j!({"success": true})) }));
    let client = client(serve(router).await);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn wrong_content_type_is_decode_error() {
    let body = mint_reply(LIVE_ID).to_string();
    let router = Router::new().route("/mint", post(move || async move { ([("content-type", "text/html")], body) }));
    let client = client(serve(router).await);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Decode { .. }), "{error:?}");
    assert_no_token(&error);
}

#[tokio::test]
async fn body_that_is_not_json_is_decode_error() {
    let router =
        Router::new().route("/mint", post(|| async { ([("content-type", "application/json")], "<html>oops</html>") }));
    let client = client(serve(router).await);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Decode { .. }), "{error:?}");
    assert!(std::error::Error::source(&error).is_some(), "the JSON error as source: {error:?}");
}

#[tokio::test]
async fn status_401_is_unauthorized_and_permanent() {
    let router = Router::new().route(
        "/mint",
        post(|| async { (StatusCode::UNAUTHORIZED, axum::Json(j!({"success": false, "error": "UNAUTHORIZED"}))) }),
    );
    let client = client(serve(router).await);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Unauthorized { message: Some("UNAUTHORIZED".into()) });
    assert!(error.is_permanent(), "{error}");
    assert!(!error.is_retryable(), "{error}");
    assert_no_token(&error);
}

#[tokio::test]
async fn status_403_is_forbidden_and_permanent() {
    let router = Router::new().route("/mint", post(|| async { StatusCode::FORBIDDEN }));
    let client = client(serve(router).await);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Forbidden { message: None });
    assert!(error.is_permanent(), "{error}");
    assert_no_token(&error);
}

#[tokio::test]
async fn status_429_keeps_retry_after() {
    let router = Router::new().route(
        "/mint",
        post(|| async {
            let body = axum::Json(j!({"success": false, "error": "RATE_LIMITED", "message": "slow down"}));
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "7")], body)
        }),
    );
    let client = client(serve(router).await);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    let expected = ErrorKind::Status {
        status: StatusCode::TOO_MANY_REQUESTS,
        retry_after: Some(Duration::from_secs(7)),
        message: Some("slow down".into()),
    };
    assert_eq!(error.kind(), &expected);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert!(error.is_retryable(), "{error}");
    assert!(!error.is_connection_level(), "{error}");
    assert_no_token(&error);
}

#[tokio::test]
async fn status_500_is_not_retryable_but_503_is() {
    let router = Router::new()
        .route("/mint", post(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route("/health", get(|| async { StatusCode::SERVICE_UNAVAILABLE }));
    let client = client(serve(router).await);

    let internal = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();
    let unavailable = client.health().await.unwrap_err();

    assert!(!internal.is_retryable(), "{internal}");
    assert!(unavailable.is_retryable(), "{unavailable}");
    assert_eq!(unavailable.operation(), Operation::Health);
}

#[tokio::test]
async fn status_409_is_retryable_for_mint_only() {
    let router = Router::new()
        .route("/mint", post(|| async { StatusCode::CONFLICT }))
        .route("/api/validate", post(|| async { StatusCode::CONFLICT }));
    let client = client(serve(router).await);

    let mint_error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();
    let validate_error = client.validate(LIVE_ID).await.unwrap_err();

    assert!(mint_error.is_retryable(), "{mint_error}");
    assert!(!validate_error.is_retryable(), "{validate_error}");
}

#[tokio::test]
async fn mint_sends_token_key_and_query() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let router = Router::new().route(
        "/mint",
        post(move |uri: Uri, headers: HeaderMap, body: String| {
            let record = record.clone();
            async move {
                let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
                let query = uri.query().map(str::to_owned);
                record.lock().unwrap().push((header("authorization"), header("idempotency-key"), query, body));
                json(mint_reply(LIVE_ID))
            }
        }),
    );
    let client = client(serve(router).await);
    let mint = Mint::new(EntityType::Place).region(3).jurisdiction("gbr").trust(2);

    client.mint(&mint).await.unwrap();
    client.mint(&mint).await.unwrap();

    let seen = seen.lock().unwrap();
    let (authorization, key, query, body) = &seen[0];
    assert_eq!(authorization.as_deref(), Some(format!("Bearer {SECRET}").as_str()));
    assert_eq!(key.as_deref(), Some(mint.key()));
    assert_eq!(query.as_deref(), Some("region=3&jurisdiction=GBR&trust=2"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(body).unwrap(), j!({"entityType": "place"}));
    assert_eq!(seen[1].1, seen[0].1, "a resent Mint must send the same key");
}

#[tokio::test]
async fn invalid_field_is_config_error_before_sending() {
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let router = Router::new().route(
        "/mint",
        post(move || {
            *counter.lock().unwrap() += 1;
            async { json(mint_reply(LIVE_ID)) }
        }),
    );
    let client = client(serve(router).await);

    let error = client.mint(&Mint::new(EntityType::Person).region(0)).await.unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Config { .. }), "{error:?}");
    assert!(error.is_permanent(), "{error}");
    assert_eq!(*calls.lock().unwrap(), 0, "nothing may be sent");
}

#[tokio::test]
async fn batch_returns_one_result_per_entry() {
    let router = Router::new().route(
        "/v1/mint/batch",
        post(|| async {
            json(j!({
                "success": true,
                "chittyIds": [LIVE_ID],
                "results": [
                    {"success": true, "chittyId": LIVE_ID},
                    {"success": false, "error": "sequence space exhausted"},
                    {"success": true, "chittyId": FALLBACK_ID},
                    {"success": true, "chittyId": BAD_CHECK_ID},
                ],
            }))
        }),
    );
    let client = client(serve(router).await);
    let mints: Vec<Mint> = (0..4).map(|_| Mint::new(EntityType::Person)).collect();

    let results = client.mint_batch(&mints).await.unwrap();

    assert_eq!(results[0].as_ref().map(ToString::to_string), Ok(LIVE_ID.to_owned()));
    assert_eq!(results[1], Err(EntryError::Rejected { message: "sequence space exhausted".into() }));
    assert!(matches!(results[2], Err(EntryError::Provisional { .. })), "{:?}", results[2]);
    assert!(matches!(results[3], Err(EntryError::InvalidId { .. })), "{:?}", results[3]);
}

#[tokio::test]
async fn batch_with_wrong_result_count_is_decode_error() {
    let router = Router::new()
        .route("/v1/mint/batch", post(|| async { json(j!({"success": true, "results": [{"success": true}]})) }));
    let client = client(serve(router).await);
    let mints = [Mint::new(EntityType::Person), Mint::new(EntityType::Thing)];

    let error = client.mint_batch(&mints).await.unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Decode { .. }), "{error:?}");
    assert_eq!(error.operation(), Operation::BatchMint);
}

#[tokio::test]
async fn reconcile_returns_the_replacement() {
    let router = Router::new().route(
        "/api/validate",
        post(|| async {
            json(j!({"success": true, "valid": true, "replaced": true, "oldId": FALLBACK_ID, "newId": LIVE_ID}))
        }),
    );
    let client = client(serve(router).await);
    let provisional = FALLBACK_ID.parse().unwrap();

    let id = client.reconcile(&provisional).await.unwrap();

    assert_eq!(id.to_string(), LIVE_ID);
}

#[tokio::test]
async fn reconcile_without_replacement_is_rejected() {
    let router = Router::new().route("/api/validate", post(|| async { json(j!({"success": true, "valid": true})) }));
    let client = client(serve(router).await);
    let provisional = FALLBACK_ID.parse().unwrap();

    let error = client.reconcile(&provisional).await.unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Rejected { .. }), "{error:?}");
    assert_eq!(error.operation(), Operation::Reconcile);
}

#[tokio::test]
async fn reconcile_of_a_final_id_is_config_error() {
    let client = client(serve(Router::new()).await);

    let error = client.reconcile(&LIVE_ID.parse().unwrap()).await.unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Config { .. }), "{error:?}");
}

#[tokio::test]
async fn validate_reports_the_service_verdict() {
    let router = Router::new().route(
        "/api/validate",
        post(|| async { json(j!({"success": true, "valid": false, "error": "check value mismatch"})) }),
    );
    let client = client(serve(router).await);

    let verdict = client.validate(BAD_CHECK_ID).await.unwrap();

    assert!(!verdict.valid, "{verdict:?}");
    assert_eq!(verdict.reason.as_deref(), Some("check value mismatch"));
}

#[tokio::test]
async fn health_reads_status_and_uptime() {
    let router = Router::new().route(
        "/health",
        get(|| async { json(j!({"status": "ok", "service": "mock", "version": "1", "uptime": 2.5})) }),
    );
    let client = client(serve(router).await);

    let health = client.health().await.unwrap();

    assert!(health.healthy, "{health:?}");
    assert_eq!(health.uptime, Some(Duration::from_millis(2500)));
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let router = Router::new().route(
        "/mint",
        post(|| async { (StatusCode::PERMANENT_REDIRECT, [("location", "/elsewhere")]).into_response() }),
    );
    let client = client(serve(router).await);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Status { status: StatusCode::PERMANENT_REDIRECT, .. }), "{error:?}");
}
