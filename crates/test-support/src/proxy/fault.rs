//! The faults a [`FaultProxy`](super::FaultProxy) can inject.

use std::time::Duration;

/// A network fault, applied by the proxy until it is replaced or cleared.
///
/// "Request" bytes flow from the client to the upstream service, "reply" bytes back. The proxy applies one fault at
/// a time, to new connections and to connections that are already open. A counting fault (`ResetAfter`,
/// `CloseAfter`) counts reply bytes on each connection from the moment the fault became active there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NetworkFault {
    /// Bytes pass unchanged.
    #[default]
    None,
    /// Each chunk of bytes, in either direction, is held this long before it is forwarded.
    Latency(Duration),
    /// Both directions are limited to this many bytes per second each.
    Bandwidth {
        /// The rate of each direction in bytes per second; at least 1.
        bytes_per_second: u64,
    },
    /// Connections are accepted, but no byte is forwarded in either direction until the fault ends. New connections
    /// are not connected upstream until then.
    Blackhole,
    /// New connections are accepted and reset (TCP RST) at once; open connections are not touched.
    ResetOnConnect,
    /// After this many reply bytes, the client's connection is reset (TCP RST). With 0, the reset comes when the
    /// next reply starts, before any of its bytes is forwarded.
    ResetAfter {
        /// Reply bytes forwarded before the reset.
        bytes: u64,
    },
    /// After this many reply bytes, both connections are closed cleanly (FIN), as if the service had closed them.
    CloseAfter {
        /// Reply bytes forwarded before the close.
        bytes: u64,
    },
    /// Reply bytes are forwarded in pieces of `chunk` bytes, each held for `delay`: a reply, headers and body, that
    /// trickles in.
    SlowReply {
        /// Bytes per piece; at least 1.
        chunk: usize,
        /// The wait before each piece.
        delay: Duration,
    },
}

impl NetworkFault {
    /// Returns the largest read that the fault allows in one step, given the default buffer size.
    pub(super) fn read_limit(self, direction: Direction, buffer: usize) -> usize {
        match (self, direction) {
            (NetworkFault::Bandwidth { bytes_per_second }, _) => {
                // Ten steps a second keep the rate smooth without a timer per byte.
                usize::try_from(bytes_per_second / 10).unwrap_or(usize::MAX).clamp(1, buffer)
            }
            (NetworkFault::SlowReply { chunk, .. }, Direction::Reply) => chunk.clamp(1, buffer),
            _ => buffer,
        }
    }
}

/// The direction of a byte stream through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    /// Client to upstream.
    Request,
    /// Upstream to client.
    Reply,
}
