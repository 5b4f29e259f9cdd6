//! A TLS terminator: accepts HTTPS on loopback with a given certificate and forwards plain bytes upstream.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use chittyid::ServiceUrl;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A TLS listener on `127.0.0.1` and an ephemeral port that forwards the decrypted bytes to a plain TCP upstream,
/// such as the local service, which speaks only HTTP.
///
/// The certificate comes from the test, which makes it at run time (for example with `rcgen`), so no key is stored
/// in the repository. Dropping the value stops the listener and closes every connection.
#[derive(Debug)]
pub struct TlsProxy {
    address: SocketAddr,
    accept_task: JoinHandle<()>,
}

impl TlsProxy {
    /// Starts the terminator for `upstream` with a certificate chain (leaf first) and its private key.
    ///
    /// # Errors
    ///
    /// Returns `InvalidInput` when rustls rejects the certificate or key, or the error of binding the socket.
    pub async fn start(
        upstream: SocketAddr,
        certificate_chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> io::Result<TlsProxy> {
        // The provider is named explicitly, so the result does not depend on which rustls features the build enables.
        let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_no_client_auth().with_single_cert(certificate_chain, key))
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let accept_task = tokio::spawn(accept_loop(listener, acceptor, upstream));
        Ok(TlsProxy { address, accept_task })
    }

    /// Returns the address the terminator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.address
    }

    /// Returns the base URL, `https://127.0.0.1:PORT`; the certificate must name the IP address `127.0.0.1`.
    pub fn url(&self) -> ServiceUrl {
        ServiceUrl::parse(&format!("https://{}", self.address)).expect("a loopback URL is a valid service URL")
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor, upstream: SocketAddr) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((client, _)) = listener.accept().await else {
            tokio::task::yield_now().await;
            continue;
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(serve(client, acceptor.clone(), upstream));
    }
}

async fn serve(client: TcpStream, acceptor: TlsAcceptor, upstream: SocketAddr) {
    let mut client = match acceptor.accept(client).await {
        Ok(client) => client,
        Err(error) => {
            // A client that does not trust the certificate ends here, with a TLS alert.
            tracing::debug!(%error, "TLS handshake failed");
            return;
        }
    };
    let Ok(mut upstream) = TcpStream::connect(upstream).await else { return };
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}
