//! The commands, one module each, and what they share: connecting a client to the configured service.

mod health;
mod mint;
mod mint_one;
mod serve;
mod status;
mod validate;
mod watch;

pub(crate) use watch::WatchSettings;

use chittyid::{Client, ServiceUrl, Token};
use tracing::Instrument;

use crate::config::{CommandConfig, Config, ServiceConfig, Target};
use crate::embedded::Embedded;
use crate::exit::Exit;

/// Runs the configured command and returns its exit code.
///
/// # Errors
///
/// Returns the command's error; [`crate::exit::classify`] picks its exit code.
pub(crate) async fn run(config: Config) -> anyhow::Result<Exit> {
    // A one-shot command runs in one span, so that its requests carry a trace context even where they go through
    // the plain client, which makes no spans of its own. Long-running and bulk commands make one trace per call.
    let span = match &config.command {
        CommandConfig::MintOne { .. } => Some("mint"),
        CommandConfig::Validate { remote: Some(_), .. } => Some("validate"),
        CommandConfig::Health { .. } => Some("health"),
        CommandConfig::Status { .. } => Some("status"),
        _ => None,
    }
    .map(|command| tracing::info_span!("chittyid.command", command));
    match span {
        Some(span) => run_command(config).instrument(span).await,
        None => run_command(config).await,
    }
}

async fn run_command(config: Config) -> anyhow::Result<Exit> {
    match config.command {
        CommandConfig::Serve(serve) => serve::run(serve).await,
        CommandConfig::MintOne { service, request, json, listen: None } => {
            with_client(&service, |client| async move { mint_one::run_one(&client, &request, json).await }).await
        }
        CommandConfig::MintOne { service, request, json, listen: Some(listen) } => {
            with_url(&service, |url, token| async move {
                mint_one::run_one_served(url, token, &request, json, listen).await
            })
            .await
        }
        CommandConfig::MintBulk { service, job, json, listen } => mint::run_bulk(&service, &job, json, listen).await,
        CommandConfig::Validate { ids, remote: None, json } => validate::run_offline(&ids, json),
        CommandConfig::Validate { ids, remote: Some(service), json } => {
            with_client(&service, |client| async move { validate::run_remote(&client, &ids, json).await }).await
        }
        CommandConfig::Health { service, json } => {
            with_client(&service, |client| async move { health::run(&client, json).await }).await
        }
        CommandConfig::Watch { service, settings } => {
            with_url(&service, |url, token| async move { watch::run(url, token, settings).await }).await
        }
        CommandConfig::Status { service, json } => {
            with_url(&service, |url, token| async move { status::run(url, token, json).await }).await
        }
    }
}

/// Resolves the service's URL, starting the embedded service first when asked, and runs `command` with it.
async fn with_url<F, Fut>(service: &ServiceConfig, command: F) -> anyhow::Result<Exit>
where
    F: FnOnce(ServiceUrl, Option<Token>) -> Fut,
    Fut: Future<Output = anyhow::Result<Exit>>,
{
    let (url, embedded) = match &service.target {
        Target::Embedded => {
            let embedded = Embedded::start().await?;
            (embedded.url().clone(), Some(embedded))
        }
        Target::Url(url) => (url.clone(), None),
    };
    let result = command(url, service.token.clone()).await;
    if let Some(embedded) = embedded {
        embedded.shutdown().await;
    }
    result
}

/// Builds a client for `service`, starting the embedded service first when asked, and runs `command` with it.
async fn with_client<F, Fut>(service: &ServiceConfig, command: F) -> anyhow::Result<Exit>
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = anyhow::Result<Exit>>,
{
    with_url(service, |url, token| async move {
        let mut builder = Client::builder().base_url(url);
        if let Some(token) = token {
            builder = builder.token(token);
        }
        command(builder.build()?).await
    })
    .await
}
