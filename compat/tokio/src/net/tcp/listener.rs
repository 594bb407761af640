//! `tokio::net::TcpListener`: gosched's listener, handing out the facade's streams.

use super::TcpStream;
use crate::net::ToSocketAddrs;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

/// A TCP listener on gosched's poller.
///
/// # Examples
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use tokio::net::{TcpListener, TcpStream};
///
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     tokio::spawn(async move {
///         let (mut conn, _) = listener.accept().await.unwrap();
///         conn.write_all(b"hi").await.unwrap();
///     });
///     let mut s = TcpStream::connect(addr).await.unwrap();
///     let mut buf = [0; 2];
///     s.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hi");
/// });
/// ```
pub struct TcpListener {
    inner: gosched_net::TcpListener,
}

impl TcpListener {
    pub(crate) fn from_gosched(inner: gosched_net::TcpListener) -> TcpListener {
        TcpListener { inner }
    }

    /// Binds to `addr` (`SO_REUSEADDR`, backlog 1024), trying each address it resolves to.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        gosched_net::TcpListener::bind(addr)
            .await
            .map(TcpListener::from_gosched)
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, a) = self.inner.accept().await?;
        Ok((TcpStream::from_gosched(s), a))
    }

    /// Registers a std listener (which should be non-blocking, as tokio asks; gosched sets it).
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        gosched_net::TcpListener::from_std(listener).map(TcpListener::from_gosched)
    }

    /// Polls for a connection (only the last task to call it is woken).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.inner
            .poll_accept(cx)
            .map_ok(|(s, a)| (TcpStream::from_gosched(s), a))
    }

    /// Deregisters the listener and gives back the std listener (still non-blocking).
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.inner.into_std()
    }

    /// `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
