//! [`GoschedIo`]: hyper's `Read`/`Write` on a gosched stream.

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The most bytes one read asks the stream for.
///
/// hyper reads into uninitialised memory and a futures-io read takes `&mut [u8]`, so the slice
/// is zeroed before each read. hyper's buffer starts at 8 KiB and grows (up to about 400 KiB)
/// while reads keep filling it; capping the slice bounds what the zeroing costs on a bulk
/// transfer. 64 KiB is a few socket-buffer's worth: one read rarely returns more.
const MAX_READ: usize = 64 * 1024;

/// A gosched stream ([`TcpStream`](crate::net::TcpStream), [`UnixStream`](crate::net::UnixStream),
/// or `&` either) as hyper's [`Read`] + [`Write`], so hyper's servers and clients use it directly.
///
/// It works for any type with futures-io's `AsyncRead`/`AsyncWrite` (a TLS stream over a
/// gosched socket, say). No tokio runtime is involved; this is the counterpart of
/// `hyper_util::rt::TokioIo` for gosched. It also implements hyper-util's [`Connection`], which
/// makes it the connection type of [`HttpConnector`](super::HttpConnector).
///
/// hyper is told that writes are vectored: gosched's streams send all of a response's slices
/// with one `writev`. A stream that writes one slice at a time stays correct, only slower.
///
/// # Examples
/// An HTTP/1.1 exchange between hyper's server and client, both on gosched sockets:
/// ```
/// use gosched::hyper::{GoschedExecutor, GoschedIo};
/// use gosched::net::{TcpListener, TcpStream};
/// use http_body_util::{BodyExt, Empty, Full};
/// use hyper::body::Bytes;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     gosched::spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         let hello = hyper::service::service_fn(|_req| async {
///             Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from("hi"))))
///         });
///         hyper::server::conn::http1::Builder::new()
///             .serve_connection(GoschedIo::new(stream), hello)
///             .await
///             .unwrap();
///     });
///
///     let stream = TcpStream::connect(addr).await.unwrap();
///     let (mut sender, conn) = hyper::client::conn::http1::handshake(GoschedIo::new(stream))
///         .await
///         .unwrap();
///     gosched::spawn(conn);
///     let req = hyper::Request::get("/").header("host", "localhost").body(Empty::<Bytes>::new()).unwrap();
///     let res = sender.send_request(req).await.unwrap();
///     let body = res.into_body().collect().await.unwrap().to_bytes();
///     assert_eq!(&body[..], b"hi");
///     # let _ = GoschedExecutor;
/// });
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GoschedIo<T> {
    inner: T,
}

impl<T> GoschedIo<T> {
    /// Wraps a stream.
    ///
    /// # Examples
    /// ```
    /// # gosched::runtime::Runtime::new().unwrap().block_on(async {
    /// let listener = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let stream = gosched::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let io = gosched::hyper::GoschedIo::new(stream);
    /// assert_eq!(io.inner().peer_addr().unwrap(), listener.local_addr().unwrap());
    /// # });
    /// ```
    pub fn new(inner: T) -> Self {
        GoschedIo { inner }
    }

    /// The stream.
    ///
    /// # Examples
    /// ```
    /// let io = gosched::hyper::GoschedIo::new(7);
    /// assert_eq!(*io.inner(), 7);
    /// ```
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The stream, mutably.
    ///
    /// # Examples
    /// ```
    /// let mut io = gosched::hyper::GoschedIo::new(7);
    /// *io.inner_mut() += 1;
    /// assert_eq!(*io.inner(), 8);
    /// ```
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    ///
    /// # Examples
    /// ```
    /// let io = gosched::hyper::GoschedIo::new(String::from("stream"));
    /// assert_eq!(io.into_inner(), "stream");
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> Read for GoschedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let len = buf.remaining().min(MAX_READ);
        let dst = buf.initialize_unfilled_to(len);
        let n = ready!(Pin::new(&mut self.get_mut().inner).poll_read(cx, dst))?;
        // Advancing past what was initialised would expose uninitialised memory: a stream that
        // claims to have read more than it was given is a bug worth stopping at.
        assert!(
            n <= len,
            "GoschedIo: the stream reported reading {n} bytes into a {len}-byte slice"
        );
        // SAFETY: the first `len >= n` unfilled bytes were initialised by
        // `initialize_unfilled_to(len)` just above (and the read wrote `n` of them).
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> Write for GoschedIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

/// What hyper-util's legacy client learns about a connection: a plain one (no proxy, no
/// ALPN; HTTP/2 is used when the client is built with `http2_only`).
impl<T> Connection for GoschedIo<T> {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}
