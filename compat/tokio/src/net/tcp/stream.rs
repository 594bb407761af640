//! `tokio::net::TcpStream`: gosched's stream, with the facade's `AsyncRead`/`AsyncWrite`.

use crate::io::{Interest, ReadBuf, Ready};
use crate::net::ToSocketAddrs;
use crate::net::stream_io::{self, stream_io};
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};
use std::time::Duration;

/// A TCP stream on gosched's poller.
///
/// # Examples
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use tokio::net::{TcpListener, TcpStream};
///
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     let (mut server, _) = listener.accept().await.unwrap();
///     // Owned halves move to different tasks; `reunite` puts them back together.
///     let (mut rd, mut wr) = client.into_split();
///     let reader = tokio::spawn(async move {
///         let mut buf = [0; 4];
///         rd.read_exact(&mut buf).await.unwrap();
///         (rd, buf)
///     });
///     wr.write_all(b"ping").await.unwrap();
///     let mut buf = [0; 4];
///     server.read_exact(&mut buf).await.unwrap();
///     server.write_all(b"pong").await.unwrap();
///     let (rd, got) = reader.await.unwrap();
///     assert_eq!(&got, b"pong");
///     let _client: TcpStream = rd.reunite(wr).unwrap();
/// });
/// ```
pub struct TcpStream {
    pub(super) inner: gosched_net::TcpStream,
}

stream_io!(TcpStream, |s| &s.inner);

impl TcpStream {
    pub(crate) fn from_gosched(inner: gosched_net::TcpStream) -> TcpStream {
        TcpStream { inner }
    }

    /// Connects to `addr`, trying each address it resolves to.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        gosched_net::TcpStream::connect(addr)
            .await
            .map(TcpStream::from_gosched)
    }

    /// Registers a connected std stream.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        gosched_net::TcpStream::from_std(stream).map(TcpStream::from_gosched)
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// Sets `TCP_NODELAY`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Waits until the stream is readable; the readiness may be stale (`try_read` can still
    /// say `WouldBlock`).
    pub async fn readable(&self) -> io::Result<()> {
        self.inner.readable().await
    }

    /// Waits until the stream is writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.inner.writable().await
    }

    /// Reads what is there now; `WouldBlock` when nothing is.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.try_read(buf)
    }

    /// Reads what is there now into `buf`'s spare capacity, advancing it; `WouldBlock` when
    /// nothing is.
    pub fn try_read_buf<B: bytes_crate::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        stream_io::try_read_buf(buf, |b| self.inner.try_read(b))
    }

    /// Reads what is there now into several buffers; `WouldBlock` when nothing is.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.try_read_vectored(bufs)
    }

    /// Writes what fits now from several buffers; `WouldBlock` when nothing does.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.inner.try_write_vectored(bufs)
    }

    /// Waits for any of `interest`; returns what is ready (which may be stale: a `try_`
    /// operation can still say `WouldBlock`).
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.inner.ready(interest).await
    }

    /// Polls for read readiness (only the last task to call it is woken).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_read_ready(cx)
    }

    /// Polls for write readiness (only the last task to call it is woken).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_write_ready(cx)
    }

    /// `peek` as a poll function, filling `buf`; returns the bytes peeked.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<usize>> {
        stream_io::poll_peek(buf, |b| self.inner.poll_peek(cx, b))
    }

    /// Deregisters the stream and gives back the std stream (still non-blocking).
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.inner.into_std()
    }

    /// `SO_LINGER`.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.inner.linger()
    }

    /// Sets `SO_LINGER`.
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(dur)
    }

    /// `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// Writes what fits now; `WouldBlock` when nothing does.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.try_write(buf)
    }

    /// Reads the next bytes without taking them off the socket, waiting until there are some.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.peek(buf).await
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
