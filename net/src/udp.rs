//! `UdpSocket`: datagrams.

use crate::ToSocketAddrs;
use crate::addr::{each_addr, resolve};
use crate::poll_io::PollIo;
use crate::{Interest, Ready};
use gosched_executor::netpoll::Direction;
use gosched_executor::netpoll::Interest as RegInterest;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::OwnedFd;
use std::task::{Context, Poll};

/// A UDP socket.
///
/// All methods take `&self`: one task can `recv` while others `send` through an `Arc`.
///
/// # Examples
/// ```
/// use gosched::net::UdpSocket;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
/// });
/// ```
pub struct UdpSocket {
    io: PollIo<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr`, trying each address it resolves to in turn.
    ///
    /// # Panics
    /// When polled outside a gosched runtime.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        each_addr(&addr, |addr| {
            std::future::ready(mio::net::UdpSocket::bind(addr).and_then(UdpSocket::new))
        })
        .await
    }

    #[track_caller]
    fn new(socket: mio::net::UdpSocket) -> io::Result<UdpSocket> {
        let interest = RegInterest::READABLE | RegInterest::WRITABLE;
        Ok(UdpSocket {
            io: PollIo::new(socket, interest)?,
        })
    }

    /// Wraps a socket from std (made non-blocking here).
    ///
    /// # Panics
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn from_std(s: std::net::UdpSocket) -> io::Result<UdpSocket> {
        s.set_nonblocking(true)?;
        UdpSocket::new(mio::net::UdpSocket::from_std(s))
    }

    /// Sets the default destination of [`send`](UdpSocket::send) and the only source
    /// [`recv`](UdpSocket::recv) accepts, trying each address `addr` resolves to in turn.
    ///
    /// # Examples
    /// ```
    /// use gosched::net::UdpSocket;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.connect(b.local_addr().unwrap()).await.unwrap();
    ///     b.connect(a.local_addr().unwrap()).await.unwrap();
    ///     a.send(b"hi").await.unwrap();
    ///     let mut buf = [0; 8];
    ///     let n = b.recv(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"hi");
    ///     assert_eq!(b.peer_addr().unwrap(), a.local_addr().unwrap());
    /// });
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let socket = self.io.get();
        each_addr(&addr, |addr| std::future::ready(socket.connect(addr))).await
    }

    /// Sends `buf` to the connected peer; returns the bytes sent.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer into `buf` (the rest of a longer one is
    /// dropped); returns its length.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(Direction::Read, |s| s.recv(buf)).await
    }

    /// Sends `buf` to `target` (its first address, if it resolves to several).
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let Some(target) = resolve(&target).await?.into_iter().next() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no addresses to send data to",
            ));
        };
        self.io.io(Direction::Write, |s| s.send_to(buf, target)).await
    }

    /// Receives one datagram into `buf`; returns its length and sender.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| s.recv_from(buf)).await
    }

    /// Waits until the socket is ready for any of `interest` and says what it found (see
    /// [`TcpStream::ready`](crate::TcpStream::ready)).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let s = gosched::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let ready = s.ready(gosched::net::Interest::WRITABLE).await.unwrap();
    ///     assert!(ready.is_writable());
    /// });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready_for(interest).await
    }

    /// Waits until a datagram may be there to receive. The readiness may be stale:
    /// [`try_recv`](UdpSocket::try_recv) can still say `WouldBlock`.
    ///
    /// # Examples
    /// ```
    /// use gosched::net::UdpSocket;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.writable().await.unwrap();
    ///     a.try_send_to(b"dgram", b.local_addr().unwrap()).unwrap();
    ///     let mut buf = [0; 16];
    ///     let (n, from) = loop {
    ///         b.readable().await.unwrap();
    ///         match b.try_recv_from(&mut buf) {
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             r => break r.unwrap(),
    ///         }
    ///     };
    ///     assert_eq!((&buf[..n], from), (&b"dgram"[..], a.local_addr().unwrap()));
    /// });
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready(Direction::Read).await.map(drop)
    }

    /// Waits until a datagram may be sent (see [`readable`](UdpSocket::readable)).
    ///
    /// # Examples
    /// See [`readable`](UdpSocket::readable).
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready(Direction::Write).await.map(drop)
    }

    /// Sends `buf` to the connected peer now; `WouldBlock` when it cannot be sent now.
    ///
    /// # Examples
    /// ```
    /// use gosched::net::UdpSocket;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.connect(b.local_addr().unwrap()).await.unwrap();
    ///     b.connect(a.local_addr().unwrap()).await.unwrap();
    ///     a.writable().await.unwrap();
    ///     assert_eq!(a.try_send(b"hey").unwrap(), 3);
    ///     let mut buf = [0; 8];
    ///     let n = loop {
    ///         b.readable().await.unwrap();
    ///         match b.try_recv(&mut buf) {
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             r => break r.unwrap(),
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], b"hey");
    /// });
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |s| s.send(buf))
    }

    /// Receives a datagram from the connected peer now; `WouldBlock` when none is there.
    ///
    /// # Examples
    /// See [`try_send`](UdpSocket::try_send).
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |s| s.recv(buf))
    }

    /// Sends `buf` to `target` now; `WouldBlock` when it cannot be sent now.
    ///
    /// # Examples
    /// See [`readable`](UdpSocket::readable).
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |s| s.send_to(buf, target))
    }

    /// Receives a datagram now, with its sender; `WouldBlock` when none is there.
    ///
    /// # Examples
    /// See [`readable`](UdpSocket::readable).
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |s| s.recv_from(buf))
    }

    /// [`recv`](UdpSocket::recv) as a poll function, returning the datagram's length.
    /// tokio's takes a `ReadBuf` and returns `()`; this one takes the bytes to fill.
    ///
    /// # Examples
    /// ```
    /// use gosched::net::UdpSocket;
    /// use std::future::poll_fn;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.connect(b.local_addr().unwrap()).await.unwrap();
    ///     b.connect(a.local_addr().unwrap()).await.unwrap();
    ///     assert_eq!(poll_fn(|cx| a.poll_send(cx, b"p")).await.unwrap(), 1);
    ///     let mut buf = [0; 4];
    ///     assert_eq!(poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap(), 1);
    /// });
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv(buf))
    }

    /// [`send`](UdpSocket::send) as a poll function.
    ///
    /// # Examples
    /// See [`poll_recv`](UdpSocket::poll_recv).
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |s| s.send(buf))
    }

    /// [`recv_from`](UdpSocket::recv_from) as a poll function, returning the datagram's length
    /// and sender. tokio's takes a `ReadBuf` and returns only the sender.
    ///
    /// # Examples
    /// ```
    /// use gosched::net::UdpSocket;
    /// use std::future::poll_fn;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let to = b.local_addr().unwrap();
    ///     poll_fn(|cx| a.poll_send_to(cx, b"p", to)).await.unwrap();
    ///     let mut buf = [0; 4];
    ///     let (n, from) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
    ///     assert_eq!((n, from), (1, a.local_addr().unwrap()));
    /// });
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// [`send_to`](UdpSocket::send_to) as a poll function, to one address.
    ///
    /// # Examples
    /// See [`poll_recv_from`](UdpSocket::poll_recv_from).
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |s| s.send_to(buf, target))
    }

    /// Receives the next datagram without taking it off the socket; returns its length (up
    /// to `buf`'s) and sender.
    ///
    /// # Examples
    /// ```
    /// use gosched::net::UdpSocket;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.send_to(b"peek", b.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0; 8];
    ///     let (n, from) = b.peek_from(&mut buf).await.unwrap();
    ///     assert_eq!((&buf[..n], from), (&b"peek"[..], a.local_addr().unwrap()));
    ///     assert_eq!(b.recv_from(&mut buf).await.unwrap().0, 4, "still there");
    /// });
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| s.peek_from(buf)).await
    }

    /// [`peek_from`](UdpSocket::peek_from) as a poll function.
    ///
    /// # Examples
    /// See [`peek_from`](UdpSocket::peek_from).
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| s.peek_from(buf))
    }

    /// Sets `SO_BROADCAST` (sending to a broadcast address is allowed).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let s = gosched::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     s.set_broadcast(true).unwrap();
    ///     assert!(s.broadcast().unwrap());
    ///     s.set_ttl(9).unwrap();
    ///     assert_eq!(s.ttl().unwrap(), 9);
    /// });
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get().set_broadcast(on)
    }

    /// Reads `SO_BROADCAST`.
    ///
    /// # Examples
    /// See [`set_broadcast`](UdpSocket::set_broadcast).
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get().broadcast()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Examples
    /// See [`set_broadcast`](UdpSocket::set_broadcast).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get().set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    ///
    /// # Examples
    /// See [`set_ttl`](UdpSocket::set_ttl).
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get().ttl()
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with address `interface`
    /// (`0.0.0.0`: the OS picks one).
    ///
    /// # Examples
    /// ```no_run
    /// use std::net::Ipv4Addr;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let s = gosched::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();
    ///     s.join_multicast_v4(Ipv4Addr::new(239, 1, 2, 3), Ipv4Addr::UNSPECIFIED).unwrap();
    ///     s.leave_multicast_v4(Ipv4Addr::new(239, 1, 2, 3), Ipv4Addr::UNSPECIFIED).unwrap();
    /// });
    /// ```
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get().join_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves a group joined with [`join_multicast_v4`](UdpSocket::join_multicast_v4).
    ///
    /// # Examples
    /// See [`join_multicast_v4`](UdpSocket::join_multicast_v4).
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Sets `IP_MULTICAST_LOOP` (whether this host receives its own multicast datagrams).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let s = gosched::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     s.set_multicast_loop_v4(false).unwrap();
    ///     assert!(!s.multicast_loop_v4().unwrap());
    /// });
    /// ```
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get().set_multicast_loop_v4(on)
    }

    /// Reads `IP_MULTICAST_LOOP`.
    ///
    /// # Examples
    /// See [`set_multicast_loop_v4`](UdpSocket::set_multicast_loop_v4).
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get().multicast_loop_v4()
    }

    /// Deregisters the socket and returns it as a std socket, still in non-blocking mode.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let s = gosched::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = s.local_addr().unwrap();
    ///     assert_eq!(s.into_std().unwrap().local_addr().unwrap(), addr);
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let mio = self.io.into_inner()?;
        Ok(std::net::UdpSocket::from(OwnedFd::from(mio)))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// The connected peer's address (`NotConnected` before [`connect`](UdpSocket::connect)).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UdpSocket").field(&self.io).finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for UdpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get().as_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get().as_raw_fd()
    }
}
