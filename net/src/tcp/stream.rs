//! `TcpStream`: a TCP connection.

use crate::ToSocketAddrs;
use crate::addr::each_addr;
use crate::poll_io::{PollIo, futures_stream_impls};
use crate::{Interest, Ready};
use gosched_executor::netpoll::Direction;
use gosched_executor::netpoll::Interest as RegInterest;
use socket2::SockRef;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::OwnedFd;
use std::task::{Context, Poll};
use std::time::Duration;

/// A TCP connection.
///
/// Reads and writes go through `futures::io::{AsyncRead, AsyncWrite}`, implemented for
/// `TcpStream` and for `&TcpStream`, so one task can read while another writes through a
/// shared reference (or one task can do both with `futures::join!`). `poll_close` shuts the
/// write half down; the socket is closed when the value is dropped.
///
/// # Examples
/// An echo over loopback:
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use gosched::net::{TcpListener, TcpStream};
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let server = gosched::spawn(async move {
///         let (conn, _) = listener.accept().await.unwrap();
///         futures::io::copy(&conn, &mut &conn).await.unwrap();
///     });
///     let mut s = TcpStream::connect(addr).await.unwrap();
///     s.write_all(b"hello").await.unwrap();
///     s.close().await.unwrap(); // shutdown(Write): the server's copy ends
///     let mut back = Vec::new();
///     s.read_to_end(&mut back).await.unwrap();
///     assert_eq!(back, b"hello");
///     server.await.unwrap();
/// });
/// ```
pub struct TcpStream {
    pub(crate) io: PollIo<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each address it resolves to in turn; returns the first
    /// connection made, or the last error.
    ///
    /// # Errors
    /// The OS's error: `ConnectionRefused` for a closed port, `TimedOut`, ...
    ///
    /// # Panics
    /// When polled outside a gosched runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     // Nothing listens on a port that was just released.
    ///     let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    ///     let err = gosched::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// });
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(&addr, |addr| async move {
            TcpStream::connecting(mio::net::TcpStream::connect(addr)?).await
        })
        .await
    }

    /// Registers a stream whose non-blocking connect has started and waits for it to finish.
    pub(super) async fn connecting(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        let stream = TcpStream::new(stream)?;
        stream
            .io
            .finish_connect(|s| s.take_error(), |s| s.peer_addr().map(drop))
            .await?;
        Ok(stream)
    }

    #[track_caller]
    pub(super) fn new(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        let interest = RegInterest::READABLE | RegInterest::WRITABLE;
        Ok(TcpStream {
            io: PollIo::new(stream, interest)?,
        })
    }

    /// Wraps a connected stream from std (made non-blocking here).
    ///
    /// # Panics
    /// Outside a gosched runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let std = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    ///     let s = gosched::net::TcpStream::from_std(std).unwrap();
    ///     assert_eq!(s.peer_addr().unwrap(), l.local_addr().unwrap());
    /// });
    /// ```
    #[track_caller]
    pub fn from_std(s: std::net::TcpStream) -> io::Result<TcpStream> {
        s.set_nonblocking(true)?;
        TcpStream::new(mio::net::TcpStream::from_std(s))
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// Sets `TCP_NODELAY` (no Nagle: small writes go out at once).
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.io.get().set_nodelay(on)
    }

    /// Reads `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get().nodelay()
    }

    /// Shuts down the read half, the write half, or both. A task waiting to read on a stream
    /// whose read half is shut down wakes up and reads `Ok(0)`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get().shutdown(how)
    }

    /// Waits until the stream is readable (data, end of stream, or an error to report).
    /// The readiness may be stale: [`try_read`](TcpStream::try_read) can still say `WouldBlock`.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (b, _) = l.accept().await.unwrap();
    ///     a.writable().await.unwrap();
    ///     assert_eq!(a.try_write(b"x").unwrap(), 1);
    ///     let mut buf = [0; 8];
    ///     loop {
    ///         b.readable().await.unwrap();
    ///         match b.try_read(&mut buf) {
    ///             Ok(n) => break assert_eq!(&buf[..n], b"x"),
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             Err(e) => panic!("{e}"),
    ///         }
    ///     }
    /// });
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready(Direction::Read).await.map(drop)
    }

    /// Waits until the stream is writable (see [`readable`](TcpStream::readable)).
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready(Direction::Write).await.map(drop)
    }

    /// Reads what is there now without waiting; `WouldBlock` when nothing is.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut s| s.read(buf))
    }

    /// Writes what fits now without waiting; `WouldBlock` when nothing does.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut s| s.write(buf))
    }

    /// Reads the next bytes without taking them off the socket, waiting until there are some.
    ///
    /// # Examples
    /// ```
    /// use futures::io::AsyncWriteExt;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let mut a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (b, _) = l.accept().await.unwrap();
    ///     a.write_all(b"hi").await.unwrap();
    ///     let mut buf = [0; 2];
    ///     let n = b.peek(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], &b"hi"[..n]);
    ///     assert_eq!(b.try_read(&mut buf).unwrap(), n, "peeked bytes are still there");
    /// });
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(Direction::Read, |s| s.peek(buf)).await
    }

    /// [`peek`](TcpStream::peek) as a poll function. tokio's takes a `ReadBuf`; this one takes
    /// the bytes to fill and returns how many were peeked.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (b, _) = l.accept().await.unwrap();
    ///     a.writable().await.unwrap();
    ///     a.try_write(b"x").unwrap();
    ///     let mut buf = [0; 1];
    ///     let n = std::future::poll_fn(|cx| b.poll_peek(cx, &mut buf)).await.unwrap();
    ///     assert_eq!((n, buf[0]), (1, b'x'));
    /// });
    /// ```
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |s| s.peek(buf))
    }

    /// Waits until the stream is ready for any of `interest` and says what it found (tokio's
    /// `ready`). The readiness may be stale: the operation can still say `WouldBlock`, and the
    /// next `ready` call then waits for a new event.
    ///
    /// # Examples
    /// ```
    /// use gosched::net::Interest;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
    ///     assert!(ready.is_writable(), "{ready:?}");
    /// });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready_for(interest).await
    }

    /// Polls for read readiness (tokio's `poll_read_ready`): `Ready(Ok(()))` when a read may
    /// proceed; `Pending` after registering the task to be woken when it may.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (b, _) = l.accept().await.unwrap();
    ///     drop(a); // the peer's close makes b readable (a read returns 0)
    ///     std::future::poll_fn(|cx| b.poll_read_ready(cx)).await.unwrap();
    ///     assert_eq!(b.try_read(&mut [0; 4]).unwrap(), 0);
    /// });
    /// ```
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read).map_ok(drop)
    }

    /// Polls for write readiness (see [`poll_read_ready`](TcpStream::poll_read_ready)).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     std::future::poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
    ///     assert_eq!(a.try_write(b"ok").unwrap(), 2);
    /// });
    /// ```
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write).map_ok(drop)
    }

    /// Reads what is there now into several buffers without waiting; `WouldBlock` when
    /// nothing is.
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (b, _) = l.accept().await.unwrap();
    ///     a.writable().await.unwrap();
    ///     a.try_write(b"abcd").unwrap();
    ///     let (mut x, mut y) = ([0; 2], [0; 2]);
    ///     let n = loop {
    ///         b.readable().await.unwrap();
    ///         match b.try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)]) {
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             n => break n.unwrap(),
    ///         }
    ///     };
    ///     assert_eq!(n, 4);
    ///     assert_eq!((&x, &y), (b"ab", b"cd"));
    /// });
    /// ```
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut s| s.read_vectored(bufs))
    }

    /// Writes what fits now from several buffers without waiting; `WouldBlock` when nothing
    /// does.
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSlice;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     a.writable().await.unwrap();
    ///     let n = a.try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")]).unwrap();
    ///     assert_eq!(n, 4);
    /// });
    /// ```
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut s| s.write_vectored(bufs))
    }

    /// Deregisters the stream and returns it as a std stream, still in non-blocking mode (as
    /// tokio's `into_std`; call `set_nonblocking(false)` for blocking use).
    ///
    /// # Examples
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     let (b, _) = l.accept().await.unwrap();
    ///     let mut a = a.into_std().unwrap();
    ///     a.set_nonblocking(false).unwrap();
    ///     a.write_all(b"std").unwrap();
    ///     let mut b = b.into_std().unwrap();
    ///     b.set_nonblocking(false).unwrap();
    ///     let mut buf = [0; 3];
    ///     b.read_exact(&mut buf).unwrap();
    ///     assert_eq!(&buf, b"std");
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        let mio = self.io.into_inner()?;
        Ok(std::net::TcpStream::from(OwnedFd::from(mio)))
    }

    /// Sets `SO_LINGER`: `Some(d)` makes the close wait up to `d` for unsent data (`Some(0)`
    /// resets the connection); `None` turns it off.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     a.set_linger(Some(Duration::from_secs(1))).unwrap();
    ///     assert_eq!(a.linger().unwrap(), Some(Duration::from_secs(1)));
    /// });
    /// ```
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        SockRef::from(self.io.get()).set_linger(dur)
    }

    /// Reads `SO_LINGER` (see [`set_linger`](TcpStream::set_linger)).
    ///
    /// # Examples
    /// See [`set_linger`](TcpStream::set_linger).
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        SockRef::from(self.io.get()).linger()
    }

    /// Sets `IP_TTL`, the time-to-live of the packets sent.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let a = gosched::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    ///     a.set_ttl(42).unwrap();
    ///     assert_eq!(a.ttl().unwrap(), 42);
    /// });
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get().set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    ///
    /// # Examples
    /// See [`set_ttl`](TcpStream::set_ttl).
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get().ttl()
    }
}

futures_stream_impls!(TcpStream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpStream").field(&self.io).finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get().as_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get().as_raw_fd()
    }
}
