//! Transport failures and limits of the client, on loopback: refused and closed connections, oversized bodies,
//! timeouts, the token rule for remote services, and the token's absence from every output.

mod client_support;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::post;
use chittyid::client::ErrorKind;
use chittyid::format::EntityType;
use chittyid::{Client, Mint, ServiceUrl, Token};
use client_support::{SECRET, assert_no_token, base_url, client, serve};
use tokio::io::AsyncReadExt;

#[tokio::test]
async fn refused_connection_is_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = client(address);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Connect);
    assert!(error.is_retryable(), "{error}");
    assert!(error.is_connection_level(), "{error}");
    assert!(!error.is_permanent(), "{error}");
    assert_eq!(error.to_string(), format!("mint request to http://{address}/mint failed: could not connect"));
    assert!(std::error::Error::source(&error).is_some(), "the reqwest error as source");
    assert_no_token(&error);
}

#[tokio::test]
async fn close_without_reply_is_connection_closed() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            // Read the start of the request, then hang up without replying.
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer).await;
            drop(stream);
        }
    });
    let client = client(address);

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::ConnectionClosed);
    assert!(error.is_retryable(), "{error}");
    assert!(error.is_connection_level(), "{error}");
    assert_no_token(&error);
}

/// Sends `()` when dropped, to tell the test that the server stopped streaming a body.
struct DropSignal(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(sender) = self.0.take() {
            let _ = sender.send(());
        }
    }
}

#[tokio::test]
async fn endless_body_is_too_large_and_reading_stops() {
    let (stopped_sender, stopped) = tokio::sync::oneshot::channel();
    let signal = Arc::new(std::sync::Mutex::new(Some(stopped_sender)));
    let router = Router::new().route(
        "/mint",
        post(move || {
            let guard = DropSignal(signal.lock().unwrap().take());
            async move {
                // An endless body without Content-Length: a client that reads to the end never returns, and the
                // stream, with its guard, is dropped only when the client closes the connection.
                let chunk = Bytes::from(vec![b' '; 16 * 1024]);
                let stream = futures_util::stream::repeat_with(move || {
                    let _ = &guard;
                    Ok::<_, std::io::Error>(chunk.clone())
                });
                ([("content-type", "application/json")], Body::from_stream(stream))
            }
        }),
    );
    let address = serve(router).await;
    let client = Client::builder()
        .base_url(base_url(address))
        .token(Token::new(SECRET))
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap();

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::BodyTooLarge { limit: 64 * 1024 });
    assert_no_token(&error);
    // A safety net against hanging: the stream ends as soon as the server detects the closed connection.
    let ended = tokio::time::timeout(Duration::from_secs(30), stopped).await;
    assert!(matches!(ended, Ok(Ok(()))), "the server is still streaming: the client did not close the connection");
}

#[tokio::test]
async fn declared_length_over_limit_is_too_large() {
    let router =
        Router::new().route("/mint", post(|| async { ([("content-type", "application/json")], vec![b' '; 4096]) }));
    let address = serve(router).await;
    let client = Client::builder()
        .base_url(base_url(address))
        .token(Token::new(SECRET))
        .max_response_bytes(1024)
        .build()
        .unwrap();

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::BodyTooLarge { limit: 1024 });
}

#[tokio::test(start_paused = true)]
async fn silent_service_times_out() {
    let router = Router::new().route("/mint", post(std::future::pending::<String>));
    let address = serve(router).await;
    let timeout = Duration::from_secs(3);
    let client =
        Client::builder().base_url(base_url(address)).token(Token::new(SECRET)).mint_timeout(timeout).build().unwrap();

    let error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Timeout { after: timeout });
    assert!(error.is_retryable(), "{error}");
    assert!(error.is_connection_level(), "{error}");
    assert_no_token(&error);
}

