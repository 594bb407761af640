//! `tokio::net::UnixStream`: gosched's stream, with the facade's `AsyncRead`/`AsyncWrite`.

use super::SocketAddr;
use crate::net::stream_io::stream_io;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;

/// A Unix domain stream on gosched's poller.
///
/// # Examples
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (mut a, mut b) = tokio::net::UnixStream::pair().unwrap();
///     a.write_all(b"unix").await.unwrap();
///     let mut buf = [0; 4];
///     b.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"unix");
/// });
/// ```
pub struct UnixStream {
    inner: gosched_net::UnixStream,
}

stream_io!(UnixStream, |s| &s.inner);

impl UnixStream {
    pub(crate) fn from_gosched(inner: gosched_net::UnixStream) -> UnixStream {
        UnixStream { inner }
    }

    /// Connects to the socket at `path`.
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        gosched_net::UnixStream::connect(path)
            .await
            .map(UnixStream::from_gosched)
    }

    /// A connected pair.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = gosched_net::UnixStream::pair()?;
        Ok((UnixStream::from_gosched(a), UnixStream::from_gosched(b)))
    }

    /// Registers a connected std stream.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        gosched_net::UnixStream::from_std(stream).map(UnixStream::from_gosched)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr().map(SocketAddr::from)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr().map(SocketAddr::from)
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
