//! `tokio::net::TcpStream`: gosched's stream, with the facade's `AsyncRead`/`AsyncWrite`.

use crate::io::ReadBuf;
use crate::net::ToSocketAddrs;
use crate::net::stream_io::stream_io;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

/// A TCP stream on gosched's poller.
pub struct TcpStream {
    inner: gosched_net::TcpStream,
}

stream_io!(TcpStream, |s| &s.inner);

impl TcpStream {
    pub(crate) fn from_gosched(inner: gosched_net::TcpStream) -> TcpStream {
        TcpStream { inner }
    }

    /// Connects to `addr`, trying each address it resolves to.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        gosched_net::TcpStream::connect(addr)
            .await
            .map(TcpStream::from_gosched)
    }

    /// Registers a connected std stream.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        gosched_net::TcpStream::from_std(stream).map(TcpStream::from_gosched)
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// Sets `TCP_NODELAY`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Waits until the stream is readable; the readiness may be stale (`try_read` can still
    /// say `WouldBlock`).
    pub async fn readable(&self) -> io::Result<()> {
        self.inner.readable().await
    }

    /// Waits until the stream is writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.inner.writable().await
    }

    /// Reads what is there now; `WouldBlock` when nothing is.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.try_read(buf)
    }

    /// Reads what is there now into `buf`'s spare capacity, advancing it; `WouldBlock` when
    /// nothing is.
    pub fn try_read_buf<B: bytes_crate::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        let chunk = buf.chunk_mut();
        // SAFETY: the slice is `chunk`'s spare capacity, which `ReadBuf` only writes
        // (initializing it before the read) and never de-initializes.
        let mut rb = ReadBuf::uninit(unsafe { chunk.as_uninit_slice_mut() });
        let n = self.inner.try_read(rb.initialize_unfilled())?;
        // SAFETY: the read initialized (wrote) the first `n` bytes of the spare capacity.
        unsafe { buf.advance_mut(n) };
        Ok(n)
    }

    /// Writes what fits now; `WouldBlock` when nothing does.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.try_write(buf)
    }

    /// Reads the next bytes without taking them off the socket, waiting until there are some.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.peek(buf).await
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
