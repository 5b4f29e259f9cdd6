//! The health probe: one `GET /health` with the bearer token, and the health stream, behind a small trait.
//!
//! The trait lets the state machine's unit tests run on tokio's paused clock with a scripted probe, because real
//! sockets and a paused clock do not mix: paused time jumps ahead whenever the runtime waits on I/O.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;

use super::HealthCheckError;
use crate::Token;
use crate::wire::HealthReply;

/// The largest health reply body read, in bytes. Anything longer is rejected, not buffered.
pub(super) const MAX_HEALTH_BODY: usize = 64 * 1024;

pub(super) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The end of a health stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StreamEnd {
    /// The service has no health stream (404, 405, 501, or not `text/event-stream`); poll instead.
    Unsupported,
    /// The stream broke, went silent or reported an unhealthy service; the reason is for logs.
    Broken(String),
}

/// Checks the service's health. Implemented over HTTP, and by scripted probes in unit tests.
pub(crate) trait Probe: Send + Sync + 'static {
    /// Runs one health check. The caller applies the timeout.
    fn check(&self) -> BoxFuture<Result<HealthReply, HealthCheckError>>;

    /// Holds the health stream open and resolves when it ends.
    fn watch(&self) -> BoxFuture<StreamEnd>;
}

/// The probe over HTTP, sharing one `reqwest::Client` with the code that built it.
#[derive(Debug, Clone)]
pub(super) struct HttpProbe {
    inner: Arc<HttpProbeInner>,
}

#[derive(Debug)]
pub(super) struct HttpProbeInner {
    pub(super) client: reqwest::Client,
    pub(super) health_url: url::Url,
    pub(super) stream_url: url::Url,
    pub(super) token: Option<Token>,
    /// How long opening the stream may take.
    pub(super) open_timeout: Duration,
    /// How long the open stream may stay silent before it counts as broken.
    pub(super) silence_timeout: Duration,
}

impl HttpProbe {
    pub(super) fn new(inner: HttpProbeInner) -> HttpProbe {
        HttpProbe { inner: Arc::new(inner) }
    }
}

impl Probe for HttpProbe {
    fn check(&self) -> BoxFuture<Result<HealthReply, HealthCheckError>> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move { check_http(&inner).await })
    }

    fn watch(&self) -> BoxFuture<StreamEnd> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move { super::stream::watch_http(&inner).await })
    }
}

pub(super) fn request(inner: &HttpProbeInner, url: &url::Url) -> reqwest::RequestBuilder {
    let request = inner.client.get(url.clone());
    #[cfg(feature = "otel")]
    let request = crate::telemetry::inject_trace_context(request);
    match &inner.token {
        // bearer_auth marks the header as sensitive, so reqwest keeps it out of its own Debug output.
        Some(token) => request.bearer_auth(token.expose()),
        None => request,
    }
}

async fn check_http(inner: &HttpProbeInner) -> Result<HealthReply, HealthCheckError> {
    let mut response = match request(inner, &inner.health_url).send().await {
        Ok(response) => response,
        // A pooled connection that the service closed while it was idle fails after the request was written and
        // before any reply. Services close idle connections after a timeout that can equal the check interval (the
        // local service's is 30 s), so such a failure tells nothing about the service, but one more request on a
        // fresh connection does. A service that is gone refuses that connection at once.
        Err(error) if is_reused_connection_closed(&error) => {
            tracing::debug!(%error, "health check request failed before any reply; retrying once");
            request(inner, &inner.health_url).send().await.map_err(classify_send_error)?
        }
        Err(error) => return Err(classify_send_error(error)),
    };
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Err(HealthCheckError::Unauthorized { status: status.as_u16() });
    }
    if !status.is_success() {
        return Err(HealthCheckError::Status { status: status.as_u16() });
    }

    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify_send_error)? {
        if body.len() + chunk.len() > MAX_HEALTH_BODY {
            return Err(HealthCheckError::BodyTooLarge { limit: MAX_HEALTH_BODY });
        }
        body.extend_from_slice(&chunk);
    }
    let reply: HealthReply =
        serde_json::from_slice(&body).map_err(|source| HealthCheckError::InvalidBody { source: Arc::new(source) })?;
    if !reply.is_healthy() {
        return Err(HealthCheckError::Unhealthy { status: reply.status.chars().take(64).collect() });
    }
    Ok(reply)
}

/// Tells whether sending failed after a connection was established and before a reply started: the connection
/// was closed or reset, not refused, and no timeout expired.
///
/// NOTE: reqwest does not say whether the connection came from the pool, so a new connection that the service
/// closes at once also gets the one retry.
fn is_reused_connection_closed(error: &reqwest::Error) -> bool {
    error.is_request() && !error.is_connect() && !error.is_timeout()
}

fn classify_send_error(error: reqwest::Error) -> HealthCheckError {
    // reqwest errors never contain the Authorization header; the URL they may carry has no credentials, because
    // ServiceUrl rejects them.
    if error.is_builder() {
        HealthCheckError::InvalidRequest { source: Arc::new(error) }
    } else {
        HealthCheckError::Transport { source: Arc::new(error) }
    }
}
