//! Integration tests on real sockets: the service bound to `127.0.0.1:0`, driven with reqwest.

mod idempotency;
mod lifecycle;
mod metrics;
mod stream;

use std::net::SocketAddr;
use std::path::Path;

use chittyid::format::ChittyId;
use chittyid_server::{RunningServer, Server, ServerConfig};
use serde_json::Value;

/// Starts a server with the admin endpoint on `addr` (port 0 for any free port).
pub(crate) async fn start_on(dir: &Path, addr: SocketAddr) -> RunningServer {
    let config = ServerConfig::new(dir).enable_admin(true);
    Server::bind(config, addr).await.expect("server binds").spawn()
}

pub(crate) async fn start(dir: &Path) -> RunningServer {
    start_on(dir, "127.0.0.1:0".parse().unwrap()).await
}

/// Builds a client that never goes through a proxy, so that loopback traffic stays on loopback.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub(crate) fn url(server: &RunningServer, path: &str) -> String {
    format!("http://{}{path}", server.local_addr())
}

/// Mints one person ID and returns it parsed.
pub(crate) async fn mint(client: &reqwest::Client, server: &RunningServer) -> ChittyId {
    let reply: Value = client
        .post(url(server, "/mint"))
        .body(r#"{"entityType":"person"}"#)
        .send()
        .await
        .expect("mint request is answered")
        .json()
        .await
        .expect("mint reply is JSON");
    reply["chittyId"].as_str().unwrap_or_else(|| panic!("no chittyId in {reply}")).parse().expect("valid ID")
}

pub(crate) async fn stats(client: &reqwest::Client, server: &RunningServer) -> Value {
    client.get(url(server, "/api/stats")).send().await.unwrap().json().await.unwrap()
}
