//! The OTLP/HTTP span exporter: its builder, the running exporter with its `tracing` layer, and its errors.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;
use url::Url;

/// The default `service.name` resource attribute of [`OtlpBuilder`].
pub const DEFAULT_SERVICE_NAME: &str = "chittyid";

/// The default time limit of one export request, the same as `opentelemetry-otlp` 0.33 uses.
pub const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The path of the traces signal under a collector's base URL, from the OTLP/HTTP specification.
const TRACES_PATH: &str = "v1/traces";

/// The instrumentation scope of every exported span.
const TRACER_NAME: &str = "chittyid";

/// Builds a [`Telemetry`]: an exporter that sends `tracing` spans to an OpenTelemetry collector over OTLP/HTTP
/// with protobuf bodies.
#[derive(Debug, Clone)]
pub struct OtlpBuilder {
    endpoint: String,
    service_name: String,
    timeout: Duration,
}

impl OtlpBuilder {
    /// Starts a builder for the collector at `endpoint`, its base URL such as `http://127.0.0.1:4318`.
    ///
    /// The exporter appends `/v1/traces` to the base URL, as it does for the `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// variable, so pass the base URL and not the traces URL. The endpoint is checked in [`OtlpBuilder::build`].
    pub fn new(endpoint: impl Into<String>) -> OtlpBuilder {
        OtlpBuilder {
            endpoint: endpoint.into(),
            service_name: DEFAULT_SERVICE_NAME.to_owned(),
            timeout: DEFAULT_EXPORT_TIMEOUT,
        }
    }

    /// Sets the `service.name` resource attribute that the collector groups the spans by.
    ///
    /// Default is [`DEFAULT_SERVICE_NAME`], `chittyid`.
    pub fn service_name(mut self, name: impl Into<String>) -> OtlpBuilder {
        self.service_name = name.into();
        self
    }

    /// Sets how long one export request may take before the batch is dropped.
    ///
    /// Default is [`DEFAULT_EXPORT_TIMEOUT`], 10 s.
    pub fn timeout(mut self, timeout: Duration) -> OtlpBuilder {
        self.timeout = timeout;
        self
    }

    /// Checks the endpoint and starts the exporter's batch thread.
    ///
    /// No request is sent yet: the first batch goes out when spans end, so an unreachable collector shows only as
    /// dropped batches, which the exporter reports through its own `tracing` events.
    ///
    /// # Errors
    ///
    /// [`TelemetryError::InvalidEndpoint`] when the endpoint is not an absolute `http` or `https` URL without query
    /// or fragment, and [`TelemetryError::Build`] when the exporter cannot be built.
    pub fn build(self) -> Result<Telemetry, TelemetryError> {
        let traces_url = traces_url(&self.endpoint)?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(traces_url.as_str())
            .with_timeout(self.timeout)
            .build()
            .map_err(|source| TelemetryError::Build { source: Box::new(source) })?;
        let resource = Resource::builder().with_service_name(self.service_name).build();
        let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        let tracer = provider.tracer(TRACER_NAME);
        tracing::debug!(endpoint = %traces_url, "OTLP span export started");
        Ok(Telemetry { provider, tracer, traces_url, is_shut_down: false })
    }
}

/// A running OTLP/HTTP span exporter.
///
/// Add [`Telemetry::layer`] to the `tracing` subscriber, and keep this value for as long as spans should be
/// exported. Dropping it flushes the spans still queued and stops the exporter, like [`Telemetry::shutdown`]
/// without the error. Both block the calling thread until the last batch is sent or its timeout expires.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    traces_url: Url,
    is_shut_down: bool,
}

