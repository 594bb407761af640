//! The split halves of a byte stream (tokio's `ReadHalf`, `WriteHalf`, `OwnedReadHalf`,
//! `OwnedWriteHalf`, `ReuniteError`), written once for TCP and Unix streams by
//! [`split_halves!`]. The borrowed halves hold the facade's stream; the owned ones wrap
//! gosched-net's owned halves (an `Arc` of the stream, reunited, and shut down on drop, by
//! gosched).

/// Defines, in the invoking module, the halves of `$stream` (a facade stream whose `inner` is
/// a gosched stream), wrapping the owned halves of gosched-net's module `$gmod`; `$addr` is
/// the address type the halves report.
macro_rules! split_halves {
    ($stream:ident, $gmod:path, $addr:ty) => {
        use $crate::io::{Interest, Ready};
        use $crate::net::stream_io::{self, stream_io};
        use std::io::{self, IoSlice, IoSliceMut};

        #[doc = concat!("The read half of a [`", stringify!($stream), "`], borrowed: from [`", stringify!($stream), "::split`].")]
        #[derive(Debug)]
        pub struct ReadHalf<'a>(pub(super) &'a $stream);

        #[doc = concat!("The write half of a [`", stringify!($stream), "`], borrowed: from [`", stringify!($stream), "::split`].")]
        /// `poll_shutdown` shuts the stream's write direction down.
        #[derive(Debug)]
        pub struct WriteHalf<'a>(pub(super) &'a $stream);

        #[doc = concat!("The read half of a [`", stringify!($stream), "`], owned: from [`", stringify!($stream), "::into_split`].")]
        #[derive(Debug)]
        pub struct OwnedReadHalf {
            inner: <$gmod as $crate::net::split::Halves>::Read,
        }

        #[doc = concat!("The write half of a [`", stringify!($stream), "`], owned: from [`", stringify!($stream), "::into_split`].")]
        /// Dropping it shuts the write direction down, unless it was
        /// [`forget`](OwnedWriteHalf::forget)-ten.
        #[derive(Debug)]
        pub struct OwnedWriteHalf {
            inner: <$gmod as $crate::net::split::Halves>::Write,
        }

        /// [`OwnedReadHalf::reunite`] was given halves of two different streams; here they
        /// are back.
        #[derive(Debug)]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same socket")
            }
        }

        impl std::error::Error for ReuniteError {}

        impl $stream {
            /// Borrowed read and write halves, usable at once.
            pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
                (ReadHalf(self), WriteHalf(self))
            }

            /// Owned read and write halves, which can move to different tasks; `reunite`
            /// gives the stream back.
            pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
                let (r, w) = self.inner.into_split();
                (OwnedReadHalf { inner: r }, OwnedWriteHalf { inner: w })
            }
        }

        stream_io!(@read ReadHalf<'_>, |s| &s.0.inner);
        stream_io!(@write WriteHalf<'_>, |s| &s.0.inner);
        stream_io!(@read OwnedReadHalf, |s| s.inner);
        stream_io!(@write OwnedWriteHalf, |s| s.inner);

        impl OwnedReadHalf {
            /// Puts the stream back together; `ReuniteError` (holding both halves) if they
            /// are from different streams.
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
                self.inner.reunite(other.inner).map($stream::from_gosched).map_err(|e| {
                    ReuniteError(OwnedReadHalf { inner: e.0 }, OwnedWriteHalf { inner: e.1 })
                })
            }
        }

        impl OwnedWriteHalf {
            /// Puts the stream back together (see [`OwnedReadHalf::reunite`]).
            pub fn reunite(self, other: OwnedReadHalf) -> Result<$stream, ReuniteError> {
                other.reunite(self)
            }

            /// Drops the half without shutting the write direction down.
            pub fn forget(self) {
                self.inner.forget()
            }
        }

        $crate::net::split::split_halves!(@read ReadHalf<'_>, |s| s.0.inner, $addr);
        $crate::net::split::split_halves!(@read OwnedReadHalf, |s| s.inner, $addr);
        $crate::net::split::split_halves!(@write WriteHalf<'_>, |s| s.0.inner, $addr);
        $crate::net::split::split_halves!(@write OwnedWriteHalf, |s| s.inner, $addr);

        impl AsRef<$stream> for ReadHalf<'_> {
            fn as_ref(&self) -> &$stream {
                self.0
            }
        }

        impl AsRef<$stream> for WriteHalf<'_> {
            fn as_ref(&self) -> &$stream {
                self.0
            }
        }
    };
    (@read $ty:ty, |$s:ident| $get:expr, $addr:ty) => {
        impl $ty {
            /// Waits for any of `interest`; returns what is ready (which may be stale).
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

            /// The remote address.
            pub fn peer_addr(&self) -> io::Result<$addr> {
                let $s = self;
                $get.peer_addr().map(Into::into)
            }

            /// The local address.
            pub fn local_addr(&self) -> io::Result<$addr> {
                let $s = self;
                $get.local_addr().map(Into::into)
            }
        }
    };
    (@write $ty:ty, |$s:ident| $get:expr, $addr:ty) => {
        impl $ty {
            /// Waits for any of `interest`; returns what is ready (which may be stale).
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
            pub fn peer_addr(&self) -> io::Result<$addr> {
                let $s = self;
                $get.peer_addr().map(Into::into)
            }

            /// The local address.
            pub fn local_addr(&self) -> io::Result<$addr> {
                let $s = self;
                $get.local_addr().map(Into::into)
            }
        }
    };
}
pub(crate) use split_halves;

/// Names gosched-net's owned halves of a stream type, so `split_halves!` can name them from
/// the stream alone.
pub(crate) trait Halves {
    type Read;
    type Write;
}

impl Halves for gosched_net::TcpStream {
    type Read = gosched_net::tcp::OwnedReadHalf;
    type Write = gosched_net::tcp::OwnedWriteHalf;
}

#[cfg(unix)]
impl Halves for gosched_net::UnixStream {
    type Read = gosched_net::unix::OwnedReadHalf;
    type Write = gosched_net::unix::OwnedWriteHalf;
}
