//! Rejected tokens: 401 without a token, 403 with a wrong one.

use chittyid::client::ErrorKind;
use chittyid::connection::{ConnectError, ConnectionManager, ConnectionState, FailureReason, HealthCheckError};
use chittyid::{Client, Token};
use chittyid_test_support::InProcessService;

use crate::support::{assert_ledger, expect_event, fast_manager, mint_until_done, person};

const RIGHT: &str = "right-token-1c7e";
const WRONG: &str = "wrong-token-93ab";

async fn guarded_service() -> InProcessService {
    InProcessService::start_with(|config| config.token(Token::new(RIGHT))).await
}

async fn minted(service: &InProcessService) -> u64 {
    let url = format!("http://{}/api/stats", service.addr());
    let stats: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    stats["minted"].as_u64().expect("stats carry `minted`")
}

fn client(service: &InProcessService, token: Option<&str>) -> Client {
    let builder = Client::builder().base_url(service.url());
    match token {
        Some(token) => builder.token(Token::new(token)),
        None => builder,
    }
    .build()
    .unwrap()
}

#[tokio::test]
async fn missing_token_gets_401_and_health_stays_open() {
    let service = guarded_service().await;
    let manager = fast_manager(service.url());
    manager.connect().await.expect("health is open without a token");
    let mint = person();

    let error = client(&service, None).mint(&mint).await.expect_err("minting needs a token");

    assert!(matches!(error.kind(), ErrorKind::Unauthorized { .. }), "{error:?}");
    assert!(error.to_string().contains("401"), "{error}");
    assert!(error.is_permanent(), "{error}");
    assert_eq!(manager.state(), ConnectionState::Connected);
    let id = mint_until_done(&client(&service, Some(RIGHT)), &mint).await;
    assert_ledger(&[id], minted(&service).await);
}

#[tokio::test]
async fn wrong_token_gets_403_and_the_manager_fails() {
    let service = guarded_service().await;
    let manager = ConnectionManager::builder(service.url()).token(Token::new(WRONG)).build().unwrap();
    let mut events = manager.events();
    let mint = person();

    let outcome = manager.connect().await;
    let error = client(&service, Some(WRONG)).mint(&mint).await.expect_err("a wrong token is forbidden");

    let Err(ConnectError::Failed { reason }) = outcome else { panic!("expected Failed: {outcome:?}") };
    assert!(matches!(reason, FailureReason::Permanent { error: HealthCheckError::Unauthorized { status: 403 } }));
    assert_eq!(manager.state(), ConnectionState::Failed);
    expect_event(&mut events, "error").await;
    assert!(matches!(error.kind(), ErrorKind::Forbidden { .. }), "{error:?}");
    assert!(error.to_string().contains("403"), "{error}");
    assert!(error.is_permanent(), "{error}");

    // A permanent failure ends with a new configuration, not by waiting.
    let fixed = ConnectionManager::builder(service.url()).token(Token::new(RIGHT)).build().unwrap();
    fixed.connect().await.unwrap();
    let id = mint_until_done(&client(&service, Some(RIGHT)), &mint).await;
    assert_ledger(&[id], minted(&service).await);
}