impl Telemetry {
    /// Returns a `tracing_subscriber` layer that turns each span it records into an OpenTelemetry span for this
    /// exporter.
    ///
    /// Span fields become span attributes, and events inside a span become span events. Per-layer filters decide
    /// which spans are exported.
    pub fn layer<S>(&self) -> impl Layer<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer().with_tracer(self.tracer.clone())
    }

    /// Returns the URL that spans are sent to: the endpoint with `/v1/traces` appended.
    pub fn traces_url(&self) -> &Url {
        &self.traces_url
    }

    /// Sends every span that has ended and is still queued, and waits for the collector's reply.
    ///
    /// # Errors
    ///
    /// [`TelemetryError::Flush`] when the export fails or times out.
    pub fn force_flush(&self) -> Result<(), TelemetryError> {
        self.provider.force_flush().map_err(|source| TelemetryError::Flush { source })
    }

    /// Sends the spans still queued and stops the exporter. Spans that end later are dropped.
    ///
    /// # Errors
    ///
    /// [`TelemetryError::Shutdown`] when the last export fails or times out.
    pub fn shutdown(mut self) -> Result<(), TelemetryError> {
        self.is_shut_down = true;
        self.provider.shutdown().map_err(|source| TelemetryError::Shutdown { source })
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if self.is_shut_down {
            return;
        }
        if let Err(error) = self.provider.shutdown() {
            tracing::debug!(%error, endpoint = %self.traces_url, "OTLP span export did not shut down cleanly");
        }
    }
}

/// An error from starting, flushing or stopping the OTLP exporter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// The collector endpoint is not an absolute `http` or `https` URL without query or fragment.
    #[error("invalid OTLP endpoint `{endpoint}`: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// The reason the endpoint was rejected.
        reason: String,
    },
    /// The exporter could not be built.
    #[error("failed to build the OTLP span exporter")]
    Build {
        /// The exporter's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// Flushing the queued spans failed or timed out.
    #[error("failed to flush spans to the OTLP endpoint")]
    Flush {
        /// The SDK's error.
        #[source]
        source: OTelSdkError,
    },
    /// Stopping the exporter failed, or its last export failed or timed out.
    #[error("failed to shut down the OTLP span exporter")]
    Shutdown {
        /// The SDK's error.
        #[source]
        source: OTelSdkError,
    },
}

/// Checks a collector base URL and appends the traces path to it.
fn traces_url(endpoint: &str) -> Result<Url, TelemetryError> {
    let invalid = |reason: String| TelemetryError::InvalidEndpoint { endpoint: endpoint.to_owned(), reason };
    let mut url = Url::parse(endpoint).map_err(|error| invalid(error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!("scheme `{}` is not http or https", url.scheme())));
    }
    if url.host().is_none() {
        return Err(invalid("the URL has no host".to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("the URL has a query or fragment".to_owned()));
    }
    if url.path().trim_end_matches('/').ends_with("/v1/traces") {
        // The exporter would post to .../v1/traces/v1/traces and get 404 on every export.
        return Err(invalid(
            "the URL already ends in /v1/traces: give the collector's base URL, such as \
                            http://127.0.0.1:4318, and the exporter appends /v1/traces"
                .to_owned(),
        ));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.join(TRACES_PATH).map_err(|error| invalid(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_url_appends_the_signal_path() {
        let cases = [
            ("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/traces"),
            ("http://127.0.0.1:4318/", "http://127.0.0.1:4318/v1/traces"),
            ("https://collector.example/otlp", "https://collector.example/otlp/v1/traces"),
            ("https://collector.example/otlp/", "https://collector.example/otlp/v1/traces"),
        ];
        for (endpoint, expected) in cases {
            assert_eq!(traces_url(endpoint).unwrap().as_str(), expected, "{endpoint}");
        }
    }

    #[test]
    fn traces_url_rejects_bad_endpoints() {
        let endpoints = [
            "",
            "127.0.0.1:4318",
            "ftp://127.0.0.1/",
            "http://127.0.0.1:4318/?a=b",
            "http://h/#frag",
            "http://127.0.0.1:4318/v1/traces",
            "http://127.0.0.1:4318/v1/traces/",
        ];
        for endpoint in endpoints {
            let error = traces_url(endpoint).unwrap_err();
            assert!(matches!(error, TelemetryError::InvalidEndpoint { .. }), "{endpoint}: {error:?}");
        }
    }

    #[test]
    fn invalid_endpoint_message_names_the_value() {
        let error = traces_url("ftp://127.0.0.1/").unwrap_err();
        assert_eq!(error.to_string(), "invalid OTLP endpoint `ftp://127.0.0.1/`: scheme `ftp` is not http or https");
    }

    #[test]
    fn build_rejects_an_invalid_endpoint() {
        let error = OtlpBuilder::new("not a url").build().unwrap_err();
        assert!(matches!(error, TelemetryError::InvalidEndpoint { .. }), "{error:?}");
    }
}
