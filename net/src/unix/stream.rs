//! `UnixStream`: a Unix domain stream connection.

use crate::poll_io::{PollIo, futures_stream_impls};
use crate::{Interest, Ready};
use gosched_executor::netpoll::{Direction, Interest as RegInterest};
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::OwnedFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

/// A Unix domain stream connection.
///
/// Like [`TcpStream`](crate::TcpStream), it implements `futures::io::{AsyncRead, AsyncWrite}`
/// for `UnixStream` and `&UnixStream`; `poll_close` shuts the write half down.
///
/// # Examples
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (mut a, mut b) = gosched::net::UnixStream::pair().unwrap();
///     a.write_all(b"over").await.unwrap();
///     a.close().await.unwrap();
///     let mut s = String::new();
///     b.read_to_string(&mut s).await.unwrap();
///     assert_eq!(s, "over");
/// });
/// ```
pub struct UnixStream {
    pub(crate) io: PollIo<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Errors
    /// The OS's error: `NotFound` (no such file), `ConnectionRefused` (nobody listens), ...
    ///
    /// # Panics
    /// When polled outside a gosched runtime.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream::new(mio::net::UnixStream::connect(path)?)?;
        stream
            .io
            .finish_connect(|s| s.take_error(), |s| s.peer_addr().map(drop))
            .await?;
        Ok(stream)
    }

    /// A pair of connected streams.
    ///
    /// # Panics
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::new(a)?, UnixStream::new(b)?))
    }

    #[track_caller]
    pub(super) fn new(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        let interest = RegInterest::READABLE | RegInterest::WRITABLE;
        Ok(UnixStream {
            io: PollIo::new(stream, interest)?,
        })
    }

    /// Wraps a connected stream from std (made non-blocking here).
    ///
    /// # Panics
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn from_std(s: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        s.set_nonblocking(true)?;
        UnixStream::new(mio::net::UnixStream::from_std(s))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// Shuts down the read half, the write half, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get().shutdown(how)
    }

    /// Waits until the stream is ready for any of `interest` and says what it found (see
    /// [`TcpStream::ready`](crate::TcpStream::ready)).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (a, _b) = gosched::net::UnixStream::pair().unwrap();
    ///     let ready = a.ready(gosched::net::Interest::WRITABLE).await.unwrap();
    ///     assert!(ready.is_writable());
    /// });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready_for(interest).await
    }

    /// Waits until the stream is readable (data, end of stream, or an error to report). The
    /// readiness may be stale: [`try_read`](UnixStream::try_read) can still say `WouldBlock`.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (a, b) = gosched::net::UnixStream::pair().unwrap();
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

    /// Waits until the stream is writable (see [`readable`](UnixStream::readable)).
    ///
    /// # Examples
    /// See [`readable`](UnixStream::readable).
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready(Direction::Write).await.map(drop)
    }

    /// Polls for read readiness (see [`TcpStream::poll_read_ready`](crate::TcpStream::poll_read_ready)).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (a, b) = gosched::net::UnixStream::pair().unwrap();
    ///     drop(a);
    ///     std::future::poll_fn(|cx| b.poll_read_ready(cx)).await.unwrap();
    ///     assert_eq!(b.try_read(&mut [0; 4]).unwrap(), 0);
    /// });
    /// ```
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read).map_ok(drop)
    }

    /// Polls for write readiness.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (a, _b) = gosched::net::UnixStream::pair().unwrap();
    ///     std::future::poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
    /// });
    /// ```
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write).map_ok(drop)
    }

    /// Reads what is there now without waiting; `WouldBlock` when nothing is.
    ///
    /// # Examples
    /// See [`readable`](UnixStream::readable).
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut s| s.read(buf))
    }

    /// Writes what fits now without waiting; `WouldBlock` when nothing does.
    ///
    /// # Examples
    /// See [`readable`](UnixStream::readable).
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut s| s.write(buf))
    }

    /// Reads what is there now into several buffers without waiting.
    ///
    /// # Examples
    /// ```
    /// use std::io::{IoSlice, IoSliceMut};
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (a, b) = gosched::net::UnixStream::pair().unwrap();
    ///     a.writable().await.unwrap();
    ///     assert_eq!(a.try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")]).unwrap(), 4);
    ///     b.readable().await.unwrap();
    ///     let (mut x, mut y) = ([0; 2], [0; 2]);
    ///     let n = b.try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)]).unwrap();
    ///     assert_eq!((n, &x, &y), (4, b"ab", b"cd"));
    /// });
    /// ```
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |mut s| s.read_vectored(bufs))
    }

    /// Writes what fits now from several buffers without waiting.
    ///
    /// # Examples
    /// See [`try_read_vectored`](UnixStream::try_read_vectored).
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |mut s| s.write_vectored(bufs))
    }

    /// Deregisters the stream and returns it as a std stream, still in non-blocking mode (as
    /// tokio's `into_std`).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (a, _b) = gosched::net::UnixStream::pair().unwrap();
    ///     let std = a.into_std().unwrap();
    ///     assert!(std.peer_addr().is_ok());
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        let mio = self.io.into_inner()?;
        Ok(std::os::unix::net::UnixStream::from(OwnedFd::from(mio)))
    }
}

futures_stream_impls!(UnixStream);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixStream").field(&self.io).finish()
    }
}

impl std::os::fd::AsFd for UnixStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get().as_fd()
    }
}

impl std::os::fd::AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get().as_raw_fd()
    }
}