#[tokio::test]
async fn remote_mint_without_token_fails_early() {
    // The remote-looking name resolves to a loopback listener, so nothing can leave this machine.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let http = reqwest::Client::builder().resolve("chittyid.test", address).build().unwrap();
    let url = ServiceUrl::parse(&format!("https://chittyid.test:{}", address.port())).unwrap();
    let client =
        Client::builder().base_url(url).http_client(http).mint_timeout(Duration::from_secs(2)).build().unwrap();

    let mint_error = client.mint(&Mint::new(EntityType::Person)).await.unwrap_err();
    let batch_error = client.mint_batch(&[Mint::new(EntityType::Person)]).await.unwrap_err();

    assert!(matches!(mint_error.kind(), ErrorKind::Config { .. }), "{mint_error:?}");
    assert!(mint_error.to_string().contains("missing token"), "{mint_error}");
    assert!(matches!(batch_error.kind(), ErrorKind::Config { .. }), "{batch_error:?}");
    let accepted = listener.accept();
    assert!(accepted.is_err(), "a connection reached the listener: {accepted:?}");
}

#[tokio::test]
async fn loopback_service_without_token_is_allowed() {
    let router = Router::new().route(
        "/mint",
        post(|| async {
            client_support::json(serde_json::json!({"success": true, "chittyId": "03-1-USA-4448-P-2609-0-88"}))
        }),
    );
    let address = serve(router).await;
    let client = Client::builder().base_url(base_url(address)).build().unwrap();

    let minted = client.mint(&Mint::new(EntityType::Person)).await;

    assert!(minted.is_ok(), "{minted:?}");
}

#[test]
fn client_debug_redacts_the_token() {
    let url = ServiceUrl::parse("http://127.0.0.1:9").unwrap();
    let with_token = Client::builder().base_url(url.clone()).token(Token::new(SECRET)).build().unwrap();
    let without_token = Client::builder().base_url(url).build().unwrap();

    let debug_output = format!("{with_token:?}");

    assert!(!debug_output.contains(SECRET), "{debug_output}");
    assert!(debug_output.contains("token: <redacted>"), "{debug_output}");
    assert!(debug_output.contains("http://127.0.0.1:9"), "{debug_output}");
    assert!(format!("{without_token:?}").contains("token: None"), "{without_token:?}");
}

#[test]
fn builder_debug_redacts_the_token() {
    let builder = Client::builder().token(Token::new(SECRET));

    assert!(!format!("{builder:?}").contains(SECRET), "{builder:?}");
}

#[test]
fn zero_timeout_is_rejected_at_build() {
    let error = Client::builder().mint_timeout(Duration::ZERO).build().unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Config { .. }), "{error:?}");
}

#[test]
fn invalid_root_certificate_is_rejected_at_build() {
    let error = Client::builder().add_root_certificate(b"not a certificate".to_vec()).build().unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Config { .. }), "{error:?}");
}

/// A self-signed test CA certificate (public part only), valid until 2126.
const TEST_CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUcLkUCtzZJVKorXdjW0hWPwg8rnIwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQY2hpdHR5aWQgdGVzdCBDQTAgFw0yNjEyMDQyMDAyMzZaGA8y
MTI2MTExMDIwMDIzNlowGzEZMBcGA1UEAwwQY2hpdHR5aWQgdGVzdCBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABKRbq0gf8vVviBzrVxs9w3/Ii4svvzJttBPE
GopeM/+kAuNZlSIXNNYk6c5nCgNmqBhIACjsGWvb/dQu023/V3yjUzBRMB0GA1Ud
DgQWBBRR+QoT3ia2X5uUQjXLV/cLKRVGHDAfBgNVHSMEGDAWgBRR+QoT3ia2X5uU
QjXLV/cLKRVGHDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDi
wR2nvj/l7vi3va1PyncpfNi2ff32px2A+oatHk62xwIgLvknDbjhdEKBER+w+oOj
6uYE67iz8ENB6LtcihJLTDs=
-----END CERTIFICATE-----
";

#[test]
fn valid_root_certificate_is_accepted_at_build() {
    let built = Client::builder().add_root_certificate(TEST_CA_PEM).build();

    assert!(built.is_ok(), "{built:?}");
}
