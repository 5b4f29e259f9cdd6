//! The local service as a separate `chittyid serve` process, which a test can kill, stop and restart.
//!
//! A real process is the only way to test a crash: SIGKILL gives the service no chance to flush or close anything,
//! exactly like a power cut, so what survives in its data folder is what a crash would leave.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chittyid::ServiceUrl;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The environment variable that names the `chittyid` binary, overriding the search in the target folder.
pub const BINARY_ENV: &str = "CHITTYID_BIN";

/// The maximum wait for the `listening on` line after a start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The maximum wait for the port to become free again on a restart.
const REBIND_TIMEOUT: Duration = Duration::from_secs(10);

/// The maximum wait for a graceful stop before the process is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The name of the log file, in the data folder, that collects the process's stderr across restarts.
pub const LOG_FILE: &str = "chittyid-serve.log";

/// A `chittyid serve` process listening on loopback.
///
/// Its stderr (the service's logs) is appended to [`LOG_FILE`] in the data folder, readable with
/// [`ServiceProcess::log`]. Dropping the value kills the process.
///
/// The methods block the calling thread while they wait for the process, up to 30 s for a start.
///
/// # Examples
///
/// ```no_run
/// use chittyid_test_support::ServiceProcess;
///
/// let data = tempfile::tempdir().unwrap();
/// let mut service = ServiceProcess::start(data.path(), &["--token", "s3cret"]);
/// println!("service at {}", service.url());
/// service.kill();
/// service.restart();
/// ```
#[derive(Debug)]
pub struct ServiceProcess {
    child: Option<Child>,
    address: SocketAddr,
    data_dir: PathBuf,
    extra_args: Vec<OsString>,
}

impl ServiceProcess {
    /// Starts `chittyid serve --listen 127.0.0.1:0 --data DATA_DIR EXTRA_ARGS…` and waits until it listens.
    ///
    /// # Panics
    ///
    /// Panics when the binary is missing, the process exits before it listens, or it does not print its address
    /// within 30 s. The panic message includes the process's log.
    pub fn start(data_dir: impl AsRef<Path>, extra_args: &[&str]) -> ServiceProcess {
        let data_dir = data_dir.as_ref().to_owned();
        let extra_args: Vec<OsString> = extra_args.iter().map(OsString::from).collect();
        let listen: SocketAddr = ([127, 0, 0, 1], 0).into();
        let (child, address) = match spawn(&data_dir, listen, &extra_args) {
            Ok(started) => started,
            Err(reason) => panic!("chittyid serve did not start: {reason}\n{}", read_log(&data_dir)),
        };
        ServiceProcess { child: Some(child), address, data_dir, extra_args }
    }

    /// Returns the base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> ServiceUrl {
        ServiceUrl::parse(&format!("http://{}", self.address)).expect("a loopback URL is a valid service URL")
    }

    /// Returns the address the service listens on.
    pub fn addr(&self) -> SocketAddr {
        self.address
    }

    /// Returns the process id, or `None` after a kill or stop.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Returns the data folder.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Returns everything the process (and its earlier runs) wrote to stderr.
    pub fn log(&self) -> String {
        read_log(&self.data_dir)
    }

    /// Sends SIGKILL and reaps the process. Does nothing when it is not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGKILL on Unix; an error means the process has already exited, and wait reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits for a graceful exit, killing the process after 10 s.
    ///
    /// Returns the exit status, or `None` when the process was not running or had to be killed.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let pid = Pid::from_raw(i32::try_from(child.id()).ok()?);
        if kill(pid, Signal::SIGTERM).is_err() {
            return child.wait().ok();
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Starts the service again on the same address and data folder, killing it first if it still runs.
    ///
    /// Binding is retried for up to 10 s, in case the port is still held while the kernel cleans up.
    ///
    /// # Panics
    ///
    /// Panics when the service cannot be started again on its address.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + REBIND_TIMEOUT;
        loop {
            match spawn(&self.data_dir, self.address, &self.extra_args) {
                Ok((child, _)) => {
                    self.child = Some(child);
                    return;
                }
                Err(reason) if Instant::now() >= deadline => {
                    panic!("chittyid serve did not restart on {}: {reason}\n{}", self.address, self.log())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Finds the `chittyid` binary: `CHITTYID_BIN`, else `chittyid` in the target profile folder of the running test
/// (its executable is `target/<profile>/deps/<test>-<hash>`).
///
/// # Panics
///
/// Panics when the binary does not exist, telling how to build it.
pub fn chittyid_binary() -> PathBuf {
    if let Some(path) = std::env::var_os(BINARY_ENV).filter(|path| !path.is_empty()) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("the test executable lies in target/<profile>/deps");
    let binary = profile_dir.join(format!("chittyid{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} not found: build it first: cargo build -p chittyid-cli (or set {BINARY_ENV})",
        binary.display()
    );
    binary
}

/// Spawns the service and waits for its `listening on http://ADDR` line.
fn spawn(data_dir: &Path, listen: SocketAddr, extra_args: &[OsString]) -> Result<(Child, SocketAddr), String> {
    std::fs::create_dir_all(data_dir).map_err(|error| format!("cannot create {}: {error}", data_dir.display()))?;
    let log = open_log(data_dir)?;
    let mut child = Command::new(chittyid_binary())
        .arg("serve")
        .arg("--listen")
        .arg(listen.to_string())
        .arg("--data")
        .arg(data_dir)
        .args(extra_args)
        // Tokens come from the test's arguments only, not from the environment of the shell that runs the tests.
        .env_remove("CHITTYID_SERVER_TOKENS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|error| format!("cannot run {}: {error}", chittyid_binary().display()))?;
    let stdout = child.stdout.take().ok_or("stdout of the child is not piped")?;
    match wait_for_address(stdout) {
        Ok(address) => Ok((child, address)),
        Err(reason) => {
            let _ = child.kill();
            let status = child.wait().map(|status| status.to_string()).unwrap_or_default();
            Err(format!("{reason} ({status})"))
        }
    }
}

/// Reads stdout on a thread until the `listening on` line, then keeps draining it so the child never blocks.
fn wait_for_address(stdout: impl Read + Send + 'static) -> Result<SocketAddr, String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { return };
            if let Some(address) = line.trim().strip_prefix("listening on http://") {
                let _ = sender.send(address.to_owned());
                break;
            }
        }
        for _ in lines {}
    });
    let text = receiver.recv_timeout(START_TIMEOUT).map_err(|error| match error {
        mpsc::RecvTimeoutError::Timeout => format!("no `listening on` line within {START_TIMEOUT:?}"),
        mpsc::RecvTimeoutError::Disconnected => "the process exited before it listened".to_owned(),
    })?;
    text.parse().map_err(|_| format!("unparsable address in `listening on http://{text}`"))
}

fn open_log(data_dir: &Path) -> Result<File, String> {
    let path = data_dir.join(LOG_FILE);
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|error| format!("cannot open {}: {error}", path.display()))
}

fn read_log(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join(LOG_FILE)).unwrap_or_default()
}
