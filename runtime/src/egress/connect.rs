//! Sending one checked request: connect to the address the policy approved (no second name
//! lookup), TLS with the request's host name, HTTP/1.1, timeouts, and a response-body cap.
//! Adapted from wasmtime-wasi-http's `default_send_request`, whose 600 s timeouts and
//! unchecked `TcpStream::connect(authority)` are exactly what this path must not do.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use wasmtime_wasi_http::{Error, WasiBody};

/// Timeouts and caps for one request, already bounded by the invocation's deadline.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect: Duration,
    pub first_byte: Duration,
    pub max_body_bytes: u64,
}

/// The response and the future that drives the connection until the body is read.
pub type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), Error>> + Send>,
);

trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> Stream for T {}

/// Sends `request` to `addr`; `tls_host` is the name to verify the certificate against
/// (`None` for plain HTTP).
pub async fn send(
    mut request: http::Request<WasiBody>,
    addr: SocketAddr,
    tls_host: Option<&str>,
    limits: Limits,
) -> Result<Sent, Error> {
    let tcp = match tokio::time::timeout(limits.connect, tokio::net::TcpStream::connect(addr)).await
    {
        Ok(stream) => stream.map_err(Error::Connect)?,
        Err(_) => return Err(Error::ConnectionTimeout),
    };
    let stream: Box<dyn Stream> = match tls_host {
        Some(host) => Box::new(tls(tcp, host).await?),
        None => Box::new(tcp),
    };
    let (mut sender, conn) = tokio::time::timeout(
        limits.connect,
        hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)??;

    // The request line carries only the path; the authority goes in the Host header, which
    // wasmtime-wasi-http sets from the URI (never from a guest-supplied header).
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(path)
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;

    // `None` once the connection future has finished: it must not be polled again.
    let mut conn = Some(Box::pin(conn));
    let response = {
        let mut send = Box::pin(tokio::time::timeout(
            limits.first_byte,
            sender.send_request(request),
        ));
        // Drive the connection while waiting for the response head.
        std::future::poll_fn(|cx| {
            if let Poll::Ready(result) = send.as_mut().poll(cx) {
                return Poll::Ready(result);
            }
            if let Some(c) = conn.as_mut()
                && let Poll::Ready(result) = c.as_mut().poll(cx)
            {
                conn = None;
                if let Err(e) = result {
                    return Poll::Ready(Ok(Err(e)));
                }
                return send.as_mut().poll(cx);
            }
            Poll::Pending
        })
        .await
        .map_err(|_| Error::ConnectionReadTimeout)?
        .map_err(Error::from)?
    };
    let max = limits.max_body_bytes;
    let response = response.map(|incoming| {
        CappedBody {
            inner: incoming,
            left: max,
            limit: max,
        }
        .boxed_unsync()
    });
    let io = async move {
        match conn {
            Some(c) => c.await.map_err(Error::from),
            None => Ok(()),
        }
    };
    Ok((response, Box::new(io)))
}

async fn tls(tcp: tokio::net::TcpStream, host: &str) -> Result<impl Stream, Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| Error::TlsCertificateError)?;
    connector.connect(name, tcp).await.map_err(Error::Tls)
}

/// A response body that fails once it has delivered more than `limit` bytes.
struct CappedBody {
    inner: hyper::body::Incoming,
    left: u64,
    limit: u64,
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map(|d| d.len() as u64).unwrap_or(0);
                if len > self.left {
                    self.left = 0;
                    return Poll::Ready(Some(Err(Error::HttpResponseBodySize(Some(self.limit)))));
                }
                self.left -= len;
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Error::from(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
