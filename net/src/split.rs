//! `split` and `into_split` for a byte stream (tokio's shape), written once for TCP and Unix
//! streams: [`split_halves!`] defines, in the module that invokes it, `ReadHalf`, `WriteHalf`
//! (borrowed), `OwnedReadHalf`, `OwnedWriteHalf` (an `Arc` of the stream each) and
//! `ReuniteError`, and the stream's `split`/`into_split`.
//!
//! The halves read and write through the stream's shared reference (`&Stream` is
//! `AsyncRead + AsyncWrite`), so splitting costs nothing but the `Arc` of the owned form. As
//! in tokio, the write half's `poll_close` (tokio's `poll_shutdown`) shuts the write direction
//! down, and dropping an `OwnedWriteHalf` does too unless it was
//! [`forget`](crate::tcp::OwnedWriteHalf::forget)-ten or reunited.

/// Defines the split types for `$stream` (whose addresses are `$addr`); `$setup` is a doc
/// snippet that binds two connected streams `a` and `b` inside `block_on`.
macro_rules! split_halves {
    ($stream:ident, $addr:ty, $setup:literal) => {
        use std::sync::Arc;

        /// The read half of a
        #[doc = concat!("[`", stringify!($stream), "`], borrowed: from [`", stringify!($stream), "::split`].")]
        ///
        /// # Examples
        /// ```
        /// use futures::io::{AsyncReadExt, AsyncWriteExt};
        ///
        /// let rt = gosched::runtime::Runtime::new().unwrap();
        /// rt.block_on(async {
        #[doc = $setup]
        ///     let (mut a, mut b) = (a, b);
        ///     // `a.split()` would pick futures' `AsyncReadExt::split` (by value) while that
        ///     // trait is in scope: name the inherent one.
        #[doc = concat!("    let (mut rd, mut wr) = gosched_net::", stringify!($stream), "::split(&mut a);")]
        ///     wr.write_all(b"ping").await.unwrap();
        ///     let mut buf = [0; 4];
        ///     b.read_exact(&mut buf).await.unwrap();
        ///     b.write_all(&buf).await.unwrap();
        ///     rd.read_exact(&mut buf).await.unwrap();
        ///     assert_eq!(&buf, b"ping");
        /// });
        /// ```
        pub struct ReadHalf<'a> {
            pub(crate) inner: &'a $stream,
        }

        /// The write half of a
        #[doc = concat!("[`", stringify!($stream), "`], borrowed: from [`", stringify!($stream), "::split`].")]
        /// `poll_close` shuts the stream's write direction down; dropping it does nothing.
        ///
        /// # Examples
        /// See [`ReadHalf`].
        pub struct WriteHalf<'a> {
            pub(crate) inner: &'a $stream,
        }

        /// The read half of a
        #[doc = concat!("[`", stringify!($stream), "`], owned: from [`", stringify!($stream), "::into_split`];")]
        /// it can move to another task. [`reunite`](OwnedReadHalf::reunite) gives the stream
        /// back.
        ///
        /// # Examples
        /// ```
        /// use futures::io::{AsyncReadExt, AsyncWriteExt};
        ///
        /// let rt = gosched::runtime::Runtime::new().unwrap();
        /// rt.block_on(async {
        #[doc = $setup]
        ///     let (mut rd, mut wr) = a.into_split();
        ///     let reader = gosched::spawn(async move {
        ///         let mut buf = [0; 4];
        ///         rd.read_exact(&mut buf).await.unwrap();
        ///         (rd, buf)
        ///     });
        ///     let (mut b, mut buf) = (b, [0; 4]);
        ///     wr.write_all(b"ping").await.unwrap();
        ///     b.read_exact(&mut buf).await.unwrap();
        ///     b.write_all(b"pong").await.unwrap();
        ///     let (rd, got) = reader.await.unwrap();
        ///     assert_eq!(&got, b"pong");
        ///     let _stream = rd.reunite(wr).unwrap();
        /// });
        /// ```
        pub struct OwnedReadHalf {
            pub(crate) inner: Arc<$stream>,
        }

        /// The write half of a
        #[doc = concat!("[`", stringify!($stream), "`], owned: from [`", stringify!($stream), "::into_split`].")]
        /// Dropping it shuts the stream's write direction down (as `poll_close` does), unless
        /// it was [`forget`](OwnedWriteHalf::forget)-ten or reunited.
        ///
        /// # Examples
        /// See [`OwnedReadHalf`].
        pub struct OwnedWriteHalf {
            pub(crate) inner: Arc<$stream>,
            pub(crate) shutdown_on_drop: bool,
        }

        /// [`OwnedReadHalf::reunite`] was given halves of two different streams; both are
        /// handed back.
        ///
        /// # Examples
        /// ```
        /// let rt = gosched::runtime::Runtime::new().unwrap();
        /// rt.block_on(async {
        #[doc = $setup]
        ///     let (rd_a, _wr_a) = a.into_split();
        ///     let (_rd_b, wr_b) = b.into_split();
        ///     let err = rd_a.reunite(wr_b).unwrap_err();
        ///     assert!(err.to_string().contains("not from the same socket"));
        ///     let (_rd_a, _wr_b) = (err.0, err.1);
        /// });
        /// ```
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl $stream {
            /// Splits the stream into a read half and a write half that borrow it, for use
            /// in one task (say, with `futures::join!`).
            #[doc = concat!("See [`into_split`](", stringify!($stream), "::into_split) for halves that can move to other tasks.")]
            ///
            /// While `futures::io::AsyncReadExt` is in scope, `stream.split()` resolves to
            /// its by-value `split` (a method taking `self` is found before one taking
            #[doc = concat!("`&mut self`): write `", stringify!($stream), "::split(&mut stream)` there.")]
            ///
            /// # Examples
            /// See [`ReadHalf`].
            pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
                (ReadHalf { inner: self }, WriteHalf { inner: self })
            }

            /// Splits the stream into owned halves (one `Arc` shared by both), which can move
            /// to other tasks; [`OwnedReadHalf::reunite`] puts them back together.
            ///
            /// # Examples
            /// See [`OwnedReadHalf`].
            pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
                let inner = Arc::new(self);
                let write = OwnedWriteHalf {
                    inner: inner.clone(),
                    shutdown_on_drop: true,
                };
                (OwnedReadHalf { inner }, write)
            }
        }

        impl OwnedReadHalf {
            /// Puts the stream back together, if `other` is its own write half; otherwise
            /// hands both back in the error.
            ///
            /// # Examples
            /// See [`OwnedReadHalf`] and [`ReuniteError`].
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
                if !Arc::ptr_eq(&self.inner, &other.inner) {
                    return Err(ReuniteError(self, other));
                }
                other.forget();
                // The write half's `Arc` is gone: this is the last one.
                Ok(Arc::try_unwrap(self.inner)
                    .unwrap_or_else(|_| unreachable!("both halves of the stream were given")))
            }
        }

        impl OwnedWriteHalf {
            /// Drops the half without shutting the write direction down.
            ///
            /// # Examples
            /// ```
            /// let rt = gosched::runtime::Runtime::new().unwrap();
            /// rt.block_on(async {
            #[doc = $setup]
            ///     let (_rd, wr) = a.into_split();
            ///     wr.forget(); // b does not see an end of stream
            ///     assert_eq!(b.try_read(&mut [0; 1]).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            /// });
            /// ```
            pub fn forget(mut self) {
                self.shutdown_on_drop = false;
            }
        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.shutdown_on_drop {
                    let _ = self.inner.shutdown(std::net::Shutdown::Write);
                }
            }
        }

        $crate::split::half_methods!(ReadHalf<'_>, $addr, read);
        $crate::split::half_methods!(OwnedReadHalf, $addr, read);
        $crate::split::half_methods!(WriteHalf<'_>, $addr, write);
        $crate::split::half_methods!(OwnedWriteHalf, $addr, write);

        impl futures_io::AsyncRead for ReadHalf<'_> {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.io.poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncRead for OwnedReadHalf {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.io.poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for WriteHalf<'_> {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.io.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.io.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.inner.shutdown(std::net::Shutdown::Write))
            }
        }

        impl futures_io::AsyncWrite for OwnedWriteHalf {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.io.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.io.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                mut self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let res = self.inner.shutdown(std::net::Shutdown::Write);
                if res.is_ok() {
                    self.shutdown_on_drop = false;
                }
                std::task::Poll::Ready(res)
            }
        }

        impl std::fmt::Debug for ReadHalf<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("ReadHalf").field(self.inner).finish()
            }
        }

        impl std::fmt::Debug for WriteHalf<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("WriteHalf").field(self.inner).finish()
            }
        }

        impl std::fmt::Debug for OwnedReadHalf {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("OwnedReadHalf").field(&*self.inner).finish()
            }
        }

        impl std::fmt::Debug for OwnedWriteHalf {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("OwnedWriteHalf")
                    .field("stream", &*self.inner)
                    .field("shutdown_on_drop", &self.shutdown_on_drop)
                    .finish()
            }
        }

        impl std::fmt::Debug for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("ReuniteError").field(&self.0).field(&self.1).finish()
            }
        }

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same socket")
            }
        }

        impl std::error::Error for ReuniteError {}
    };
}
pub(crate) use split_halves;

