//! Hardening tests: hostile bodies, slow clients and floods of idempotency keys, against the real service on
//! `127.0.0.1:0` or its router with a real store.

mod bodies;
mod keys;
mod slow;

use std::net::SocketAddr;

use chittyid_server::{RunningServer, Server, ServerConfig};
use serde_json::Value;

/// Starts a server with the admin endpoint and `config`'s limits on a free loopback port.
pub(crate) async fn start(config: ServerConfig) -> RunningServer {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Server::bind(config.enable_admin(true), addr).await.expect("server binds").spawn()
}

/// Builds a client that never goes through a proxy, so that loopback traffic stays on loopback.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub(crate) fn url(server: &RunningServer, path: &str) -> String {
    format!("http://{}{path}", server.local_addr())
}

/// A reply read in full: status, `error` code and the body as JSON (`Null` when it is not JSON).
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) json: Value,
}

impl Reply {
    pub(crate) fn error_code(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }
}

/// Posts `body` to `path` and reads the reply.
pub(crate) async fn post(server: &RunningServer, path: &str, body: impl Into<reqwest::Body>) -> Reply {
    let response = client().post(url(server, path)).body(body).send().await.expect("request is answered");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("reply body is read");
    Reply { status, json: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// Tells whether the server still replies 200 to `/health`.
pub(crate) async fn is_healthy(server: &RunningServer) -> bool {
    match client().get(url(server, "/health")).send().await {
        Ok(response) => response.status() == 200,
        Err(_) => false,
    }
}
