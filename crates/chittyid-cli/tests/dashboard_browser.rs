//! The dashboard of `chittyid watch --listen` in a real headless Chromium, driven over WebDriver by chromedriver.
//!
//! The test needs Debian's `chromium` and `chromium-driver` packages (or `CHITTYID_CHROMIUM` and
//! `CHITTYID_CHROMEDRIVER` naming the binaries). Without them it prints why and passes, unless
//! `CHITTYID_REQUIRE_BROWSER_TEST=1` is set: then it fails, as in CI.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chittyid_test_support::ServiceProcess;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::{Value, json};

/// The upper bound of every wait below; reaching it fails the test.
const LIMIT: Duration = Duration::from_secs(30);

/// Time between two reads of the page while waiting for a change.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Makes the test fail instead of skipping when the browser is missing.
const REQUIRE_ENV: &str = "CHITTYID_REQUIRE_BROWSER_TEST";

/// Chromium flags: headless, no sandbox (the tests run as root in CI), and no background traffic, because
/// Chromium otherwise opens connections to its update, sync and metrics hosts on its own.
const CHROMIUM_FLAGS: [&str; 11] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-quic",
    // Any host name other than loopback fails to resolve, so the page cannot reach another host by mistake.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/// Finds the Chromium and chromedriver binaries, or returns why the test cannot run.
fn browser_binaries() -> Result<(PathBuf, PathBuf), String> {
    let find = |env: &str, default: &str| {
        let path = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default));
        if path.is_file() { Ok(path) } else { Err(format!("{} not found (set {env})", path.display())) }
    };
    Ok((find("CHITTYID_CHROMIUM", "/usr/bin/chromium")?, find("CHITTYID_CHROMEDRIVER", "/usr/bin/chromedriver")?))
}

/// A child process in its own process group; dropping it kills the whole group, so that browser processes started
/// by chromedriver go with it.
struct ProcessGroup {
    child: Child,
}

impl ProcessGroup {
    fn spawn(command: &mut Command) -> ProcessGroup {
        let child = command.process_group(0).spawn().expect("process starts");
        ProcessGroup { child }
    }

    fn kill(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // The group id is the child's pid, because of process_group(0). An error means it has exited.
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A running `chittyid watch --listen`, with the dashboard address it printed.
struct Watch {
    process: ProcessGroup,
    dashboard: SocketAddr,
}

impl Watch {
    fn start(service_url: &str, listen: &str) -> Watch {
        let mut command = common::chittyid();
        command
            .args(["--service-url", service_url, "watch", "--health-interval", "30s"])
            .args(["--backoff-base", "100ms", "--backoff-cap", "500ms", "--listen", listen])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut process = ProcessGroup::spawn(&mut command);
        let stderr = process.child.stderr.take().expect("piped stderr");
        let (sender, addresses) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("chittyid: dashboard at http://") {
                    let address = rest.split('/').next().unwrap_or_default().to_owned();
                    let _ = sender.send(address);
                }
            }
        });
        let address = addresses.recv_timeout(LIMIT).expect("watch prints the dashboard address");
        Watch { process, dashboard: address.parse().expect("a socket address") }
    }
}