/// The readiness and `try_` methods of one half, delegating to the stream (`read` halves get
/// the read side's, `write` halves the write side's).
macro_rules! half_methods {
    ($half:ty, $addr:ty, read) => {
        impl $half {
            /// Waits for any readiness in `interest` (see the stream's `ready`).
            ///
            /// # Examples
            /// See the stream's `ready`.
            pub async fn ready(&self, interest: $crate::Interest) -> std::io::Result<$crate::Ready> {
                self.inner.ready(interest).await
            }

            /// Waits until the stream is readable (see the stream's `readable`).
            ///
            /// # Examples
            /// See the stream's `readable`.
            pub async fn readable(&self) -> std::io::Result<()> {
                self.inner.readable().await
            }

            /// Reads what is there now without waiting (see the stream's `try_read`).
            ///
            /// # Examples
            /// See the stream's `readable`.
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.inner.try_read(buf)
            }

            /// Reads into several buffers without waiting (see the stream's
            /// `try_read_vectored`).
            ///
            /// # Examples
            /// See the stream's `try_read_vectored`.
            pub fn try_read_vectored(&self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
                self.inner.try_read_vectored(bufs)
            }

            /// The remote address.
            ///
            /// # Examples
            /// See the stream's `peer_addr`.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.inner.peer_addr()
            }

            /// The local address.
            ///
            /// # Examples
            /// See the stream's `local_addr`.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.inner.local_addr()
            }
        }
    };
    ($half:ty, $addr:ty, write) => {
        impl $half {
            /// Waits for any readiness in `interest` (see the stream's `ready`).
            ///
            /// # Examples
            /// See the stream's `ready`.
            pub async fn ready(&self, interest: $crate::Interest) -> std::io::Result<$crate::Ready> {
                self.inner.ready(interest).await
            }

            /// Waits until the stream is writable (see the stream's `writable`).
            ///
            /// # Examples
            /// See the stream's `readable`.
            pub async fn writable(&self) -> std::io::Result<()> {
                self.inner.writable().await
            }

            /// Writes what fits now without waiting (see the stream's `try_write`).
            ///
            /// # Examples
            /// See the stream's `readable`.
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.inner.try_write(buf)
            }

            /// Writes from several buffers without waiting (see the stream's
            /// `try_write_vectored`).
            ///
            /// # Examples
            /// See the stream's `try_write_vectored`.
            pub fn try_write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                self.inner.try_write_vectored(bufs)
            }

            /// The remote address.
            ///
            /// # Examples
            /// See the stream's `peer_addr`.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.inner.peer_addr()
            }

            /// The local address.
            ///
            /// # Examples
            /// See the stream's `local_addr`.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.inner.local_addr()
            }
        }
    };
}
pub(crate) use half_methods;
