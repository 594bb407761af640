//! `TcpStream::split`/`into_split` and their halves (tokio's `tcp::{ReadHalf, WriteHalf,
//! OwnedReadHalf, OwnedWriteHalf, ReuniteError}`). The borrowed halves hold the facade's
//! stream; the owned ones wrap gosched-net's owned halves (an `Arc` of the stream, reunited
//! and shut down on drop by gosched).

use super::TcpStream;
use crate::io::{Interest, ReadBuf, Ready};
use crate::net::stream_io::{self, stream_io};
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::task::{Context, Poll};

/// The read half of a [`TcpStream`], borrowed: from [`TcpStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a>(pub(super) &'a TcpStream);

/// The write half of a [`TcpStream`], borrowed: from [`TcpStream::split`].
/// `poll_shutdown` shuts the stream's write direction down.
#[derive(Debug)]
pub struct WriteHalf<'a>(pub(super) &'a TcpStream);

/// The read half of a [`TcpStream`], owned: from [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf {
    inner: gosched_net::tcp::OwnedReadHalf,
}

/// The write half of a [`TcpStream`], owned: from [`TcpStream::into_split`]. Dropping it
/// shuts the write direction down, unless it was [`forget`](OwnedWriteHalf::forget)-ten.
#[derive(Debug)]
pub struct OwnedWriteHalf {
    inner: gosched_net::tcp::OwnedWriteHalf,
}

/// [`OwnedReadHalf::reunite`] was given halves of two different streams; here they are back.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl std::error::Error for ReuniteError {}

pub(super) fn into_split(stream: gosched_net::TcpStream) -> (OwnedReadHalf, OwnedWriteHalf) {
    let (r, w) = stream.into_split();
    (OwnedReadHalf { inner: r }, OwnedWriteHalf { inner: w })
}

stream_io!(@read ReadHalf<'_>, |s| &s.0.inner);
stream_io!(@write WriteHalf<'_>, |s| &s.0.inner);
stream_io!(@read OwnedReadHalf, |s| s.inner);
stream_io!(@write OwnedWriteHalf, |s| s.inner);

impl OwnedReadHalf {
    /// Puts the stream back together from its two halves; `ReuniteError` (holding both) if
    /// they are from different streams.
    pub fn reunite(self, other: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        self.inner
            .reunite(other.inner)
            .map(TcpStream::from_gosched)
            .map_err(|e| ReuniteError(OwnedReadHalf { inner: e.0 }, OwnedWriteHalf { inner: e.1 }))
    }
}

impl OwnedWriteHalf {
    /// Puts the stream back together (see [`OwnedReadHalf::reunite`]).
    pub fn reunite(self, other: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        other.reunite(self)
    }

    /// Drops the half without shutting the write direction down.
    pub fn forget(self) {
        self.inner.forget()
    }
}

/// The methods of a read half, on `$get` (a gosched stream or owned read half).
macro_rules! read_half {
    ($ty:ty, |$s:ident| $get:expr) => {
        impl $ty {
            /// Waits for any of `interest` (see [`TcpStream::ready`]).
            pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
                let $s = self;
                $get.ready(interest).await
            }

            /// Waits until the stream is readable.
            pub async fn readable(&self) -> io::Result<()> {
                let $s = self;
                $get.readable().await
            }

            /// Reads what is there now; `WouldBlock` when nothing is.
            pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                let $s = self;
                $get.try_read(buf)
            }

            /// Reads what is there now into several buffers.
            pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
                let $s = self;
                $get.try_read_vectored(bufs)
            }

            /// Reads what is there now into `buf`'s spare capacity.
            pub fn try_read_buf<B: bytes_crate::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
                let $s = self;
                stream_io::try_read_buf(buf, |b| $get.try_read(b))
            }

            /// Reads the next bytes without taking them off the socket, waiting for some.
            pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let $s = &*self;
                $get.peek(buf).await
            }

            /// `peek` as a poll function, filling `buf`.
            pub fn poll_peek(
                &mut self,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<usize>> {
                let $s = &*self;
                stream_io::poll_peek(buf, |b| $get.poll_peek(cx, b))
            }

            /// The remote address.
            pub fn peer_addr(&self) -> io::Result<SocketAddr> {
                let $s = self;
                $get.peer_addr()
            }

            /// The local address.
            pub fn local_addr(&self) -> io::Result<SocketAddr> {
                let $s = self;
                $get.local_addr()
            }
        }
    };
}

/// The methods of a write half, on `$get` (a gosched stream or owned write half).
macro_rules! write_half {
    ($ty:ty, |$s:ident| $get:expr) => {
        impl $ty {
            /// Waits for any of `interest` (see [`TcpStream::ready`]).
            pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
                let $s = self;
                $get.ready(interest).await
            }

            /// Waits until the stream is writable.
            pub async fn writable(&self) -> io::Result<()> {
                let $s = self;
                $get.writable().await
            }

            /// Writes what fits now; `WouldBlock` when nothing does.
            pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                let $s = self;
                $get.try_write(buf)
            }

            /// Writes what fits now from several buffers.
            pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                let $s = self;
                $get.try_write_vectored(bufs)
            }

            /// The remote address.
            pub fn peer_addr(&self) -> io::Result<SocketAddr> {
                let $s = self;
                $get.peer_addr()
            }

            /// The local address.
            pub fn local_addr(&self) -> io::Result<SocketAddr> {
                let $s = self;
                $get.local_addr()
            }
        }
    };
}

read_half!(ReadHalf<'_>, |s| s.0.inner);
read_half!(OwnedReadHalf, |s| s.inner);
write_half!(WriteHalf<'_>, |s| s.0.inner);
write_half!(OwnedWriteHalf, |s| s.inner);

impl AsRef<TcpStream> for ReadHalf<'_> {
    fn as_ref(&self) -> &TcpStream {
        self.0
    }
}

impl AsRef<TcpStream> for WriteHalf<'_> {
    fn as_ref(&self) -> &TcpStream {
        self.0
    }
}
