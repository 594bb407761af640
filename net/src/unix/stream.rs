//! `UnixStream`: a Unix domain stream connection.

use crate::poll_io::{PollIo, futures_stream_impls};
use gosched_executor::netpoll::Interest;
use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix domain stream connection.
///
/// Like [`TcpStream`](crate::TcpStream), it implements `futures::io::{AsyncRead, AsyncWrite}`
/// for `UnixStream` and `&UnixStream`; `poll_close` shuts the write half down.
///
/// # Examples
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// let rt = gosched_executor::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (mut a, mut b) = gosched_net::UnixStream::pair().unwrap();
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
        let interest = Interest::READABLE | Interest::WRITABLE;
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
