//! One proxied connection: connect upstream, then pump bytes both ways through the active fault.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::fault::{Direction, NetworkFault};

/// The read buffer of each direction.
const BUFFER: usize = 16 * 1024;

/// The outcome of one direction's pump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The source closed cleanly; the destination was shut down for writing.
    Eof,
    /// A `ResetAfter` fault fired.
    Reset,
    /// A `CloseAfter` fault fired.
    Close,
    /// A read or write failed, or the proxy stopped.
    Failed,
}

/// Serves one accepted client connection until either side ends it or a fault does.
pub(super) async fn serve(mut client: TcpStream, upstream: SocketAddr, mut faults: watch::Receiver<NetworkFault>) {
    // A blackhole keeps the new connection waiting before anything else, until the fault changes.
    while *faults.borrow_and_update() == NetworkFault::Blackhole {
        if faults.changed().await.is_err() {
            return;
        }
    }
    if *faults.borrow() == NetworkFault::ResetOnConnect {
        tracing::debug!(peer = ?client.peer_addr().ok(), "resetting a new connection");
        reset(client);
        return;
    }
    let mut upstream = match TcpStream::connect(upstream).await {
        Ok(upstream) => upstream,
        Err(error) => {
            // The service is down: the client sees a reset, as behind a load balancer.
            tracing::debug!(%error, %upstream, "upstream connect failed");
            reset(client);
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);

    let end = {
        let (mut client_read, mut client_write) = client.split();
        let (mut upstream_read, mut upstream_write) = upstream.split();
        let request = pump(&mut client_read, &mut upstream_write, Direction::Request, faults.clone());
        let reply = pump(&mut upstream_read, &mut client_write, Direction::Reply, faults);
        tokio::pin!(request, reply);
        tokio::select! {
            // The client finished sending; the reply may still be on its way.
            end = &mut request => if end == End::Eof { reply.await } else { end },
            // The service closed or a fault fired; nothing more can reach the client.
            end = &mut reply => end,
        }
    };
    match end {
        End::Reset => reset(client),
        End::Close => {
            let _ = client.shutdown().await;
        }
        End::Eof | End::Failed => {}
    }
}

/// Copies `from` to `to` under the active fault until the source ends or a fault ends the connection.
async fn pump<R, W>(from: &mut R, to: &mut W, direction: Direction, mut faults: watch::Receiver<NetworkFault>) -> End
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buffer = vec![0_u8; BUFFER];
    // Reply bytes forwarded since the active fault was first seen on this connection.
    let mut counted: u64 = 0;
    loop {
        if faults.has_changed().unwrap_or(false) {
            counted = 0;
        }
        let fault = *faults.borrow_and_update();
        if fault == NetworkFault::Blackhole {
            // Read nothing, so the bytes wait in the kernel's buffers until the fault ends.
            if faults.changed().await.is_err() {
                return End::Failed;
            }
            counted = 0;
            continue;
        }

        let limit = fault.read_limit(direction, BUFFER);
        let read = tokio::select! {
            read = from.read(&mut buffer[..limit]) => read,
            changed = faults.changed() => {
                if changed.is_err() {
                    return End::Failed;
                }
                counted = 0;
                continue;
            }
        };
        let length = match read {
            Ok(0) => {
                let _ = to.shutdown().await;
                return End::Eof;
            }
            Ok(length) => length,
            Err(_) => return End::Failed,
        };
        let data = &buffer[..length];

        if direction == Direction::Reply
            && let NetworkFault::ResetAfter { bytes } | NetworkFault::CloseAfter { bytes } = fault
        {
            let remaining = usize::try_from(bytes.saturating_sub(counted)).unwrap_or(usize::MAX);
            let forwarded = remaining.min(length);
            if to.write_all(&data[..forwarded]).await.is_err() {
                return End::Failed;
            }
            counted += forwarded as u64;
            if counted >= bytes {
                let _ = to.flush().await;
                return if matches!(fault, NetworkFault::ResetAfter { .. }) { End::Reset } else { End::Close };
            }
            continue;
        }

        // Every delay comes before the write, so that the last piece is held like the others.
        match (fault, direction) {
            (NetworkFault::Latency(delay), _) => tokio::time::sleep(delay).await,
            (NetworkFault::SlowReply { delay, .. }, Direction::Reply) => tokio::time::sleep(delay).await,
            (NetworkFault::Bandwidth { bytes_per_second }, _) => {
                let seconds = length as f64 / bytes_per_second.max(1) as f64;
                tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
            }
            _ => {}
        }
        if to.write_all(data).await.is_err() {
            return End::Failed;
        }
    }
}

/// Closes `stream` with a TCP RST instead of a FIN: linger with a zero timeout, then close.
pub(super) fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}
