//! `chittyid watch`: connect to the service and print every connection event as it happens, optionally serving a
//! live dashboard of it.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use chittyid::connection::{
    ConnectionEvent, ConnectionManager, ConnectionState, EventKind, FailureReason, HealthCheckError,
};
use chittyid::service::ServiceBuilder;
use chittyid::{Backoff, ServiceUrl, Token};

use crate::dashboard;
use crate::exit::Exit;
use crate::output::print_line;

/// How long `watch` waits for the events that follow a change to `FAILED`.
const TRAILING_EVENTS: Duration = Duration::from_millis(200);

/// The manager settings `watch` takes from its flags.
#[derive(Debug, Clone)]
pub(crate) struct WatchSettings {
    /// Time between health checks.
    pub(crate) health_interval: Duration,
    /// Time limit of one health check.
    pub(crate) health_timeout: Duration,
    /// The reconnect backoff.
    pub(crate) backoff: Backoff,
    /// Print one JSON object a line.
    pub(crate) json: bool,
    /// The address of the dashboard and metrics, from `--listen`.
    pub(crate) listen: Option<SocketAddr>,
}

/// Prints the manager's events until Ctrl-C or SIGTERM, then disconnects and returns success. With `--listen`, it
/// serves the dashboard and metrics of the service it watches meanwhile.
///
/// When the manager gives up (`FAILED`: maximum attempts reached, or the token rejected), there is nothing left to
/// watch: it returns [`Exit::Unauthorized`] for a rejected token and [`Exit::Fatal`] otherwise.
///
/// # Errors
///
/// Returns an error when the manager's settings are invalid, the dashboard's address cannot be bound, or stdout is
/// gone.
pub(crate) async fn run(url: ServiceUrl, token: Option<Token>, settings: WatchSettings) -> anyhow::Result<Exit> {
    let (timeout, backoff) = (settings.health_timeout, settings.backoff.clone());
    let mut builder = ServiceBuilder::new(url)
        .health_check_interval(settings.health_interval)
        .connection(move |manager| manager.health_check_timeout(timeout).backoff(backoff));
    if let Some(token) = token {
        builder = builder.token(token);
    }
    let service = builder.build()?;
    let manager = service.connection().clone();
    // Started before the first attempt, so that the dashboard's timeline shows it.
    let monitor = match settings.listen {
        Some(addr) => Some(dashboard::start(&service, dashboard::bind(addr).await?)?),
        None => None,
    };
    let mut events = manager.events();
    let starting = manager.clone();
    // The first attempt's outcome arrives as events too, so its result needs no handling here.
    tokio::spawn(async move { starting.connect().await });

    let shutdown = chittyid_server::shutdown_signal();
    tokio::pin!(shutdown);
    let mut exit = Exit::Success;
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            event = events.recv() => match event {
                Some(Ok(event)) => {
                    print_event(&event, settings.json)?;
                    if let EventKind::StateChange { to: ConnectionState::Failed, .. } = event.kind {
                        // The events that explain the failure follow the state change at once.
                        while let Ok(Some(Ok(event))) = tokio::time::timeout(TRAILING_EVENTS, events.recv()).await {
                            print_event(&event, settings.json)?;
                        }
                        exit = failed_exit(&manager);
                        break;
                    }
                }
                Some(Err(missed)) => {
                    tracing::warn!(count = missed.count, "watch fell behind and missed events");
                }
                None => break,
            },
        }
    }
    manager.disconnect().await;
    dashboard::stop(monitor).await;
    Ok(exit)
}

/// Prints why the manager gave up on stderr and returns the matching exit code.
fn failed_exit(manager: &ConnectionManager) -> Exit {
    let Some(reason) = manager.failure() else { return Exit::Fatal };
    eprintln!("chittyid: watch stopped, the connection manager gave up: {}", chittyid::error_chain(&reason));
    match &reason {
        FailureReason::Permanent { error: HealthCheckError::Unauthorized { .. } } => Exit::Unauthorized,
        _ => Exit::Fatal,
    }
}

fn print_event(event: &ConnectionEvent, json: bool) -> anyhow::Result<()> {
    if json {
        return Ok(print_line(&serde_json::to_string(event)?)?);
    }
    let time = time::OffsetDateTime::from(event.timestamp.min(SystemTime::now()));
    let clock = format!("{:02}:{:02}:{:02}.{:03}", time.hour(), time.minute(), time.second(), time.millisecond());
    let text = match &event.kind {
        EventKind::Connected { service_url } => format!("connected to {service_url}"),
        EventKind::Disconnected { service_url } => format!("disconnected from {service_url}"),
        EventKind::Reconnecting { attempt, delay } => {
            format!("reconnect attempt {attempt} in {} ms", delay.as_millis())
        }
        EventKind::Unhealthy { service_url, reason } => format!("{service_url} is unhealthy: {reason}"),
        EventKind::StateChange { from, to } => format!("state {from} -> {to}"),
        EventKind::Error { error } => format!("error: {error}"),
        EventKind::MaxReconnectAttemptsReached { attempts } => {
            format!("gave up after {attempts} reconnect attempts")
        }
        other => other.name().to_owned(),
    };
    Ok(print_line(&format!("{clock} {text}"))?)
}
