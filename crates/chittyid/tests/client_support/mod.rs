//! Shared pieces of the client tests: small axum mocks on loopback and checks that the token never leaks.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;

use axum::Router;
use chittyid::{Client, ServiceUrl, Token};

/// The token every mock test uses; it must never appear in `Debug` or `Display` output.
pub const SECRET: &str = "tok-SECRET-3f9a";

/// Serves `router` on `127.0.0.1:0` in a background task and returns its address.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let address = listener.local_addr().expect("read the bound address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve the mock");
    });
    address
}

/// Returns the base URL of a service at `address`.
pub fn base_url(address: SocketAddr) -> ServiceUrl {
    ServiceUrl::parse(&format!("http://{address}")).expect("loopback URL")
}

/// Builds a client with the test token for the service at `address`.
pub fn client(address: SocketAddr) -> Client {
    Client::builder().base_url(base_url(address)).token(Token::new(SECRET)).build().expect("build the client")
}

/// Fails when the token appears in the error's `Display` or `Debug` output.
pub fn assert_no_token(error: &chittyid::client::Error) {
    assert!(!error.to_string().contains(SECRET), "token in Display: {error}");
    assert!(!format!("{error:?}").contains(SECRET), "token in Debug: {error:?}");
}

/// Wraps `body` in a JSON reply with status 200.
pub fn json(body: serde_json::Value) -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::Json(body))
}
