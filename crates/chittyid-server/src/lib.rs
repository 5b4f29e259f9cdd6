//! A local ChittyID-compatible service: durable sequences, idempotent mints and fault injection.
//!
//! It speaks the hosted service's default dialect and the older aliases that clients in the wild still call, so a
//! client can be developed and tested against it without the network:
//!
//! | route | purpose |
//! |---|---|
//! | `POST /mint` (`/v1/mint`, `/api/v1/mint`, `/api/v2/chittyid/mint`, `GET /api/get-chittyid`, `GET /generate`) | mint one ID |
//! | `POST /v1/mint/batch` (`/api/v1/mint/batch`, `/api/v2/chittyid/mint/batch`) | mint up to 1,000 IDs |
//! | `POST /api/validate`, `GET /v1/validate/{id}`, `GET /api/v1/validate/{id}`, `POST /api/v2/chittyid/verify` | validate; `/api/validate` also replaces fallback IDs |
//! | `GET /health` (`/api/health`, `/v1/health`, `/api/v1/health`), `GET /health/stream` | health, and a server-sent event stream |
//! | `GET /api/spec`, `GET /api/stats` | the format, and the minted and replayed counts |
//! | `GET /metrics` | Prometheus metrics in OpenMetrics text; see [`ServerMetrics`] |
//! | `POST`/`DELETE`/`GET /admin/faults` | fault injection, only with [`ServerConfig::enable_admin`]; see [`Fault`] |
//!
//! [`dashboard`] serves a live page of the service's own counters on a listener of its own.
//!
//! # Guarantees
//!
//! - **No duplicate IDs, also after a crash.** Sequence numbers are committed with fsync before the reply is sent
//!   (see [`store`]). Each (region, jurisdiction, type, month) has the numbers `0001`–`9999`; when they are spent,
//!   the service replies `{"success":false,"error":"SEQUENCE_EXHAUSTED"}` and never wraps.
//! - **Idempotent mints.** With an `Idempotency-Key` header (at most 255 characters), a repeated request gets the
//!   stored reply byte for byte, marked `Idempotent-Replayed: true`. The same key with another request gets 422
//!   `IDEMPOTENCY_KEY_REUSED`, and the same key while the first request runs gets 409 `IDEMPOTENCY_KEY_IN_USE`.
//!   Records survive restarts and are kept at least 24 hours.
//! - **Authentication.** With tokens configured, minting (and replacing fallback IDs) needs
//!   `Authorization: Bearer <token>` (401 `UNAUTHORIZED` without). A token that matches none gets 403 `FORBIDDEN` on
//!   every route, `/health` included, while `/health` without a token stays open for load balancers.
//! - **Errors as JSON.** Unknown routes get 404 `NOT_FOUND`, wrong methods 405, bodies over the limit 413, and
//!   malformed JSON 400 `INVALID_JSON`. The hosted service replies 503 to malformed JSON; this one does not,
//!   because 503 invites clients to retry a request that can never succeed. Rejected parameters get 200 with
//!   `success:false`, as from the hosted service.
//! - **Bounded resources.** Bodies over [`ServerConfig::body_limit`] get 413, and JSON nested deeper than 128
//!   levels or invalid UTF-8 get 400. A client slower than [`ServerConfig::header_read_timeout`] or
//!   [`ServerConfig::body_read_timeout`] is disconnected. At most [`ServerConfig::max_keys_in_flight`] idempotency
//!   keys are held in memory, because a finished request's key lives only in the store.
//!
//! # Examples
//!
//! ```
//! use chittyid_server::{Server, ServerConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let server = Server::bind(ServerConfig::new(dir.path()), "127.0.0.1:0".parse()?).await?;
//! let running = server.spawn();
//! println!("listening on http://{}", running.local_addr());
//! running.shutdown().await?;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

mod auth;
mod config;
pub mod dashboard;
mod error;
mod faults;
mod idempotency;
mod metrics;
mod request_span;
mod router;
mod routes;
mod server;
mod state;
pub mod store;

pub use config::{
    ConfigError, DEFAULT_BODY_LIMIT, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_MAX_KEYS_IN_FLIGHT, DEFAULT_STREAM_KEEPALIVE, ServerConfig,
};
pub use error::ServerError;
pub use faults::{Fault, FaultPlan};
pub use idempotency::{MAX_KEY_LEN as MAX_IDEMPOTENCY_KEY_LEN, REPLAYED_HEADER};
pub use metrics::{MAX_SEQUENCE_SERIES, METRICS_CONTENT_TYPE, RequestsByStatusClass, ServerMetrics, ServerSnapshot};
pub use router::router;
pub use routes::batch::MAX_BATCH_ENTRIES;
pub use server::{RunningServer, Server, shutdown_signal, startup_line};
pub use state::AppState;
