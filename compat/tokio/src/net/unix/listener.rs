//! `tokio::net::UnixListener`: gosched's listener.

use super::{SocketAddr, UnixStream};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;

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
