//! HTTPS to the local service through a TLS terminator whose self-signed certificate the test makes at run time.

use chittyid::client::ErrorKind;
use chittyid::connection::{ConnectError, ConnectionState};
use chittyid::service::ServiceBuilder;
use chittyid_test_support::proxy::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use chittyid_test_support::{InProcessService, TlsProxy};
use rcgen::CertifiedKey;

use crate::support::{assert_ledger, fast_client, mint_until_done, person};

/// Starts the service behind TLS; returns the terminator, the service and the certificate in PEM.
async fn https_service() -> (TlsProxy, InProcessService, String) {
    let service = InProcessService::start().await;
    let CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("a certificate for 127.0.0.1");
    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
    let proxy = TlsProxy::start(service.addr(), chain, key).await.expect("the TLS terminator starts");
    (proxy, service, cert.pem())
}

async fn minted(service: &InProcessService) -> u64 {
    let url = format!("http://{}/api/stats", service.addr());
    let stats: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    stats["minted"].as_u64().expect("stats carry `minted`")
}

#[tokio::test]
async fn trusted_certificate_connects_and_mints() {
    let (proxy, service, pem) = https_service().await;
    let resilient = ServiceBuilder::new(proxy.url()).client(|client| client.add_root_certificate(pem)).build().unwrap();

    resilient.connect().await.unwrap();
    let id = resilient.mint(&person()).await.unwrap();

    assert_eq!(resilient.connection().state(), ConnectionState::Connected);
    assert!(proxy.url().to_string().starts_with("https://"));
    assert_ledger(&[id], minted(&service).await);
}

#[tokio::test]
async fn untrusted_certificate_is_refused_with_the_reason() {
    let (proxy, service, pem) = https_service().await;
    let resilient = ServiceBuilder::new(proxy.url()).build().unwrap();
    let mint = person();

    let outcome = resilient.connect().await;
    let error = fast_client(proxy.url()).mint(&mint).await.expect_err("the certificate is not trusted");

    let Err(ConnectError::Unavailable { .. }) = &outcome else { panic!("expected Unavailable: {outcome:?}") };
    assert_ne!(resilient.connection().state(), ConnectionState::Connected);
    assert!(matches!(error.kind(), ErrorKind::Connect), "{error:?}");
    let reason = chittyid::error_chain(&error);
    assert!(reason.contains("certificate"), "the cause names the certificate: {reason}");
    assert_eq!(minted(&service).await, 0, "no request passed the handshake");

    // Given the CA, the same URL works.
    let trusted = chittyid::Client::builder().base_url(proxy.url()).add_root_certificate(pem).build().unwrap();
    let id = mint_until_done(&trusted, &mint).await;
    assert_ledger(&[id], minted(&service).await);
}
