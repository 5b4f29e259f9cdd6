//! Tracing logs on stderr, kept apart from the user messages and machine output of the commands, and with the
//! `otel` feature, span export to an OpenTelemetry collector.
//!
//! `RUST_LOG` wins when set. Otherwise `serve` logs at info, so that it reports its start and stop, and the other
//! commands log warnings only, raised by each `-v` to info, debug and trace. Exported spans have their own filter:
//! every span of the client library and the local service down to debug, whatever the log level, so that
//! `--otlp-endpoint` needs no `-v`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{CommandConfig, Config};

/// Keeps span export running. Dropping it sends the spans still queued, so keep it until the command has ended.
#[derive(Debug)]
pub(crate) struct LoggingGuard {
    #[cfg(feature = "otel")]
    _telemetry: Option<chittyid::telemetry::Telemetry>,
}

/// Installs the global tracing subscriber, with span export to `otlp_endpoint` when one is given.
///
/// # Errors
///
/// Fails when `otlp_endpoint` is not a valid collector URL or the exporter cannot start.
pub(crate) fn init(config: &Config, otlp_endpoint: Option<&str>) -> anyhow::Result<LoggingGuard> {
    let base = match config.command {
        CommandConfig::Serve(_) => 2,
        _ => 1,
    };
    let level = match base + config.verbose {
        0 | 1 => "warn",
        2 => "info",
        3 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter);

    #[cfg(feature = "otel")]
    if let Some(endpoint) = otlp_endpoint {
        use anyhow::Context as _;
        use tracing::Level;
        use tracing_subscriber::filter::Targets;

        let service_name = match config.command {
            CommandConfig::Serve(_) => "chittyid-server",
            _ => chittyid::telemetry::DEFAULT_SERVICE_NAME,
        };
        let telemetry = chittyid::telemetry::OtlpBuilder::new(endpoint)
            .service_name(service_name)
            .build()
            .context("failed to start span export for --otlp-endpoint")?;
        let exported =
            Targets::new().with_target("chittyid", Level::DEBUG).with_target("chittyid_server", Level::DEBUG);
        // A second install (impossible in this binary) would only be ignored.
        let _ = tracing_subscriber::registry().with(logs).with(telemetry.layer().with_filter(exported)).try_init();
        return Ok(LoggingGuard { _telemetry: Some(telemetry) });
    }
    #[cfg(not(feature = "otel"))]
    let _ = otlp_endpoint;

    // A second install (impossible in this binary) would only be ignored.
    let _ = tracing_subscriber::registry().with(logs).try_init();
    Ok(LoggingGuard {
        #[cfg(feature = "otel")]
        _telemetry: None,
    })
}
