//! OpenTelemetry export of the library's `tracing` spans over OTLP/HTTP, and W3C trace context on every request.
//!
//! The library already records each service call, HTTP attempt, health check and reconnect as a `tracing` span.
//! Those spans stay inside the process unless a subscriber sends them somewhere. With the `otel` cargo feature,
//! [`OtlpBuilder`] starts an exporter that sends them to an OpenTelemetry collector. The client then adds the
//! current span's `traceparent` and `tracestate` headers to every request and health check, so a service that
//! continues the trace shows its own work as a child of the attempt that caused it. Without the feature, no
//! OpenTelemetry crate is compiled and requests carry no trace headers.
//!
//! Spans reach the exporter only through the layer from [`Telemetry::layer`], so the application decides which
//! spans to export with the usual `tracing_subscriber` filters. The exporter batches spans on its own thread and
//! sends them with a blocking HTTP client, which works with or without a tokio runtime. Keep the [`Telemetry`]
//! value alive for as long as spans should be exported: dropping it, or calling [`Telemetry::shutdown`], sends the
//! spans still queued.
//!
//! # Examples
//!
//! ```no_run
//! use chittyid::telemetry::OtlpBuilder;
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_subscriber::util::SubscriberInitExt;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The collector's base URL; spans go to http://127.0.0.1:4318/v1/traces.
//! let telemetry = OtlpBuilder::new("http://127.0.0.1:4318").service_name("billing").build()?;
//! tracing_subscriber::registry().with(telemetry.layer()).init();
//!
//! // ... use a ChittyIdService ...
//!
//! telemetry.shutdown()?;
//! # Ok(())
//! # }
//! ```

mod export;
mod propagation;

pub use export::{DEFAULT_EXPORT_TIMEOUT, DEFAULT_SERVICE_NAME, OtlpBuilder, Telemetry, TelemetryError};
pub(crate) use propagation::inject_trace_context;
pub use propagation::set_remote_parent;
