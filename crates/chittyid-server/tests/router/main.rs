//! Router-level tests: every route family driven through `tower::ServiceExt::oneshot`, without a socket.

mod auth;
mod envelope;
mod faults;
mod idempotency;
mod mint;
mod validate;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chittyid_server::{AppState, ServerConfig, router};
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

/// An opened state and the directory of its store.
pub(crate) struct Harness {
    pub(crate) state: AppState,
    _dir: TempDir,
}

/// A reply with its body parsed as JSON (`Value::Null` when it is not JSON).
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) bytes: bytes::Bytes,
    pub(crate) json: Value,
}

impl Harness {
    pub(crate) fn new() -> Harness {
        Harness::with(|config| config)
    }

    pub(crate) fn with(configure: impl FnOnce(ServerConfig) -> ServerConfig) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let config = configure(ServerConfig::new(dir.path()).enable_admin(true));
        Harness { state: AppState::open(&config).unwrap(), _dir: dir }
    }

    pub(crate) fn from_state(state: AppState, dir: TempDir) -> Harness {
        Harness { state, _dir: dir }
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Reply {
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, bytes, json }
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    pub(crate) async fn post(&self, path: &str, body: &str) -> Reply {
        self.send(post(path).body(Body::from(body.to_owned())).unwrap()).await
    }
}

/// Starts a POST request with a JSON content type.
pub(crate) fn post(path: &str) -> axum::http::request::Builder {
    Request::builder().method(Method::POST).uri(path).header("content-type", "application/json")
}
