//! `tokio::net::UnixListener`: gosched's listener.

use super::{SocketAddr, UnixStream};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

/// A Unix domain socket listener on gosched's poller.
pub struct UnixListener {
    inner: gosched_net::UnixListener,
}

impl UnixListener {
    /// Binds to `path`.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        gosched_net::UnixListener::bind(path).map(|inner| UnixListener { inner })
    }

    /// Registers a std listener.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        gosched_net::UnixListener::from_std(listener).map(|inner| UnixListener { inner })
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, a) = self.inner.accept().await?;
        Ok((UnixStream::from_gosched(s), a.into()))
    }

    /// Polls for a connection (only the last task to call it is woken).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.inner
            .poll_accept(cx)
            .map_ok(|(s, a)| (UnixStream::from_gosched(s), a.into()))
    }

    /// Deregisters the listener and gives back the std listener (still non-blocking).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        self.inner.into_std()
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr().map(SocketAddr::from)
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
