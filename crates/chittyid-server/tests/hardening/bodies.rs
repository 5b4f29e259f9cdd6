//! Oversized, deeply nested and invalid UTF-8 bodies get JSON errors, never a panic or a stack overflow.

use futures_util::stream;

use crate::{is_healthy, post, start};
use chittyid_server::ServerConfig;

/// The routes that read a JSON body.
const JSON_ROUTES: [&str; 5] = ["/mint", "/v1/mint/batch", "/api/validate", "/api/v2/chittyid/verify", "/admin/faults"];

#[tokio::test]
async fn oversized_body_gets_413_json() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerConfig::new(dir.path()).body_limit(1024)).await;
    let body = format!(r#"{{"entityType":"person","metadata":"{}"}}"#, "x".repeat(2048));

    for route in JSON_ROUTES {
        let reply = post(&server, route, body.clone()).await;
        assert_eq!(reply.status, 413, "{route}: {:?}", reply.json);
        assert_eq!(reply.error_code(), "PAYLOAD_TOO_LARGE", "{route}");
    }
    assert!(is_healthy(&server).await);
}

#[tokio::test]
async fn oversized_chunked_body_gets_413_json() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerConfig::new(dir.path()).body_limit(1024)).await;
    // A streamed body has no Content-Length, so the limit must stop it while it is read.
    let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 256]));
    let body = reqwest::Body::wrap_stream(stream::iter(chunks));

    let reply = post(&server, "/mint", body).await;

    assert_eq!(reply.status, 413, "{:?}", reply.json);
    assert_eq!(reply.error_code(), "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn deeply_nested_json_gets_400() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerConfig::new(dir.path()).body_limit(1024 * 1024)).await;
    let arrays = "[".repeat(100_000);
    let objects = r#"{"a":"#.repeat(100_000);

    for route in JSON_ROUTES {
        for body in [&arrays, &objects] {
            let reply = post(&server, route, body.clone()).await;
            assert_eq!(reply.status, 400, "{route}: {:?}", reply.json);
            assert_eq!(reply.error_code(), "INVALID_JSON", "{route}");
        }
    }
    assert!(is_healthy(&server).await);
}

#[tokio::test]
async fn invalid_utf8_body_gets_400() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerConfig::new(dir.path())).await;
    let in_string = b"{\"entityType\":\"pers\xffon\"}".to_vec();
    let bare = b"\xfe\xff\x00{}".to_vec();

    for route in JSON_ROUTES {
        for body in [&in_string, &bare] {
            let reply = post(&server, route, body.clone()).await;
            assert_eq!(reply.status, 400, "{route}: {:?}", reply.json);
            assert_eq!(reply.error_code(), "INVALID_JSON", "{route}");
        }
    }
    assert!(is_healthy(&server).await);
}
