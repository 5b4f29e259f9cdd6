//! The local service under measurement: the `chittyid serve` binary as a child process on `127.0.0.1`, which a
//! scenario can SIGKILL and restart on the same port.
//!
//! A child process keeps the service's CPU and heap out of this process's numbers. The binary is
//! `target/release/chittyid` beside this one (build it with `cargo build --release -p chittyid-cli`), or the path
//! in `CHITTYID_BIN`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chittyid::ServiceUrl;
use tempfile::TempDir;

/// A `chittyid serve` child on loopback with a temporary data folder. Dropping it kills the child.
#[derive(Debug)]
pub(crate) struct ServiceChild {
    child: Option<Child>,
    address: SocketAddr,
    extra_args: Vec<String>,
    data: TempDir,
}

impl ServiceChild {
    /// Starts `chittyid serve --listen 127.0.0.1:0 --data TMP EXTRA_ARGS…` and waits for its address.
    pub(crate) fn start(extra_args: &[&str]) -> anyhow::Result<ServiceChild> {
        let data = tempfile::Builder::new().prefix("chittyid-bench-").tempdir()?;
        let extra_args: Vec<String> = extra_args.iter().map(|arg| (*arg).to_owned()).collect();
        let (child, address) = spawn(&data, ([127, 0, 0, 1], 0).into(), &extra_args)?;
        Ok(ServiceChild { child: Some(child), address, extra_args, data })
    }

    /// Returns the base URL, `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> ServiceUrl {
        ServiceUrl::parse(&format!("http://{}", self.address)).expect("a loopback URL is a valid service URL")
    }

    /// Returns the address the service listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.address
    }

    /// Returns the child's process id, `None` after a kill.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sends SIGKILL and reaps the child.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // An error means the child has exited already; wait reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the service again on the same address and data folder, retrying the bind for up to 10 s.
    pub(crate) fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match spawn(&self.data, self.address, &self.extra_args) {
                Ok((child, _)) => {
                    self.child = Some(child);
                    return Ok(());
                }
                Err(error) if Instant::now() >= deadline => return Err(error),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

impl Drop for ServiceChild {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Returns the path of the `chittyid` binary: `CHITTYID_BIN`, else `chittyid` beside this executable.
pub(crate) fn binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHITTYID_BIN").filter(|path| !path.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let binary = exe.parent().context("the executable has a folder")?.join("chittyid");
    if !binary.exists() {
        bail!("{} not found: run `cargo build --release -p chittyid-cli` first", binary.display());
    }
    Ok(binary)
}

fn spawn(data: &TempDir, listen: SocketAddr, extra_args: &[String]) -> anyhow::Result<(Child, SocketAddr)> {
    let mut child = Command::new(binary()?)
        .args(["serve", "--listen", &listen.to_string(), "--data"])
        .arg(data.path())
        .args(extra_args)
        .env_remove("CHITTYID_SERVER_TOKENS")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot run chittyid serve")?;
    let stdout = child.stdout.take().context("stdout is piped")?;
    let mut lines = BufReader::new(stdout).lines();
    let address = lines.by_ref().map_while(Result::ok).find_map(|line| {
        line.trim().strip_prefix("listening on http://").and_then(|address| address.parse::<SocketAddr>().ok())
    });
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    match address {
        Some(address) => Ok((child, address)),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("chittyid serve exited before it listened on {listen}")
        }
    }
}

/// Returns the URL of a loopback address.
pub(crate) fn url_of(address: SocketAddr) -> ServiceUrl {
    ServiceUrl::parse(&format!("http://{address}")).expect("a loopback URL is a valid service URL")
}
