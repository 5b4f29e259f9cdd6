//! The server's error type and the JSON error replies of the HTTP API.
//!
//! Every error reply has the body `{"success":false,"error":"CODE","message":"…"}`. Internal failures get a generic
//! message: the cause is logged once on the server, never sent to the client.

use std::net::SocketAddr;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chittyid::wire::ErrorReply;

use crate::store::StoreError;

/// A failure to start or run the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The listening socket could not be bound.
    #[error("failed to bind {addr}")]
    Bind {
        /// The address to bind.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The configuration has a value the server cannot run with.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The store could not be opened or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The task that ran the server panicked or was cancelled.
    #[error("the server task ended abnormally")]
    Task(#[source] tokio::task::JoinError),
}

/// A JSON error reply.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after_secs: Option<u32>,
    /// Whether the reply carries `Connection: close`, for a request whose body was not read in full.
    close_connection: bool,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after_secs: None, close_connection: false }
    }

    /// 404 for a path that no route serves.
    pub(crate) fn not_found(path: &str) -> ApiError {
        // Bound the echoed path, so that a huge request line is not copied into the reply.
        let path: String = path.chars().take(200).collect();
        ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("Route not found: {path}"))
    }

    /// 400 for a body that is not the JSON the route expects.
    ///
    /// The hosted service replies 503 to malformed JSON. This service uses 400 on purpose: 503 invites clients to
    /// retry a request that can never succeed.
    pub(crate) fn invalid_json(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "INVALID_JSON", message)
    }

    /// 413 for a body over the configured limit.
    pub(crate) fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("the request body exceeds the limit of {limit} bytes"),
        )
    }

    /// 408 for a request body that did not arrive in time. The reply closes the connection, because the rest of
    /// the body may still arrive and cannot be distinguished from a next request.
    pub(crate) fn body_timeout(timeout: std::time::Duration) -> ApiError {
        let message = format!("the request body did not arrive within {} ms", timeout.as_millis());
        let mut error = ApiError::new(StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT", message);
        error.close_connection = true;
        error
    }

    /// 401 for a minting request without a bearer token, when the server requires one.
    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "minting requires an Authorization: Bearer token")
    }

    /// 403 for a bearer token that matches none of the configured tokens.
    pub(crate) fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", "the bearer token is not valid for this service")
    }

    /// 500 with a generic message, for a failure whose cause was already logged.
    pub(crate) fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "internal error")
    }

    /// 503 while the server shuts down; the client may retry after a second.
    pub(crate) fn shutting_down() -> ApiError {
        let mut error =
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "the service is shutting down");
        error.retry_after_secs = Some(1);
        error
    }

    pub(crate) fn with_retry_after(mut self, seconds: u32) -> ApiError {
        self.retry_after_secs = Some(seconds);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorReply { success: false, error: self.code.to_owned(), message: Some(self.message) };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.close_connection {
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
