//! The server's connection loop: a cap on open connections, a time limit on reading a request
//! head (which also closes idle kept-alive connections), a refusal of over-long request lines
//! whatever their length, and a shutdown that lets requests under way finish within a deadline.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::models::{ErrorBody, MAX_URL_BYTES};

/// The limits of the connection loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets the
/// requests under way finish for at most `shutdown_timeout`, and returns.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        // At the cap, nothing more is accepted until a connection closes: a client waits in the
        // listen queue rather than being refused, and the server never runs out of descriptors.
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_transient(&e) => {
                    // Out of descriptors or memory for a moment: try again shortly.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                Err(e) => return Err(e),
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(RequestLineGuard::new(stream));
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_timeout) => {}
    }
    Ok(())
}

/// Accept errors that pass: a connection reset before it was accepted, or a lack of resources.
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) || matches!(e.raw_os_error(), Some(23 | 24 | 12 | 105))
}

/// The longest request line read: `GET ` + the URL the API allows + ` HTTP/1.1`, with room.
const MAX_REQUEST_LINE: usize = MAX_URL_BYTES + 64;

/// Where a connection's reader stands in the request head.
#[derive(Clone, Copy, Debug)]
enum Head {
    /// In the request line, this many bytes into it.
    RequestLine(usize),
    /// In the header lines; `true` at the start of a line (two in a row end the head).
    Headers(bool),
}

/// A stream that answers `414 URI Too Long` itself, and closes, when a request line grows past
/// [`MAX_REQUEST_LINE`] — before hyper would hold it, so a URL of any length gets the same
/// answer as one just past the limit (which the router refuses). It watches only the heads of
/// requests: the API's requests have no body.
struct RequestLineGuard {
    inner: TcpStream,
    head: Head,
    /// The refusal still to write, once a request line has grown too long.
    refusal: Option<(Vec<u8>, usize)>,
    /// Once the refusal is written: the write side is shut, and this much of the rest of the
    /// request is still read and dropped (closing with unread input would reset the connection
    /// and lose the answer before the client reads it).
    draining: Option<usize>,
}

/// How much of a refused request is read and dropped after the answer, at most.
const DRAIN: usize = 64 << 20;

impl RequestLineGuard {
    fn new(inner: TcpStream) -> Self {
        RequestLineGuard {
            inner,
            head: Head::RequestLine(0),
            refusal: None,
            draining: None,
        }
    }

    /// Follows `bytes` through the head; `true` when a request line is too long.
    fn too_long(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            self.head = match (self.head, b) {
                (Head::RequestLine(_), b'\n') => Head::Headers(true),
                (Head::RequestLine(n), _) if n + 1 > MAX_REQUEST_LINE => return true,
                (Head::RequestLine(n), _) => Head::RequestLine(n + 1),
                (Head::Headers(true), b'\n') => Head::RequestLine(0),
                (Head::Headers(_), b'\n') => Head::Headers(true),
                (Head::Headers(at_start), b'\r') => Head::Headers(at_start),
                (Head::Headers(_), _) => Head::Headers(false),
            };
        }
        false
    }

    /// Writes what is left of the refusal, shuts the write side, then reads and drops the rest
    /// of the request until the client closes (or [`DRAIN`] bytes); ready then, as an end of
    /// input for hyper.
    fn poll_refusal(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some((bytes, written)) = &mut self.refusal else {
            return Poll::Ready(Ok(()));
        };
        while *written < bytes.len() {
            let n = match Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            if n == 0 {
                return Poll::Ready(Ok(()));
            }
            *written += n;
        }
        if self.draining.is_none() {
            match Pin::new(&mut self.inner).poll_shutdown(cx) {
                Poll::Ready(Ok(())) => self.draining = Some(DRAIN),
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let mut sink = [0u8; 8192];
        while let Some(left) = self.draining.filter(|&l| l > 0) {
            let mut buf = ReadBuf::new(&mut sink);
            match Pin::new(&mut self.inner).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => break,
                Poll::Ready(Ok(())) => {
                    self.draining = Some(left.saturating_sub(buf.filled().len()));
                }
                Poll::Ready(Err(_)) => break,
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// The answer to a request line past the limit.
pub(crate) fn uri_too_long_body() -> ErrorBody {
    ErrorBody::new(
        "uri-too-long",
        format!("the request's URL is longer than {MAX_URL_BYTES} bytes; shorten the expression"),
    )
}

fn refusal_bytes() -> Vec<u8> {
    let body = serde_json::to_vec(&uri_too_long_body()).unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend(body);
    out
}

impl AsyncRead for RequestLineGuard {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.refusal.is_some() {
            // Answered: the connection ends here, whatever hyper read so far.
            return this.poll_refusal(cx);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        if this.too_long(&buf.filled()[before..]) {
            buf.set_filled(before);
            this.refusal = Some((refusal_bytes(), 0));
            return this.poll_refusal(cx);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for RequestLineGuard {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.refusal.is_some() {
            // Whatever hyper says after the refusal is not sent.
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.refusal.is_some() {
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
