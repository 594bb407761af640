//! tokio's Unix domain socket types: [`UnixListener`], [`UnixStream`], [`SocketAddr`], and
//! the halves of `UnixStream::split`/`into_split`.

mod listener;
mod split;
mod stream;

pub use listener::UnixListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::UnixStream;

use std::fmt;
use std::path::Path;

/// The address of a Unix domain socket (tokio's wrapper of std's).
#[derive(Clone)]
pub struct SocketAddr(std::os::unix::net::SocketAddr);

impl SocketAddr {
    /// Whether the address is unnamed (the client side of a connection, usually).
    pub fn is_unnamed(&self) -> bool {
        self.0.is_unnamed()
    }

    /// The path, if the address is one.
    pub fn as_pathname(&self) -> Option<&Path> {
        self.0.as_pathname()
    }
}

impl fmt::Debug for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<std::os::unix::net::SocketAddr> for SocketAddr {
    fn from(a: std::os::unix::net::SocketAddr) -> Self {
        SocketAddr(a)
    }
}

impl From<SocketAddr> for std::os::unix::net::SocketAddr {
    fn from(a: SocketAddr) -> Self {
        a.0
    }
}
