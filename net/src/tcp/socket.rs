//! `TcpSocket`: a TCP socket not yet listening or connected, for options that must be set
//! before `bind`/`connect` (socket2-backed).

use super::{TcpListener, TcpStream};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::time::Duration;

/// A TCP socket that has not been turned into a [`TcpListener`] or a [`TcpStream`] yet.
///
/// Creating one does not need a runtime; [`listen`](TcpSocket::listen) and
/// [`connect`](TcpSocket::connect) register it with the current runtime's poller.
///
/// # Examples
/// ```
/// use gosched::net::TcpSocket;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let socket = TcpSocket::new_v4().unwrap();
///     socket.set_reuseaddr(true).unwrap();
///     socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let listener = socket.listen(128).unwrap();
///     let addr = listener.local_addr().unwrap();
///
///     let stream = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap();
///     assert_eq!(stream.peer_addr().unwrap(), addr);
/// });
/// ```
pub struct TcpSocket {
    inner: Socket,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (non-blocking, close-on-exec).
    ///
    /// # Examples
    /// See [`TcpSocket`].
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// A new IPv6 TCP socket (non-blocking, close-on-exec).
    ///
    /// # Examples
    /// ```
    /// let s = gosched::net::TcpSocket::new_v6().unwrap();
    /// s.set_send_buffer_size(64 * 1024).unwrap();
    /// ```
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    /// A socket of the family of `addr`.
    pub(crate) fn new_for(addr: SocketAddr) -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::for_address(addr))
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        // socket2 sets close-on-exec atomically where the OS allows it.
        let inner = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
        inner.set_nonblocking(true)?;
        Ok(TcpSocket { inner })
    }

    /// Sets `SO_REUSEADDR`.
    pub fn set_reuseaddr(&self, on: bool) -> io::Result<()> {
        self.inner.set_reuse_address(on)
    }

    /// Reads `SO_REUSEADDR`.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Sets `SO_REUSEPORT` (several listeners on one port; the kernel spreads connections).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let a = gosched::net::TcpSocket::new_v4().unwrap();
    ///     a.set_reuseport(true).unwrap();
    ///     a.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let addr = a.local_addr().unwrap();
    ///     let b = gosched::net::TcpSocket::new_v4().unwrap();
    ///     b.set_reuseport(true).unwrap();
    ///     b.bind(addr).unwrap(); // allowed: both set SO_REUSEPORT
    ///     let (_a, _b) = (a.listen(16).unwrap(), b.listen(16).unwrap());
    /// });
    /// ```
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    pub fn set_reuseport(&self, on: bool) -> io::Result<()> {
        self.inner.set_reuse_port(on)
    }

    /// Reads `SO_REUSEPORT`.
    ///
    /// # Examples
    /// ```
    /// let s = gosched::net::TcpSocket::new_v4().unwrap();
    /// s.set_reuseport(true).unwrap();
    /// assert!(s.reuseport().unwrap());
    /// ```
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    pub fn reuseport(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Sets `SO_KEEPALIVE` (the kernel probes an idle connection, with its default timing).
    ///
    /// # Examples
    /// ```
    /// let s = gosched::net::TcpSocket::new_v4().unwrap();
    /// s.set_keepalive(true).unwrap();
    /// assert!(s.keepalive().unwrap());
    /// ```
    pub fn set_keepalive(&self, on: bool) -> io::Result<()> {
        self.inner.set_keepalive(on)
    }

    /// Reads `SO_KEEPALIVE`.
    ///
    /// # Examples
    /// See [`set_keepalive`](TcpSocket::set_keepalive).
    pub fn keepalive(&self) -> io::Result<bool> {
        self.inner.keepalive()
    }

    /// Sets `SO_LINGER` (see [`TcpStream::set_linger`]).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// let s = gosched::net::TcpSocket::new_v4().unwrap();
    /// s.set_linger(Some(Duration::from_secs(3))).unwrap();
    /// assert_eq!(s.linger().unwrap(), Some(Duration::from_secs(3)));
    /// ```
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(dur)
    }

    /// Reads `SO_LINGER`.
    ///
    /// # Examples
    /// See [`set_linger`](TcpSocket::set_linger).
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.inner.linger()
    }

    /// Sets `TCP_NODELAY` for the stream it becomes.
    ///
    /// # Examples
    /// ```
    /// let s = gosched::net::TcpSocket::new_v6().unwrap();
    /// s.set_nodelay(true).unwrap();
    /// assert!(s.nodelay().unwrap());
    /// ```
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.inner.set_nodelay(on)
    }

    /// Reads `TCP_NODELAY`.
    ///
    /// # Examples
    /// See [`set_nodelay`](TcpSocket::set_nodelay).
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// Makes a `TcpSocket` of a std stream's socket (tokio's `from_std_stream`), to read and
    /// set its options. It is switched to non-blocking mode, which fails only for a descriptor
    /// that is not a socket (the socket's own calls then report that).
    ///
    /// # Examples
    /// ```
    /// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    /// let s = gosched::net::TcpSocket::from_std_stream(std);
    /// s.set_keepalive(true).unwrap();
    /// assert!(s.keepalive().unwrap());
    /// ```
    pub fn from_std_stream(stream: std::net::TcpStream) -> TcpSocket {
        let _ = stream.set_nonblocking(true);
        TcpSocket {
            inner: Socket::from(OwnedFd::from(stream)),
        }
    }

    /// Sets `SO_SNDBUF`.
    pub fn set_send_buffer_size(&self, n: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(to_usize(n))
    }

    /// Reads `SO_SNDBUF` (Linux reports twice what was set: it counts its bookkeeping).
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.inner.send_buffer_size().map(to_u32)
    }

    /// Sets `SO_RCVBUF`.
    pub fn set_recv_buffer_size(&self, n: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(to_usize(n))
    }

    /// Reads `SO_RCVBUF`.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.inner.recv_buffer_size().map(to_u32)
    }

    /// Binds the socket to `addr` (port 0 picks a free port).
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&SockAddr::from(addr))
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not an IP socket address"))
    }

    /// Starts listening with room for `backlog` pending connections, and registers the
    /// listener with the current runtime.
    ///
    /// # Panics
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        self.inner.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        TcpListener::new(mio::net::TcpListener::from_std(self.inner.into()))
    }

    /// Connects to `addr`, waiting for the handshake without blocking the thread.
    ///
    /// # Errors
    /// The OS's error: `ConnectionRefused`, `TimedOut`, `NetworkUnreachable`, ...
    ///
    /// # Panics
    /// When polled outside a gosched runtime.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        match self.inner.connect(&SockAddr::from(addr)) {
            Ok(()) => {}
            Err(e) if is_in_progress(&e) => {}
            Err(e) => return Err(e),
        }
        TcpStream::connecting(mio::net::TcpStream::from_std(self.inner.into())).await
    }
}

/// A non-blocking connect that has started but not finished.
fn is_in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
}

fn to_usize(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpSocket").field(&self.inner).finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.as_raw_fd()
    }
}
