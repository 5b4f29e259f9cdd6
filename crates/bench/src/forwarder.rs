//! A counting TCP forwarder on loopback: every byte between a client and the service passes through it and is
//! counted, so the monitoring scenario reads the bytes a manager puts on the wire (HTTP headers included, TCP/IP
//! headers not).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running forwarder; dropping it stops accepting (open connections end with the runtime).
#[derive(Debug)]
pub(crate) struct Forwarder {
    address: SocketAddr,
    sent: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    accept: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    /// Listens on `127.0.0.1:0` and forwards every connection to `target`.
    pub(crate) async fn start(target: SocketAddr) -> std::io::Result<Forwarder> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let (sent, received) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let connections = Arc::new(AtomicU64::new(0));
        let (up_count, down_count, opened) = (Arc::clone(&sent), Arc::clone(&received), Arc::clone(&connections));
        let accept = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                opened.fetch_add(1, Ordering::Relaxed);
                let (up_count, down_count) = (Arc::clone(&up_count), Arc::clone(&down_count));
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(target).await else { return };
                    let (client_read, client_write) = inbound.into_split();
                    let (service_read, service_write) = outbound.into_split();
                    let up = pump(client_read, service_write, up_count);
                    let down = pump(service_read, client_write, down_count);
                    tokio::join!(up, down);
                });
            }
        });
        Ok(Forwarder { address, sent, received, connections, accept })
    }

    /// The address clients connect to.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.address
    }

    /// Bytes forwarded from clients to the service so far.
    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Bytes forwarded from the service to clients so far.
    pub(crate) fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// TCP connections accepted so far.
    pub(crate) fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    counted: Arc<AtomicU64>,
) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                counted.fetch_add(read as u64, Ordering::Relaxed);
                if to.write_all(&buffer[..read]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}
