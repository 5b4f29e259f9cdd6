//! A minimal OTLP/HTTP trace receiver on loopback: `POST /v1/traces` with a protobuf `ExportTraceServiceRequest`.
//!
//! It runs on its own thread and runtime, because the exporter's shutdown blocks the thread that calls it, and that
//! must not stop the receiver from replying.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use prost::Message;
use tokio::sync::{oneshot, watch};

/// One span as the receiver stored it, with ids as lowercase hex.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    pub service_name: Option<String>,
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub attributes: Vec<(String, String)>,
    /// The attributes sent as OTLP integers, so that a test can tell 200 from "200".
    pub int_attributes: Vec<(String, i64)>,
}

impl ReceivedSpan {
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
    }

    pub fn int_attribute(&self, key: &str) -> Option<i64> {
        self.int_attributes.iter().find(|(name, _)| name == key).map(|(_, value)| *value)
    }
}

/// The running receiver. Dropping it stops the server thread.
pub struct Receiver {
    address: SocketAddr,
    spans: watch::Receiver<Vec<ReceivedSpan>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    pub fn start() -> Receiver {
        let (spans_tx, spans) = watch::channel(Vec::new());
        let (stop, stopped) = oneshot::channel::<()>();
        let (bound_tx, bound) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("a free port");
                bound_tx.send(listener.local_addr().expect("a bound address")).expect("the test is waiting");
                let app = Router::new().route("/v1/traces", post(export)).with_state(Arc::new(spans_tx));
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("the receiver serves until stopped");
            });
        });
        let address = bound.recv().expect("the receiver thread binds a port");
        Receiver { address, spans, stop: Some(stop), thread: Some(thread) }
    }

    /// Returns the collector base URL to give the exporter.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Waits until `done` holds for the spans received so far, and returns them; panics after `timeout`.
    pub async fn wait_for(&self, timeout: Duration, done: impl Fn(&[ReceivedSpan]) -> bool) -> Vec<ReceivedSpan> {
        let mut spans = self.spans.clone();
        match tokio::time::timeout(timeout, spans.wait_for(|spans| done(spans))).await {
            Ok(Ok(spans)) => spans.clone(),
            Ok(Err(_closed)) => panic!("the receiver stopped"),
            Err(_elapsed) => panic!("spans did not arrive in {timeout:?}; received: {:#?}", *self.spans.borrow()),
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn export(State(spans): State<Arc<watch::Sender<Vec<ReceivedSpan>>>>, body: Bytes) -> Response {
    let request = match ExportTraceServiceRequest::decode(body) {
        Ok(request) => request,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let mut received = Vec::new();
    for resource_spans in request.resource_spans {
        let service_name = resource_spans.resource.as_ref().and_then(|resource| {
            resource.attributes.iter().find(|kv| kv.key == "service.name").map(|kv| value_text(&kv.value))
        });
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                received.push(ReceivedSpan {
                    service_name: service_name.clone(),
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    attributes: span.attributes.iter().map(attribute_pair).collect(),
                    int_attributes: span.attributes.iter().filter_map(int_pair).collect(),
                });
            }
        }
    }
    spans.send_modify(|spans| spans.extend(received));
    let reply = ExportTraceServiceResponse::default().encode_to_vec();
    ([(header::CONTENT_TYPE, "application/x-protobuf")], reply).into_response()
}

fn attribute_pair(attribute: &KeyValue) -> (String, String) {
    (attribute.key.clone(), value_text(&attribute.value))
}

fn int_pair(attribute: &KeyValue) -> Option<(String, i64)> {
    match attribute.value.as_ref().and_then(|value| value.value.as_ref()) {
        Some(Value::IntValue(number)) => Some((attribute.key.clone(), *number)),
        _ => None,
    }
}

fn value_text(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|value| value.value.as_ref()) {
        Some(Value::StringValue(text)) => text.clone(),
        Some(Value::IntValue(number)) => number.to_string(),
        Some(Value::BoolValue(flag)) => flag.to_string(),
        Some(Value::DoubleValue(number)) => number.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
