//! The health stream: `GET /health/stream`, server-sent events that the manager keeps open while connected.
//!
//! The local service sends an `event: health` with the health reply at once, then a `:` comment every 15 s. A
//! stream that ends, fails, reports an unhealthy service or stays silent past the silence timeout counts as broken,
//! which tells the manager of a dead service long before the next polling tick. A service without the stream
//! answers 404, and the manager then polls only.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use super::probe::{HttpProbeInner, MAX_HEALTH_BODY, StreamEnd, request};
use crate::wire::HealthReply;

pub(super) async fn watch_http(inner: &HttpProbeInner) -> StreamEnd {
    let send = request(inner, &inner.stream_url).header(ACCEPT, "text/event-stream").send();
    let mut response = match tokio::time::timeout(inner.open_timeout, send).await {
        Err(_) => return StreamEnd::Broken("opening the health stream timed out".into()),
        Ok(Err(error)) => return StreamEnd::Broken(format!("opening the health stream failed: {error}")),
        Ok(Ok(response)) => response,
    };

    let status = response.status();
    if matches!(status, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED) {
        return StreamEnd::Unsupported;
    }
    if !status.is_success() {
        return StreamEnd::Broken(format!("health stream returned HTTP {}", status.as_u16()));
    }
    let is_event_stream = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    if !is_event_stream {
        return StreamEnd::Unsupported;
    }

    let mut parser = EventParser::default();
    loop {
        let chunk = match tokio::time::timeout(inner.silence_timeout, response.chunk()).await {
            Err(_) => return StreamEnd::Broken(format!("health stream silent for {:?}", inner.silence_timeout)),
            Ok(Err(error)) => return StreamEnd::Broken(format!("health stream failed: {error}")),
            Ok(Ok(None)) => return StreamEnd::Broken("health stream ended".into()),
            Ok(Ok(Some(chunk))) => chunk,
        };
        if let Err(end) = parser.feed(&chunk) {
            return end;
        }
    }
}

/// A minimal server-sent events reader: it only needs the `data` of `health` events.
#[derive(Debug, Default)]
struct EventParser {
    line: Vec<u8>,
    event: String,
    data: String,
}

impl EventParser {
    /// Consumes bytes; returns the end of the stream when an event reports an unhealthy service.
    fn feed(&mut self, bytes: &[u8]) -> Result<(), StreamEnd> {
        for &byte in bytes {
            if byte != b'\n' {
                self.line.push(byte);
                if self.line.len() + self.data.len() > MAX_HEALTH_BODY {
                    return Err(StreamEnd::Broken("health stream event too large".into()));
                }
                continue;
            }
            let line = std::mem::take(&mut self.line);
            let line = String::from_utf8_lossy(&line);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.is_empty() {
                self.dispatch()?;
            } else if let Some(value) = line.strip_prefix("event:") {
                self.event = value.trim_start().to_owned();
            } else if let Some(value) = line.strip_prefix("data:") {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(value.strip_prefix(' ').unwrap_or(value));
            }
        }
        Ok(())
    }

    fn dispatch(&mut self) -> Result<(), StreamEnd> {
        let event = std::mem::take(&mut self.event);
        let data = std::mem::take(&mut self.data);
        if event != "health" {
            return Ok(());
        }
        match serde_json::from_str::<HealthReply>(&data) {
            Ok(reply) if reply.is_healthy() => Ok(()),
            Ok(_) => Err(StreamEnd::Broken("health stream reports an unhealthy service".into())),
            Err(_) => Err(StreamEnd::Broken("health stream sent an invalid health event".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_events_and_comments_keep_the_stream() {
        let mut parser = EventParser::default();
        let input = b"event: health\ndata: {\"status\":\"ok\"}\n\n: keep-alive\n\n";
        assert_eq!(parser.feed(input), Ok(()));
    }

    #[test]
    fn events_split_across_chunks_are_read() {
        let mut parser = EventParser::default();
        assert_eq!(parser.feed(b"event: hea"), Ok(()));
        assert_eq!(parser.feed(b"lth\r\ndata: {\"status\":"), Ok(()));
        let end = parser.feed(b"\"down\"}\r\n\r\n");
        assert!(matches!(end, Err(StreamEnd::Broken(_))));
    }

    #[test]
    fn invalid_health_event_breaks_the_stream() {
        let mut parser = EventParser::default();
        assert!(matches!(parser.feed(b"event: health\ndata: nope\n\n"), Err(StreamEnd::Broken(_))));
    }

    #[test]
    fn oversized_event_breaks_the_stream() {
        let mut parser = EventParser::default();
        let huge = vec![b'x'; MAX_HEALTH_BODY + 1];
        assert!(matches!(parser.feed(&huge), Err(StreamEnd::Broken(_))));
    }
}
