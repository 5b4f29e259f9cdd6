//! A guard against DNS rebinding for monitoring endpoints bound to loopback.
//!
//! The endpoints have no authentication and rely on being reachable only from this machine. A web page from another
//! site can still reach them through the user's browser: its host name is made to resolve to `127.0.0.1`, and the
//! browser then treats the loopback endpoint as that site's own origin. Such a request names the site's host in its
//! `Host` header, so rejecting every host other than `localhost` and loopback IP addresses stops it.

use std::net::IpAddr;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Rejects, with `421 Misdirected Request`, a request whose host (the `Host` header, or the authority of an HTTP/2
/// request) is neither `localhost` nor a loopback IP address. A request with no host at all, as HTTP/1.0 allows,
/// passes.
///
/// [`Monitor::serve`](super::Monitor::serve) adds it when the listener is on a loopback address. Add it with
/// [`axum::middleware::from_fn`] to a router you serve on loopback yourself.
pub async fn loopback_host_only(request: Request, next: Next) -> Response {
    let host = request
        .uri()
        .host()
        .map(str::to_owned)
        .or_else(|| request.headers().get(header::HOST).and_then(|value| value.to_str().ok()).map(strip_port));
    match host {
        Some(host) if !is_loopback_host(&host) => {
            tracing::debug!(%host, "monitor rejected a request for another host");
            let message = "this endpoint listens on loopback and answers only requests for localhost or a loopback \
                           address; open it as http://127.0.0.1:PORT/";
            (StatusCode::MISDIRECTED_REQUEST, message).into_response()
        }
        _ => next.run(request).await,
    }
}

/// Returns the host part of a `Host` header value: `[::1]:80` gives `[::1]`, `example.com:80` gives `example.com`.
fn strip_port(value: &str) -> String {
    let host = match value.rfind(':') {
        Some(colon) if !value[colon..].contains(']') => &value[..colon],
        _ => value,
    };
    host.to_owned()
}

fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_pass() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "[::1]"] {
            assert!(is_loopback_host(host), "{host} should pass");
        }
    }

    #[test]
    fn other_names_are_rejected() {
        for host in ["example.com", "localhost.example.com", "10.0.0.1", "0.0.0.0", "[::]", ""] {
            assert!(!is_loopback_host(host), "{host} should be rejected");
        }
    }

    #[test]
    fn port_is_stripped() {
        assert_eq!(strip_port("127.0.0.1:9464"), "127.0.0.1");
        assert_eq!(strip_port("[::1]:9464"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
        assert_eq!(strip_port("evil.example:80"), "evil.example");
        assert_eq!(strip_port("localhost"), "localhost");
    }
}
