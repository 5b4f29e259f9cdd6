//! `chittyid mint ENTITY`: one ID to stdout, through the plain client, or through a service whose dashboard and
//! metrics are served with `--listen`.

use std::net::SocketAddr;

use chittyid::format::ChittyId;
use chittyid::resilience::RetryPolicy;
use chittyid::service::{CallOptions, ServiceBuilder};
use chittyid::{Client, Mint, ServiceUrl, Token};
use serde_json::json;

use crate::config::MintOne;
use crate::dashboard;
use crate::exit::Exit;
use crate::output::print_line;

/// Mints one ID and prints it, or with `json` its fields as a JSON object.
///
/// # Errors
///
/// Returns the client's error; a request the service rejects maps to exit code 1.
pub(crate) async fn run_one(client: &Client, request: &MintOne, json: bool) -> anyhow::Result<Exit> {
    let id = client.mint(&mint_request(request)).await?;
    print_id(&id, json)
}

/// Mints one ID as [`run_one`] does, but through a service whose dashboard and metrics are served on `listen`
/// while the command runs.
///
/// The service makes one attempt, as the plain client does, so `--listen` changes what can be observed and not
/// what is sent. An unreachable service fails the call at once as not connected.
///
/// # Errors
///
/// Returns the call's error, or the error of binding `listen`.
pub(crate) async fn run_one_served(
    url: ServiceUrl,
    token: Option<Token>,
    request: &MintOne,
    json: bool,
    listen: SocketAddr,
) -> anyhow::Result<Exit> {
    let mut builder = ServiceBuilder::new(url).retry(RetryPolicy::default().max_attempts(1));
    if let Some(token) = token {
        builder = builder.token(token);
    }
    let service = builder.build()?;
    let monitor = dashboard::start(&service, dashboard::bind(listen).await?)?;
    if let Err(error) = service.connect().await {
        tracing::info!(error = %chittyid::error_chain(&error), "connection attempt failed");
    }
    let result = service.mint_with(&mint_request(request), CallOptions::default().fail_fast()).await;
    service.disconnect().await;
    dashboard::stop(Some(monitor)).await;
    print_id(&result?, json)
}

fn mint_request(request: &MintOne) -> Mint {
    let mut mint = Mint::new(request.entity);
    if let Some(region) = request.region {
        mint = mint.region(region);
    }
    if let Some(jurisdiction) = &request.jurisdiction {
        mint = mint.jurisdiction(jurisdiction.clone());
    }
    if let Some(trust) = request.trust {
        mint = mint.trust(trust);
    }
    mint
}

fn print_id(id: &ChittyId, json: bool) -> anyhow::Result<Exit> {
    if json {
        let reply = json!({
            "chittyId": id.to_string(),
            "entityType": id.entity_type().word(),
            "region": id.region(),
            "jurisdiction": id.jurisdiction(),
            "sequence": id.sequence(),
            "trust": id.trust(),
        });
        print_line(&reply.to_string())?;
    } else {
        print_line(&id.to_string())?;
    }
    Ok(Exit::Success)
}
