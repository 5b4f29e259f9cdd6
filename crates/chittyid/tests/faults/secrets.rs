//! The token never leaks: the main paths run with every trace-level log line captured, and neither the right nor a
//! wrong token may appear in a log line, a `Debug` output or an error message.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use chittyid::connection::ConnectionManager;
use chittyid::service::ServiceBuilder;
use chittyid::{Client, Token};
use chittyid_test_support::InProcessService;
use tracing_subscriber::fmt::MakeWriter;

use crate::support::person;

const SECRET: &str = "tok-9f3b7c1e-SECRET";
const WRONG_SECRET: &str = "tok-55aa01d2-WRONG";

/// A log sink that appends every line to a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// Returns the error's `Display`, each source's, and its `Debug`.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = format!("{error} / {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(" / {cause}"));
        source = cause.source();
    }
    text
}

fn assert_no_token(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "the token appears in {what}: {text}");
    assert!(!text.contains(WRONG_SECRET), "the wrong token appears in {what}: {text}");
}

// A current-thread runtime runs every task, the service's included, on the thread where the subscriber is set.
#[tokio::test(flavor = "current_thread")]
async fn token_appears_in_no_log_debug_or_error() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut outputs = Vec::new();

    let service = InProcessService::start_with(|config| config.token(Token::new(SECRET))).await;
    let client = Client::builder().base_url(service.url()).token(Token::new(SECRET)).build().unwrap();
    outputs.push(("the client", format!("{client:?}")));
    let id = client.mint(&person()).await.unwrap();
    outputs.push(("a validation", format!("{:?}", client.validate(&id.to_string()).await.unwrap())));
    outputs.push(("a health reply", format!("{:?}", client.health().await.unwrap())));

    let manager = ConnectionManager::builder(service.url()).token(Token::new(SECRET)).build().unwrap();
    manager.connect().await.unwrap();
    outputs.push(("the manager", format!("{manager:?}")));
    let resilient = ServiceBuilder::new(service.url()).token(Token::new(SECRET)).build().unwrap();
    resilient.connect().await.unwrap();
    resilient.mint(&person()).await.unwrap();
    outputs.push(("the resilient service", format!("{resilient:?}")));
    outputs.push(("the health report", format!("{:?}", resilient.health_report().await)));

    let wrong = Client::builder().base_url(service.url()).token(Token::new(WRONG_SECRET)).build().unwrap();
    let forbidden = wrong.mint(&person()).await.expect_err("a wrong token is forbidden");
    outputs.push(("the 403 error", describe(&forbidden)));
    let anonymous = Client::builder().base_url(service.url()).build().unwrap();
    let unauthorized = anonymous.mint(&person()).await.expect_err("no token is unauthorized");
    outputs.push(("the 401 error", describe(&unauthorized)));
    let wrong_manager = ConnectionManager::builder(service.url()).token(Token::new(WRONG_SECRET)).build().unwrap();
    let failed = wrong_manager.connect().await.expect_err("the manager fails with a wrong token");
    outputs.push(("the connect error", describe(&failed)));
    outputs.push(("the failed manager", format!("{wrong_manager:?} {:?}", wrong_manager.failure())));
    manager.disconnect().await;
    resilient.disconnect().await;
    service.shutdown().await;

    for (what, text) in &outputs {
        assert_no_token(what, text);
    }
    let logs = capture.text();
    assert!(logs.contains("TRACE") || logs.contains("DEBUG"), "the capture saw trace or debug lines: {logs}");
    assert!(logs.lines().count() > 10, "the capture saw the paths run: {logs}");
    assert_no_token("the logs", &logs);
}