/// A chromedriver process and one browser session, ended and killed on drop.
struct Browser {
    driver: ProcessGroup,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start(chromium: &Path, chromedriver: &Path) -> Browser {
        let port = free_port();
        let mut command = Command::new(chromedriver);
        command.arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null());
        let driver = ProcessGroup::spawn(&mut command);
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        wait_until("chromedriver ready", || async {
            let Ok(reply) = http.get(format!("{base}/status")).send().await else { return false };
            let status: Value = reply.json().await.unwrap_or_default();
            status["value"]["ready"] == true
        })
        .await;

        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| flag.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let reply: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("chromedriver reachable")
            .json()
            .await
            .expect("a JSON reply");
        let session = reply["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {reply}")).to_owned();
        Browser { driver, base, session, http, _profile: profile }
    }

    async fn command(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let reply: Value =
            self.http.post(url).json(&body).send().await.expect("chromedriver reachable").json().await.unwrap();
        reply["value"].clone()
    }

    async fn open(&self, url: &str) {
        self.command("url", json!({ "url": url })).await;
    }

    /// Runs `script` in the page and returns its result.
    async fn eval(&self, script: &str) -> Value {
        self.command("execute/sync", json!({ "script": script, "args": [] })).await
    }

    /// Waits until the state badge reads `expected`, and panics with what it read last when time runs out.
    async fn wait_for_state(&self, expected: &str) {
        let mut last = Value::Null;
        let deadline = Instant::now() + LIMIT;
        while Instant::now() < deadline {
            last = self.eval("return document.getElementById('state').textContent").await;
            if last == expected {
                return;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        panic!("the state badge did not read {expected} within {LIMIT:?}; it read {last}");
    }

    /// Waits until the element with id `id` reads `expected`.
    async fn wait_for_text(&self, id: &str, expected: &str) {
        let script = format!("return document.getElementById('{id}').textContent");
        let mut last = Value::Null;
        let deadline = Instant::now() + LIMIT;
        while Instant::now() < deadline {
            last = self.eval(&script).await;
            if last == expected {
                return;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        panic!("#{id} did not read {expected} within {LIMIT:?}; it read {last}");
    }

    /// Waits until the page does (or does not) show its stale-data banner.
    async fn wait_for_stale(&self, stale: bool) {
        let deadline = Instant::now() + LIMIT;
        while Instant::now() < deadline {
            if self.eval("return document.body.classList.contains('stale')").await == stale {
                return;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        panic!("the page's stale marker did not become {stale} within {LIMIT:?}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask chromedriver to close the browser, then kill the group in case it did not. Drop cannot await, so the
        // request is written by hand on a blocking socket.
        let _ = end_session(&self.base, &self.session);
        self.driver.kill();
    }
}

fn end_session(base: &str, session: &str) -> std::io::Result<()> {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("loopback binds");
    listener.local_addr().unwrap().port()
}

async fn wait_until<F, Fut>(condition: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + LIMIT;
    while Instant::now() < deadline {
        if probe().await {
            return;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    panic!("{condition}: not reached within {LIMIT:?}");
}

/// Returns the browser binaries, or `None` after printing why the test is skipped.
///
/// # Panics
///
/// Panics when they are missing and `CHITTYID_REQUIRE_BROWSER_TEST=1`.
fn browser_or_skip() -> Option<(PathBuf, PathBuf)> {
    match browser_binaries() {
        Ok(binaries) => Some(binaries),
        Err(reason) if std::env::var(REQUIRE_ENV).as_deref() == Ok("1") => {
            panic!("{REQUIRE_ENV}=1 but the browser test cannot run: {reason}")
        }
        Err(reason) => {
            eprintln!("skipped: {reason}; install chromium and chromium-driver to run it");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_follows_kill_and_stream_loss() {
    let Some((chromium, chromedriver)) = browser_or_skip() else { return };
    let data = tempfile::tempdir().unwrap();
    let mut service = ServiceProcess::start(data.path(), &[]);
    let service_url = service.url().to_string();
    let mut watch = Watch::start(&service_url, "127.0.0.1:0");
    let dashboard = format!("http://{}/", watch.dashboard);
    let browser = Browser::start(&chromium, &chromedriver).await;

    browser.open(&dashboard).await;
    browser.wait_for_state("CONNECTED").await;

    service.kill();
    browser.wait_for_state("RECONNECTING").await;
    let timeline = browser.eval("return document.getElementById('timeline').textContent").await;
    assert!(timeline.as_str().unwrap_or_default().contains("RECONNECTING"), "timeline: {timeline}");

    // The stream drops with watch: the page marks its data stale, then resyncs from a new watch on the same port.
    let address = watch.dashboard.to_string();
    watch.process.kill();
    browser.wait_for_stale(true).await;
    service.restart();
    watch = Watch::start(&service_url, &address);
    browser.wait_for_stale(false).await;
    browser.wait_for_state("CONNECTED").await;

    let requested = browser
        .eval("return [location.href].concat(performance.getEntriesByType('resource').map((entry) => entry.name))")
        .await;
    let requested = requested.as_array().expect("a list of URLs");
    let origin = format!("http://{}/", watch.dashboard);
    for url in requested {
        let url = url.as_str().unwrap_or_default();
        assert!(url.starts_with(&origin), "the page requested {url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_dashboard_counts_mints() {
    let Some((chromium, chromedriver)) = browser_or_skip() else { return };
    let data = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(data.path(), &["--dashboard", "127.0.0.1:0"]);
    let log = service.log();
    let dashboard = log
        .lines()
        .find_map(|line| line.strip_prefix("chittyid: dashboard at "))
        .unwrap_or_else(|| panic!("serve prints the dashboard address; log:\n{log}"))
        .to_owned();
    let browser = Browser::start(&chromium, &chromedriver).await;

    browser.open(&dashboard).await;
    browser.wait_for_text("minted", "0").await;
    let reply = reqwest::Client::new()
        .post(format!("{}/mint", service.url()))
        .json(&json!({"entityType": "person"}))
        .send()
        .await
        .expect("service reachable");
    assert!(reply.status().is_success(), "mint failed: {}", reply.status());

    browser.wait_for_text("minted", "1").await;
    browser.wait_for_text("faults", "none").await;
}
