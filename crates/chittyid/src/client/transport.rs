//! One HTTP exchange: send a request with the client's headers, read the reply within a size limit and a timeout,
//! and turn the status and body into a decoded reply or a typed [`Error`].

use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::classify::{classify, parse_retry_after};
use super::error::{Error, ErrorKind, Operation};
use crate::token::Token;
use crate::wire::{ErrorReply, IDEMPOTENCY_KEY_HEADER, MintQuery};

/// The HTTP side of a client: the connection pool, the token and the reply size limit.
#[derive(Clone)]
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) token: Option<Token>,
    pub(crate) max_response_bytes: usize,
}

/// One request to send: what, where, and within which timeout.
pub(crate) struct Call<'a> {
    pub(crate) operation: Operation,
    pub(crate) method: Method,
    /// The request URL without query; errors and logs show this URL.
    pub(crate) url: Url,
    pub(crate) query: Option<MintQuery>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) idempotency_key: Option<&'a str>,
    pub(crate) timeout: Duration,
}

/// A reply read in full, before its status is judged.
struct RawReply {
    status: StatusCode,
    retry_after: Option<Duration>,
    is_json: bool,
    body: Result<Vec<u8>, Error>,
}

impl Transport {
    /// Sends `call` and decodes a 2xx JSON reply as `T`.
    ///
    /// # Errors
    ///
    /// Every failure is an [`Error`] naming `call.operation` and `call.url`: transport failures, timeouts, statuses
    /// other than 2xx, bodies over the size limit, and bodies that are not JSON of the expected shape.
    pub(crate) async fn send<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, Error> {
        let started = tokio::time::Instant::now();
        let (operation, url, timeout) = (call.operation, call.url.clone(), call.timeout);
        let outcome = match tokio::time::timeout(timeout, self.exchange(call)).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(Error::new(operation, Some(url.clone()), ErrorKind::Timeout { after: timeout })),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let reply = match outcome {
            Ok(reply) => reply,
            Err(error) => {
                tracing::debug!(%operation, %url, elapsed_ms, %error, "chittyid request failed");
                return Err(error);
            }
        };
        tracing::debug!(%operation, %url, status = reply.status.as_u16(), elapsed_ms, "chittyid request finished");
        judge(operation, url, reply)
    }

    async fn exchange(&self, call: Call<'_>) -> Result<RawReply, Error> {
        let fail = |kind| Error::new(call.operation, Some(call.url.clone()), kind);
        let mut request_url = call.url.clone();
        if let Some(query) = &call.query {
            append_query(&mut request_url, query);
        }
        let mut request = self.http.request(call.method, request_url).header(ACCEPT, "application/json");
        if let Some(token) = &self.token {
            let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose())).map_err(|_| {
                fail(ErrorKind::Config { reason: "token contains characters not allowed in a header".into() })
            })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        if let Some(key) = call.idempotency_key {
            request = request.header(IDEMPOTENCY_KEY_HEADER, key);
        }
        if let Some(body) = call.body {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }

        #[cfg(feature = "otel")]
        let request = crate::telemetry::inject_trace_context(request);
        let mut response =
            request.send().await.map_err(|error| fail(classify(&error, call.timeout)).with_source(error))?;
        let status = response.status();
        let headers = response.headers();
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let is_json = headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(is_json_media_type);
        let body =
            read_limited(&mut response, self.max_response_bytes, call.timeout).await.map_err(|(kind, source)| {
                let error = fail(kind);
                match source {
                    Some(source) => error.with_source(source),
                    None => error,
                }
            });
        Ok(RawReply { status, retry_after, is_json, body })
    }
}

/// Reads the body chunk by chunk and stops as soon as it passes `limit`, dropping the connection.
async fn read_limited(
    response: &mut Response,
    limit: usize,
    timeout: Duration,
) -> Result<Vec<u8>, (ErrorKind, Option<reqwest::Error>)> {
    let too_large = || (ErrorKind::BodyTooLarge { limit }, None);
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > limit => return Err(too_large()),
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return Ok(body),
            Err(error) => return Err((classify(&error, timeout), Some(error))),
        }
    }
}

/// Turns a read reply into `T`, or into the error its status and body describe.
fn judge<T: DeserializeOwned>(operation: Operation, url: Url, reply: RawReply) -> Result<T, Error> {
    let status = reply.status;
    if !status.is_success() {
        // The error body only adds detail, so a body that cannot be read does not hide the status.
        let message = reply.body.ok().filter(|_| reply.is_json).and_then(|body| error_message(&body));
        let kind = match status {
            StatusCode::UNAUTHORIZED => ErrorKind::Unauthorized { message },
            StatusCode::FORBIDDEN => ErrorKind::Forbidden { message },
            _ => ErrorKind::Status { status, retry_after: reply.retry_after, message },
        };
        return Err(Error::new(operation, Some(url), kind));
    }
    let body = reply.body?;
    if !reply.is_json {
        let reason = "content type is not application/json".to_owned();
        return Err(Error::new(operation, Some(url), ErrorKind::Decode { reason }));
    }
    serde_json::from_slice(&body).map_err(|error| {
        let reason = "body is not the expected JSON reply".to_owned();
        Error::new(operation, Some(url), ErrorKind::Decode { reason }).with_source(error)
    })
}

/// Extracts the `message`, or else the `error`, of a JSON error body, truncated to 200 characters.
fn error_message(body: &[u8]) -> Option<String> {
    let reply: ErrorReply = serde_json::from_slice(body).ok()?;
    let text = reply.message.filter(|message| !message.is_empty()).unwrap_or(reply.error);
    (!text.is_empty()).then(|| text.chars().take(200).collect())
}

fn append_query(url: &mut Url, query: &MintQuery) {
    if query == &MintQuery::default() {
        return;
    }
    let mut pairs = url.query_pairs_mut();
    if let Some(region) = query.region {
        pairs.append_pair("region", &region.to_string());
    }
    if let Some(jurisdiction) = &query.jurisdiction {
        pairs.append_pair("jurisdiction", jurisdiction);
    }
    if let Some(trust) = query.trust {
        pairs.append_pair("trust", &trust.to_string());
    }
}

/// Tells whether a `Content-Type` value is JSON: `application/json` or any `+json` type, with any parameters.
fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types_are_recognised() {
        for value in ["application/json", "Application/JSON; charset=utf-8", "application/problem+json"] {
            assert!(is_json_media_type(value), "{value}");
        }
    }

    #[test]
    fn other_media_types_are_not_json() {
        for value in ["text/html", "text/json", "", "application/jsonp"] {
            assert!(!is_json_media_type(value), "{value}");
        }
    }

    #[test]
    fn error_message_prefers_message() {
        let body = br#"{"success":false,"error":"NOT_FOUND","message":"Route not found: /x"}"#;
        assert_eq!(error_message(body).as_deref(), Some("Route not found: /x"));
    }

    #[test]
    fn error_message_falls_back_to_error() {
        assert_eq!(error_message(br#"{"success":false,"error":"busy"}"#).as_deref(), Some("busy"));
    }

    #[test]
    fn query_is_appended_in_order() {
        let mut url = Url::parse("http://127.0.0.1:1/mint").unwrap();
        let query = MintQuery { region: Some(3), jurisdiction: Some("GBR".into()), trust: Some(2) };
        append_query(&mut url, &query);
        assert_eq!(url.as_str(), "http://127.0.0.1:1/mint?region=3&jurisdiction=GBR&trust=2");
    }
}
