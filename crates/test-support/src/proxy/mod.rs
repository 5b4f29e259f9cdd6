//! A TCP fault proxy between a client and the local service, and a TLS terminator in front of it.
//!
//! # Why
//!
//! The service's own fault modes (`POST /admin/faults`) misbehave at the HTTP level. Failures below it (latency, a
//! thin link, a silent peer, resets, connections cut in the middle of a reply) need something in the path of the
//! bytes. No ready-made proxy such as toxiproxy can be installed on the test machines, and their kernels lack
//! `netem`, so this proxy does it in the test process, on tokio.
//!
//! [`FaultProxy`] listens on `127.0.0.1` and an ephemeral port and forwards every connection to one upstream
//! address. [`FaultProxy::set_fault`] switches the [`NetworkFault`] at any time; open connections see the change at
//! their next read. [`TlsProxy`] terminates TLS with a certificate the test makes, and forwards plain bytes.
//!
//! # Examples
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use std::time::Duration;
//! use chittyid_test_support::{FaultProxy, InProcessService, NetworkFault};
//!
//! let service = InProcessService::start().await;
//! let proxy = FaultProxy::start(service.addr()).await?;
//! // Point the client at proxy.url() instead of service.url(), then:
//! proxy.set_fault(NetworkFault::Latency(Duration::from_millis(200)));
//! proxy.set_fault(NetworkFault::ResetAfter { bytes: 10 });
//! proxy.clear();
//! # Ok(())
//! # }
//! ```

mod fault;
mod pipe;
#[cfg(test)]
mod tests;
mod tls;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chittyid::ServiceUrl;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

pub use self::fault::NetworkFault;
pub use self::tls::TlsProxy;
/// The certificate and key types that [`TlsProxy::start`] takes, re-exported from rustls.
pub use tokio_rustls::rustls::pki_types;

/// A TCP proxy on `127.0.0.1` that forwards to one upstream address through a switchable [`NetworkFault`].
///
/// It runs on the runtime that started it. Dropping it stops the proxy and closes every connection it holds.
#[derive(Debug)]
pub struct FaultProxy {
    address: SocketAddr,
    upstream: SocketAddr,
    faults: watch::Sender<NetworkFault>,
    accepted: Arc<AtomicU64>,
    accept_task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` on `127.0.0.1` and an ephemeral port, with no fault.
    ///
    /// # Errors
    ///
    /// Returns the error of binding the listening socket.
    pub async fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let (faults, receiver) = watch::channel(NetworkFault::None);
        let accepted = Arc::new(AtomicU64::new(0));
        let accept_task = tokio::spawn(accept_loop(listener, upstream, receiver, Arc::clone(&accepted)));
        Ok(FaultProxy { address, upstream, faults, accepted, accept_task })
    }

    /// Returns the address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.address
    }

    /// Returns the proxy's base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> ServiceUrl {
        ServiceUrl::parse(&format!("http://{}", self.address)).expect("a loopback URL is a valid service URL")
    }

    /// Returns the upstream address.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// Replaces the active fault. New and open connections apply it from their next read.
    pub fn set_fault(&self, fault: NetworkFault) {
        tracing::debug!(?fault, proxy = %self.address, "network fault set");
        self.faults.send_replace(fault);
    }

    /// Ends the active fault, so bytes pass unchanged again.
    pub fn clear(&self) {
        self.set_fault(NetworkFault::None);
    }

    /// Returns the active fault.
    pub fn fault(&self) -> NetworkFault {
        *self.faults.borrow()
    }

    /// Returns how many connections the proxy has accepted.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // The task owns the connections' JoinSet, so aborting it aborts them too.
        self.accept_task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    faults: watch::Receiver<NetworkFault>,
    accepted: Arc<AtomicU64>,
) {
    let mut connections = JoinSet::new();
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            Err(error) => {
                // Such as too many open files; the next accept may succeed.
                tracing::debug!(%error, "proxy accept failed");
                tokio::task::yield_now().await;
                continue;
            }
        };
        accepted.fetch_add(1, Ordering::Relaxed);
        while connections.try_join_next().is_some() {}
        connections.spawn(pipe::serve(client, upstream, faults.clone()));
    }
}
