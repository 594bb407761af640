//! `UnixListener`: accepts Unix stream connections.

use super::UnixStream;
use crate::poll_io::PollIo;
use gosched_executor::netpoll::Direction;
use gosched_executor::netpoll::Interest;
use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll, ready};

/// A Unix domain socket server.
///
/// Binding creates the socket file; it is not removed when the listener is dropped (as with
/// std), so remove it yourself.
///
/// # Examples
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use gosched::net::{UnixListener, UnixStream};
///
/// let path = std::env::temp_dir().join(format!("gosched-doc-{}.sock", std::process::id()));
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = UnixListener::bind(&path).unwrap();
///     let mut client = UnixStream::connect(&path).await.unwrap();
///     let (mut conn, _) = listener.accept().await.unwrap();
///     client.write_all(b"hi").await.unwrap();
///     let mut buf = [0; 2];
///     conn.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hi");
/// });
/// std::fs::remove_file(&path).unwrap();
/// ```
pub struct UnixListener {
    io: PollIo<mio::net::UnixListener>,
}

impl UnixListener {
    /// Creates a socket file at `path` and listens on it.
    ///
    /// # Errors
    /// The OS's error: `AddrInUse` if the file exists, `NotFound` for a missing directory, ...
    ///
    /// # Panics
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let l = mio::net::UnixListener::bind(path)?;
        Ok(UnixListener {
            io: PollIo::new(l, Interest::READABLE)?,
        })
    }

    /// Wraps a listener from std (made non-blocking here).
    ///
    /// # Panics
    /// Outside a gosched runtime.
    #[track_caller]
    pub fn from_std(l: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        l.set_nonblocking(true)?;
        Ok(UnixListener {
            io: PollIo::new(mio::net::UnixListener::from_std(l), Interest::READABLE)?,
        })
    }

    /// Waits for a connection; returns it with the peer's address (usually unnamed).
    ///
    /// # Examples
    /// See [`UnixListener`].
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = self.io.io(Direction::Read, |l| l.accept()).await?;
        Ok((UnixStream::new(stream)?, addr))
    }

    /// Polls for a connection (tokio's `poll_accept`): `Pending` registers the task to be
    /// woken when one may be queued.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let path = std::env::temp_dir().join(format!("gosched-doc-pa-{}.sock", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let l = gosched::net::UnixListener::bind(&path).unwrap();
    ///     let client = gosched::spawn(gosched::net::UnixStream::connect(path.clone()));
    ///     let (conn, _) = std::future::poll_fn(|cx| l.poll_accept(cx)).await.unwrap();
    ///     client.await.unwrap().unwrap();
    ///     assert!(conn.local_addr().is_ok());
    ///     std::fs::remove_file(path).unwrap();
    /// });
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (stream, addr) = ready!(self.io.poll_io(cx, Direction::Read, |l| l.accept()))?;
        Poll::Ready(Ok((UnixStream::new(stream)?, addr)))
    }

    /// Deregisters the listener and returns it as a std listener, still in non-blocking mode.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let path = std::env::temp_dir().join(format!("gosched-doc-is-{}.sock", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let l = gosched::net::UnixListener::bind(&path).unwrap();
    ///     let std = l.into_std().unwrap();
    ///     assert_eq!(std.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    ///     std::fs::remove_file(path).unwrap();
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        let mio = self.io.into_inner()?;
        Ok(std::os::unix::net::UnixListener::from(OwnedFd::from(mio)))
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixListener").field(&self.io).finish()
    }
}

impl std::os::fd::AsFd for UnixListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get().as_fd()
    }
}

impl std::os::fd::AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get().as_raw_fd()
    }
}
