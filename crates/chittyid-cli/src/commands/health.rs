//! `chittyid health`: ask the service whether it is healthy.

use chittyid::Client;
use serde_json::json;

use crate::exit::Exit;
use crate::output::print_line;

/// Prints the service's health, with exit code 0 when healthy and 3 when it replies but reports itself unhealthy.
///
/// # Errors
///
/// Returns the client's error when the service is unreachable or its reply is unusable.
pub(crate) async fn run(client: &Client, json: bool) -> anyhow::Result<Exit> {
    let health = client.health().await?;
    let url = client.base_url().to_string();
    if json {
        let reply = json!({
            "url": url,
            "healthy": health.healthy,
            "status": health.status,
            "service": health.service,
            "version": health.version,
            "uptimeSeconds": health.uptime.map(|uptime| uptime.as_secs_f64()),
        });
        print_line(&reply.to_string())?;
    } else {
        let verdict = if health.healthy { "healthy" } else { "unhealthy" };
        let service = health.service.as_deref().unwrap_or("service");
        let version = health.version.as_deref().map(|version| format!(" {version}")).unwrap_or_default();
        print_line(&format!("{verdict}: {service}{version} at {url} (status {:?})", health.status))?;
    }
    Ok(if health.healthy { Exit::Success } else { Exit::Fatal })
}
