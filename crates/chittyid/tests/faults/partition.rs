//! A kernel-level partition: nftables `drop` and `reject with tcp reset` inside a private network namespace.
//!
//! The test creates a namespace of its own (`ip netns add`), starts `chittyid serve` on its loopback with
//! `ip netns exec`, and moves one thread of this process into it (`setns`) to run the client there, so every packet
//! stays inside the namespace. A `drop` rule on the service's port makes connects time out for real; a `reject with
//! tcp reset` rule makes them refused for real. Deleting the rule ends the partition.
//!
//! It needs root, iproute2 and nftables. Where it cannot create the namespace, it prints why and passes; CI runs as
//! root, installs both and sets `CHITTYID_REQUIRE_PARTITION_TEST`, so there it runs or fails.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use chittyid::ServiceUrl;
use chittyid::connection::ConnectionState;
use chittyid_test_support::chittyid_binary;
use serde_json::Value;

use crate::support::{PATIENCE, assert_ledger, expect_event, fast_client, fast_manager, mint_until_done, person};

/// When set, a missing namespace or nftables fails the test instead of skipping it; CI sets it.
const REQUIRE_ENV: &str = "CHITTYID_REQUIRE_PARTITION_TEST";

/// The nftables table the test adds inside its namespace.
const TABLE: &str = "chittyid_faults";

/// A network namespace this test created, deleted on drop with the service running in it.
struct Namespace {
    name: String,
    service: Option<Child>,
}

impl Namespace {
    /// Creates the namespace and brings its loopback up. The `Err` message explains why not, for the skip message.
    fn create() -> Result<Namespace, String> {
        let name = format!("chittyid-faults-{}", std::process::id());
        run("ip", &["netns", "add", &name])?;
        let namespace = Namespace { name, service: None };
        run("ip", &["-n", &namespace.name, "link", "set", "lo", "up"])?;
        namespace.nft(&["list", "ruleset"])?;
        Ok(namespace)
    }

    fn nft(&self, args: &[&str]) -> Result<(), String> {
        let mut command = vec!["netns", "exec", &self.name, "nft"];
        command.extend_from_slice(args);
        run("ip", &command)
    }

    /// Starts `chittyid serve` inside the namespace and returns its address there.
    fn start_service(&mut self, data_dir: &Path) -> SocketAddr {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.name])
            .arg(chittyid_binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data_dir)
            .env_remove("CHITTYID_SERVER_TOKENS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chittyid serve starts inside the namespace");
        let stdout = child.stdout.take().expect("stdout is piped");
        // `ip netns exec` execs the binary, so the child's pid is the service's.
        self.service = Some(child);
        let mut lines = BufReader::new(stdout).lines();
        let address = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| line.trim().strip_prefix("listening on http://").map(str::to_owned))
            .expect("the service prints its address");
        std::thread::spawn(move || for _ in lines {});
        address.parse().expect("a socket address")
    }

    /// Runs `body` on a new thread moved into the namespace, on a current-thread runtime of its own.
    fn run_inside<F>(&self, body: impl FnOnce() -> F + Send + 'static)
    where
        F: Future<Output = ()>,
    {
        let handle = File::open(format!("/run/netns/{}", self.name)).expect("the namespace's handle");
        let thread = std::thread::spawn(move || {
            // SAFETY: setns takes a valid open descriptor and a flag; it changes only this thread's namespace.
            let result = unsafe { libc::setns(handle.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(result, 0, "setns failed: {}", std::io::Error::last_os_error());
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(body());
        });
        if let Err(panic) = thread.join() {
            std::panic::resume_unwind(panic);
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        if let Some(mut service) = self.service.take() {
            let _ = service.kill();
            let _ = service.wait();
        }
        let _ = run("ip", &["netns", "del", &self.name]);
    }
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program).args(args).output().map_err(|error| format!("cannot run {program}: {error}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!("`{program} {}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
}

/// Runs `nft ARGS…` inside the namespace `name`, failing the test when it fails.
fn nft_in(name: &str, args: &[&str]) {
    let mut command = vec!["netns", "exec", name, "nft"];
    command.extend_from_slice(args);
    run("ip", &command).unwrap();
}

#[test]
fn partition_times_out_then_refuses_then_heals() {
    let mut namespace = match Namespace::create() {
        Ok(namespace) => namespace,
        Err(reason) if std::env::var_os(REQUIRE_ENV).is_some() => {
            panic!("{REQUIRE_ENV} is set, but the partition test cannot run: {reason}")
        }
        Err(reason) => {
            eprintln!("SKIP partition test: cannot create a network namespace with nftables: {reason}");
            eprintln!("SKIP partition test: it needs root, iproute2 and nftables (`apt-get install -y nftables`)");
            return;
        }
    };
    let data = tempfile::tempdir().unwrap();
    let address = namespace.start_service(data.path());
    let name = namespace.name.clone();
    let port = address.port().to_string();
    nft_in(&name, &["add", "table", "inet", TABLE]);
    let chain_spec = "{ type filter hook input priority 0 ; policy accept ; }";
    nft_in(&name, &["add", "chain", "inet", TABLE, "input", chain_spec]);
    let url = ServiceUrl::parse(&format!("http://{address}")).unwrap();

    namespace.run_inside(move || async move {
        let client = fast_client(url.clone());
        let manager = fast_manager(url.clone());
        manager.connect().await.unwrap();
        let mut events = manager.events();
        let before = client.mint(&person()).await.unwrap();
        let mint = person();

        // SYNs to the service's port vanish: a real connect timeout.
        nft_in(&name, &["add", "rule", "inet", TABLE, "input", "tcp", "dport", &port, "drop"]);
        let timed_out = fast_client(url.clone()).mint(&mint).await.expect_err("dropped packets never connect");
        assert!(timed_out.is_connection_level(), "{timed_out:?}");
        // reqwest words its connect timeout as "tcp connect error: deadline has elapsed".
        let cause = chittyid::error_chain(&timed_out);
        assert!(cause.contains("deadline has elapsed") || cause.contains("timed out"), "not a timeout: {cause}");
        manager.wait_for_state(ConnectionState::Reconnecting, PATIENCE).await.unwrap();
        expect_event(&mut events, "unhealthy").await;

        // SYNs get a RST: a real refusal.
        nft_in(&name, &["flush", "chain", "inet", TABLE, "input"]);
        let reject = ["add", "rule", "inet", TABLE, "input", "tcp", "dport", &port, "reject", "with", "tcp", "reset"];
        nft_in(&name, &reject);
        let refused = fast_client(url.clone()).mint(&mint).await.expect_err("rejected connects are refused");
        assert!(refused.is_connection_level(), "{refused:?}");
        assert!(
            chittyid::error_chain(&refused).contains("refused"),
            "the cause is a refusal: {}",
            chittyid::error_chain(&refused)
        );
        assert_ne!(manager.state(), ConnectionState::Connected);

        nft_in(&name, &["delete", "table", "inet", TABLE]);
        manager.wait_for_state(ConnectionState::Connected, PATIENCE).await.unwrap();
        expect_event(&mut events, "connected").await;
        let after = mint_until_done(&client, &mint).await;
        let stats: Value = reqwest::get(format!("http://{address}/api/stats")).await.unwrap().json().await.unwrap();
        assert_ledger(&[before, after], stats["minted"].as_u64().expect("stats carry `minted`"));
        manager.disconnect().await;
    });
}
