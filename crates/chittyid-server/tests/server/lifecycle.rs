//! Minting over sockets, restarts, kills and concurrency.

use std::collections::HashSet;

use chittyid::format::ChittyId;
use serde_json::Value;

use crate::{client, mint, start, start_on, stats, url};

#[tokio::test]
async fn mint_over_socket_takes_query_params() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let reply: Value = client()
        .post(url(&server, "/mint?region=9&jurisdiction=deu&trust=5"))
        .body(r#"{"entityType":"authority"}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id: ChittyId = reply["chittyId"].as_str().unwrap().parse().unwrap();
    assert_eq!((id.region(), id.jurisdiction(), id.trust()), (9, "DEU", 5));
    assert_eq!(id.entity_type().letter(), 'A');
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn sequences_persist_across_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();

    let server = start(dir.path()).await;
    let first = mint(&client, &server).await;
    let second = mint(&client, &server).await;
    server.shutdown().await.unwrap();

    let server = start(dir.path()).await;
    let third = mint(&client, &server).await;
    assert_eq!(second.sequence(), first.sequence() + 1);
    assert_eq!(third.sequence(), second.sequence() + 1);
    assert_eq!(stats(&client, &server).await["minted"], 3);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn kill_then_rebind_same_port_repeats_no_id() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let mut seen = HashSet::new();

    let server = start(dir.path()).await;
    let addr = server.local_addr();
    for _ in 0..20 {
        assert!(seen.insert(mint(&client, &server).await.to_string()));
    }
    server.kill().await;

    let server = start_on(dir.path(), addr).await;
    assert_eq!(server.local_addr(), addr);
    for _ in 0..20 {
        let id = mint(&client, &server).await.to_string();
        assert!(seen.insert(id.clone()), "{id} was issued before the kill");
    }
    assert_eq!(stats(&client, &server).await["minted"], 40);
    server.kill().await;
}

#[tokio::test]
async fn kill_during_concurrent_mints_repeats_no_id() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;
    let addr = server.local_addr();

    // Mints in flight when the server dies either commit or fail; none may reappear after the restart.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        let endpoint = url(&server, "/mint");
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            while let Ok(response) = client.post(&endpoint).body(r#"{"entityType":"P"}"#).send().await {
                match response.json::<Value>().await {
                    Ok(reply) => ids.extend(reply["chittyId"].as_str().map(str::to_owned)),
                    Err(_) => break,
                }
            }
            ids
        }));
    }
    while stats(&client, &server).await["minted"].as_u64().unwrap() < 50 {
        tokio::task::yield_now().await;
    }
    server.kill().await;

    let mut seen = HashSet::new();
    for task in tasks {
        for id in task.await.unwrap() {
            assert!(seen.insert(id.clone()), "{id} delivered twice");
        }
    }
    let server = start_on(dir.path(), addr).await;
    for _ in 0..20 {
        let id = mint(&client, &server).await.to_string();
        assert!(!seen.contains(&id), "{id} was issued before the kill");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn concurrent_mints_are_distinct() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let server = start(dir.path()).await;

    let mut tasks = Vec::new();
    for _ in 0..32 {
        let client = client.clone();
        let endpoint = url(&server, "/mint");
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for _ in 0..16 {
                let reply: Value =
                    client.post(&endpoint).body(r#"{"entityType":"P"}"#).send().await.unwrap().json().await.unwrap();
                ids.push(reply["chittyId"].as_str().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut seen = HashSet::new();
    for task in tasks {
        for id in task.await.unwrap() {
            assert!(seen.insert(id.clone()), "{id} issued twice");
        }
    }
    assert_eq!(seen.len(), 512);
    assert_eq!(stats(&client, &server).await["minted"], 512);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn second_server_on_same_dir_fails_to_bind() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let config = chittyid_server::ServerConfig::new(dir.path());
    let error = chittyid_server::Server::bind(config, "127.0.0.1:0".parse().unwrap()).await.unwrap_err();
    assert!(matches!(error, chittyid_server::ServerError::Store(_)), "{error:?}");
    server.shutdown().await.unwrap();
}
