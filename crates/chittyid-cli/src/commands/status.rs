//! `chittyid status`: connect to the service and print the health report of every layer.

use std::time::Duration;

use chittyid::connection::{ConnectionState, FailureReason, HealthCheckError};
use chittyid::service::ServiceBuilder;
use chittyid::{ServiceUrl, Token};

use crate::exit::Exit;
use crate::output::print_line;

/// How long `status` waits for the connection before it reports what it has.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// Connects, prints the report (JSON with `json`), and returns success when the connection is `CONNECTED`,
/// [`Exit::Unauthorized`] when the service rejected the token, else [`Exit::Fatal`].
///
/// # Errors
///
/// Returns an error when the service settings are invalid or stdout is gone.
pub(crate) async fn run(url: ServiceUrl, token: Option<Token>, json: bool) -> anyhow::Result<Exit> {
    let mut builder = ServiceBuilder::new(url);
    if let Some(token) = token {
        builder = builder.token(token);
    }
    let service = builder.build()?;
    // A failed first attempt leaves the manager retrying, and the report shows that state.
    let _ = tokio::time::timeout(CONNECT_WAIT, service.connect()).await;
    let report = service.health_report().await;
    let token_rejected = matches!(
        service.connection().failure(),
        Some(FailureReason::Permanent { error: HealthCheckError::Unauthorized { .. } })
    );
    service.disconnect().await;

    if json {
        print_line(&serde_json::to_string_pretty(&report)?)?;
    } else {
        let connection = &report.connection;
        let breaker = &report.resilience.circuit_breaker;
        let cache = &report.resilience.cache;
        print_line(&format!("service     {} ({})", report.service.url, service_status(&report.service)))?;
        print_line(&format!(
            "connection  {} (healthy: {}, health checks {}/{})",
            connection.state,
            connection.is_healthy,
            connection.stats.successful_health_checks,
            connection.stats.total_health_checks
        ))?;
        let breaker_state = serde_json::to_value(breaker.state)?;
        let breaker_state = breaker_state.as_str().unwrap_or("UNKNOWN");
        print_line(&format!("breaker     {breaker_state}, {} rejected", breaker.rejected_calls))?;
        let retry = &report.resilience.retry;
        print_line(&format!(
            "retry       {} attempts per call, budget: {} retries allowed, {} refused",
            retry.max_attempts, retry.budget.retries_allowed, retry.budget.retries_refused
        ))?;
        print_line(&format!("cache       {} of {} entries", cache.size, cache.capacity))?;
        print_line(&format!("format      {}", report.format))?;
    }
    Ok(match report.connection.state {
        ConnectionState::Connected => Exit::Success,
        _ if token_rejected => Exit::Unauthorized,
        _ => Exit::Fatal,
    })
}

fn service_status(service: &chittyid::service::ServiceInfo) -> String {
    match (&service.status, &service.error) {
        (Some(status), _) => format!("status {status}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "no reply".to_owned(),
    }
}
