//! Classification of transport failures and of the `Retry-After` header.
//!
//! reqwest reports most failures as one opaque error type. The kinds that the retry and connection layers need
//! (could not connect, closed before the reply, timed out) are found by walking its source chain down to hyper's and
//! the operating system's errors.

use std::error::Error as StdError;
use std::io;
use std::time::{Duration, SystemTime};

use super::error::ErrorKind;

/// Maps a reqwest error to the kind of failure. `timeout` is the operation's timeout, reported in the kind.
pub(crate) fn classify(error: &reqwest::Error, timeout: Duration) -> ErrorKind {
    // A connect failure comes first: a reset during the TLS handshake means the request was never sent.
    if error.is_connect() {
        return ErrorKind::Connect;
    }
    if closed_before_reply(error) {
        return ErrorKind::ConnectionClosed;
    }
    if error.is_timeout() {
        return ErrorKind::Timeout { after: timeout };
    }
    ErrorKind::Transport
}

/// Tells whether the chain contains hyper's "incomplete message" or an I/O error that means the peer went away.
fn closed_before_reply(error: &reqwest::Error) -> bool {
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = next {
        if let Some(hyper_error) = current.downcast_ref::<hyper::Error>()
            && (hyper_error.is_incomplete_message() || hyper_error.is_canceled() || hyper_error.is_closed())
        {
            return true;
        }
        if let Some(io_error) = current.downcast_ref::<io::Error>()
            && matches!(
                io_error.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::BrokenPipe
            )
        {
            return true;
        }
        next = current.source();
    }
    false
}

/// Parses a `Retry-After` value: delay-seconds, or an HTTP date measured from `now`. A date in the past is a zero
/// delay. Returns `None` for anything else.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // Values too large for u64 are capped rather than ignored: the service asked for a very long wait.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_parse() {
        assert_eq!(parse_retry_after(" 120 ", SystemTime::now()), Some(Duration::from_secs(120)));
    }

    #[test]
    fn retry_after_date_is_measured_from_now() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:00 GMT").unwrap();
        let delay = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now);
        assert_eq!(delay, Some(Duration::from_secs(37)));
    }

    #[test]
    fn retry_after_past_date_is_zero() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:50:00 GMT").unwrap();
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_garbage_is_ignored() {
        for value in ["", "-1", "soon", "1.5"] {
            assert_eq!(parse_retry_after(value, SystemTime::now()), None, "{value:?}");
        }
    }
}
