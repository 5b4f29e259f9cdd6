//! Idempotency over sockets: replays across restarts, 409 while running, and a retry after a lost reply.

use std::time::Duration;

use serde_json::Value;

use crate::{client, start, stats, url};

const BODY: &str = r#"{"entityType":"person"}"#;

async fn mint_with_key(client: &reqwest::Client, endpoint: &str, key: &str) -> reqwest::Result<reqwest::Response> {
    client.post(endpoint).header("idempotency-key", key).body(BODY).send().await
}

#[tokio::test]
async fn replay_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();

    let server = start(dir.path()).await;
    let first = mint_with_key(&client, &url(&server, "/mint"), "restart-key").await.unwrap().bytes().await.unwrap();
    server.shutdown().await.unwrap();

    let server = start(dir.path()).await;
    let response = mint_with_key(&client, &url(&server, "/mint"), "restart-key").await.unwrap();
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    assert_eq!(response.bytes().await.unwrap(), first);
    assert_eq!(stats(&client, &server).await["minted"], 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn retry_after_dropped_reply_gets_same_id() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;
    let faults = client.post(url(&server, "/admin/faults")).body(r#"{"mode":"dropAfterCommit","count":1}"#);
    assert!(faults.send().await.unwrap().status().is_success());

    let lost = mint_with_key(&client, &url(&server, "/mint"), "lost-reply").await;
    assert!(lost.is_err(), "the connection closes without a reply: {lost:?}");
    assert_eq!(stats(&client, &server).await["minted"], 1, "the mint was committed");

    let retry: Value =
        mint_with_key(&client, &url(&server, "/mint"), "lost-reply").await.unwrap().json().await.unwrap();
    assert_eq!(retry["success"], true);
    let again: Value =
        mint_with_key(&client, &url(&server, "/mint"), "lost-reply").await.unwrap().json().await.unwrap();
    assert_eq!(retry["chittyId"], again["chittyId"]);
    let counters = stats(&client, &server).await;
    assert_eq!(counters["minted"], 1);
    assert_eq!(counters["idempotentReplays"], 2);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn running_key_gets_409_over_socket() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;
    let slow = client.post(url(&server, "/admin/faults")).body(r#"{"mode":"slowMint","delayMs":3600000,"count":1}"#);
    slow.send().await.unwrap();

    let held_request = {
        let (client, endpoint) = (client.clone(), url(&server, "/mint"));
        tokio::spawn(async move { mint_with_key(&client, &endpoint, "held-key").await })
    };
    // The fault is used up once the held request has claimed its key.
    loop {
        let list: Value = client.get(url(&server, "/admin/faults")).send().await.unwrap().json().await.unwrap();
        if list["faults"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        tokio::task::yield_now().await;
    }

    let response = mint_with_key(&client, &url(&server, "/mint"), "held-key").await.unwrap();
    assert_eq!(response.status(), 409);

    // A graceful shutdown releases the held request with 503 instead of waiting an hour.
    tokio::time::timeout(Duration::from_secs(10), server.shutdown()).await.expect("shutdown is not held up").unwrap();
    let held_status = held_request.await.unwrap().map(|response| response.status().as_u16());
    assert!(matches!(held_status, Ok(503) | Err(_)), "{held_status:?}");
}
