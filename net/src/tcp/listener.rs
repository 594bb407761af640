//! `TcpListener`: accepts TCP connections.

use super::{TcpSocket, TcpStream};
use crate::ToSocketAddrs;
use crate::addr::each_addr;
use crate::poll_io::PollIo;
use gosched_executor::netpoll::Direction;
use gosched_executor::netpoll::Interest;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::task::{Context, Poll, ready};

/// The backlog of [`TcpListener::bind`], as documented there; tokio uses it too (Go asks the kernel
/// for `somaxconn`, which is 4096 on current Linux and silently caps whatever we pass).
const DEFAULT_BACKLOG: u32 = 1024;

/// A TCP socket server, listening for connections.
///
/// # Examples
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use gosched::net::{TcpListener, TcpStream};
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = gosched::spawn(async move {
///         let mut s = TcpStream::connect(addr).await.unwrap();
///         s.write_all(b"ping").await.unwrap();
///     });
///     let (mut conn, peer) = listener.accept().await.unwrap();
///     assert!(peer.ip().is_loopback());
///     let mut buf = [0; 4];
///     conn.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"ping");
///     client.await.unwrap();
/// });
/// ```
pub struct TcpListener {
    io: PollIo<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` with `SO_REUSEADDR` and a backlog of 1024, trying each address it
    /// resolves to in turn.
    ///
    /// # Errors
    /// The OS's error for the last address tried (`AddrInUse`, `AddrNotAvailable`, ...).
    ///
    /// # Panics
    /// When polled outside a gosched runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    ///     assert_ne!(l.local_addr().unwrap().port(), 0);
    /// });
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        each_addr(&addr, |addr| std::future::ready(bind_addr(addr))).await
    }

    /// Waits for a connection; returns it with the peer's address.
    ///
    /// An error from the OS (`EMFILE` "too many open files", `ECONNABORTED`, ...) is returned
    /// as is. The listener stays usable: the connection that could not be accepted is still
    /// queued, and a later `accept` gets it.
    ///
    /// # Examples
    /// See [`TcpListener`].
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = self.io.io(Direction::Read, |l| l.accept()).await?;
        Ok((TcpStream::new(stream)?, peer))
    }

    /// Polls for a connection (tokio's `poll_accept`): `Pending` registers the task to be
    /// woken when one may be queued. Errors as [`accept`](TcpListener::accept).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = l.local_addr().unwrap();
    ///     let client = gosched::spawn(gosched::net::TcpStream::connect(addr));
    ///     let (conn, peer) = std::future::poll_fn(|cx| l.poll_accept(cx)).await.unwrap();
    ///     let client = client.await.unwrap().unwrap();
    ///     assert_eq!(peer, client.local_addr().unwrap());
    ///     assert_eq!(conn.peer_addr().unwrap(), peer);
    /// });
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, peer) = ready!(self.io.poll_io(cx, Direction::Read, |l| l.accept()))?;
        Poll::Ready(Ok((TcpStream::new(stream)?, peer)))
    }

    /// Deregisters the listener and returns it as a std listener, still in non-blocking mode
    /// (as tokio's `into_std`).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = l.local_addr().unwrap();
    ///     let std = l.into_std().unwrap();
    ///     assert_eq!(std.local_addr().unwrap(), addr);
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let mio = self.io.into_inner()?;
        Ok(std::net::TcpListener::from(OwnedFd::from(mio)))
    }

    /// Sets `IP_TTL` for the connections it accepts (and itself).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     l.set_ttl(100).unwrap();
    ///     assert_eq!(l.ttl().unwrap(), 100);
    /// });
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get().set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    ///
    /// # Examples
    /// See [`set_ttl`](TcpListener::set_ttl).
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get().ttl()
    }

    /// The address this listener is bound to.
    ///
    /// # Examples
    /// See [`TcpListener::bind`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// Wraps a listener from std (made non-blocking here).
    ///
    /// # Panics
    /// Outside a gosched runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = std.local_addr().unwrap();
    ///     let l = gosched::net::TcpListener::from_std(std).unwrap();
    ///     assert_eq!(l.local_addr().unwrap(), addr);
    /// });
    /// ```
    #[track_caller]
    pub fn from_std(l: std::net::TcpListener) -> io::Result<TcpListener> {
        l.set_nonblocking(true)?;
        TcpListener::new(mio::net::TcpListener::from_std(l))
    }

    #[track_caller]
    pub(super) fn new(l: mio::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: PollIo::new(l, Interest::READABLE)?,
        })
    }
}

fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_for(addr)?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(DEFAULT_BACKLOG)
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpListener").field(&self.io).finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get().as_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get().as_raw_fd()
    }
}
