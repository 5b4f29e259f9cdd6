//! The client against the real local service (`chittyid-server`) on `127.0.0.1:0`: mint, batch, validate, health,
//! authentication and idempotency.

use chittyid::client::ErrorKind;
use chittyid::format::EntityType;
use chittyid::{Client, Mint, ServiceUrl, Token};
use chittyid_server::{RunningServer, Server, ServerConfig};

const TOKEN: &str = "tok-server-test-5d21";

/// A running local service with its data directory, removed when the value is dropped.
struct Service {
    server: RunningServer,
    _data: tempfile::TempDir,
}

impl Service {
    /// Starts a service that requires `tokens` for minting, or runs open when `tokens` is empty.
    async fn start(tokens: &[&str]) -> Service {
        let data = tempfile::tempdir().expect("create a data directory");
        let mut config = ServerConfig::new(data.path());
        config.tokens = tokens.iter().map(|token| Token::new(*token)).collect();
        let server = Server::bind(config, "127.0.0.1:0".parse().unwrap()).await.expect("bind the service");
        Service { server: server.spawn(), _data: data }
    }

    fn client(&self, token: Option<&str>) -> Client {
        let url = ServiceUrl::parse(&format!("http://{}", self.server.local_addr())).unwrap();
        let builder = Client::builder().base_url(url);
        let builder = match token {
            Some(token) => builder.token(Token::new(token)),
            None => builder,
        };
        builder.build().expect("build the client")
    }
}

#[tokio::test]
async fn mint_returns_ids_with_the_requested_fields() {
    let service = Service::start(&[TOKEN]).await;
    let client = service.client(Some(TOKEN));
    let cases = [(EntityType::Person, 3, "GBR", 2), (EntityType::Place, 1, "USA", 0), (EntityType::Event, 9, "DEU", 5)];

    for (entity, region, jurisdiction, trust) in cases {
        let mint = Mint::new(entity).region(region).jurisdiction(jurisdiction).trust(trust);
        let id = client.mint(&mint).await.unwrap();

        assert_eq!(id.entity_type(), entity, "{id}");
        assert_eq!(id.region(), region, "{id}");
        assert_eq!(id.jurisdiction(), jurisdiction, "{id}");
        assert_eq!(id.trust(), trust, "{id}");
        assert!(!id.is_fallback(), "{id}");
    }
}

#[tokio::test]
async fn batch_mints_every_entry_in_order() {
    let service = Service::start(&[TOKEN]).await;
    let client = service.client(Some(TOKEN));
    let mints = [
        Mint::new(EntityType::Person),
        Mint::new(EntityType::Thing).jurisdiction("FRA").region(3),
        Mint::new(EntityType::Authority).trust(4),
    ];

    let results = client.mint_batch(&mints).await.unwrap();

    let ids: Vec<_> = results.into_iter().map(|result| result.expect("every entry minted")).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0].entity_type(), EntityType::Person);
    assert_eq!(ids[1].entity_type(), EntityType::Thing);
    assert_eq!(ids[1].jurisdiction(), "FRA");
    assert_eq!(ids[2].trust(), 4);
    assert_ne!(ids[0], ids[2]);
}

#[tokio::test]
async fn batch_sent_twice_returns_the_same_ids() {
    let service = Service::start(&[]).await;
    let client = service.client(None);
    let mints = [Mint::new(EntityType::Person), Mint::new(EntityType::Person)];

    let first = client.mint_batch(&mints).await.unwrap();
    let second = client.mint_batch(&mints).await.unwrap();

    assert_eq!(first, second);
}

#[tokio::test]
async fn validate_accepts_a_minted_id() {
    let service = Service::start(&[]).await;
    let client = service.client(None);
    let id = client.mint(&Mint::new(EntityType::Person)).await.unwrap();

    let verdict = client.validate(&id.to_string()).await.unwrap();

    assert!(verdict.valid, "{verdict:?}");
    assert_eq!(verdict.replaced_by, None);
}

#[tokio::test]
async fn validate_rejects_a_bad_check_value() {
    let service = Service::start(&[]).await;
    let client = service.client(None);

    let verdict = client.validate("03-1-USA-1234-P-2601-3-42").await.unwrap();

    assert!(!verdict.valid, "{verdict:?}");
    assert!(verdict.reason.is_some(), "{verdict:?}");
}

#[tokio::test]
async fn health_reports_ok() {
    let service = Service::start(&[TOKEN]).await;
    let client = service.client(Some(TOKEN));

    let health = client.health().await.unwrap();

    assert!(health.healthy, "{health:?}");
}

#[tokio::test]
async fn mint_with_the_right_token_succeeds() {
    let service = Service::start(&[TOKEN]).await;

    let minted = service.client(Some(TOKEN)).mint(&Mint::new(EntityType::Person)).await;

    assert!(minted.is_ok(), "{minted:?}");
}

#[tokio::test]
async fn mint_without_token_is_unauthorized() {
    let service = Service::start(&[TOKEN]).await;

    let error = service.client(None).mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Unauthorized { .. }), "{error:?}");
    assert!(error.is_permanent(), "{error}");
}

#[tokio::test]
async fn wrong_token_is_forbidden() {
    let service = Service::start(&[TOKEN]).await;
    let client = service.client(Some("tok-wrong"));

    let mint_error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();
    let health_error = client.health().await.unwrap_err();

    assert!(matches!(mint_error.kind(), ErrorKind::Forbidden { .. }), "{mint_error:?}");
    assert!(mint_error.is_permanent(), "{mint_error}");
    assert!(!mint_error.to_string().contains("tok-wrong"), "{mint_error}");
    assert!(matches!(health_error.kind(), ErrorKind::Forbidden { .. }), "{health_error:?}");
}

#[tokio::test]
async fn same_idempotency_key_returns_the_same_id() {
    let service = Service::start(&[TOKEN]).await;
    let client = service.client(Some(TOKEN));
    let mint = Mint::new(EntityType::Person).idempotency_key("order-2026-0042");

    let first = client.mint(&mint).await.unwrap();
    let second = client.mint(&mint.clone()).await.unwrap();
    let other = client.mint(&Mint::new(EntityType::Person)).await.unwrap();

    assert_eq!(first, second);
    assert_ne!(first, other);
}
