//! The facade's `AsyncRead`/`AsyncWrite` on a gosched byte stream, through the
//! `futures_io` impls gosched-net gives `&Stream`: the one place the net module meets the
//! facade's io traits.

use crate::io::ReadBuf;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Reads into `buf`'s unfilled part (initialized first: the facade does not hand
/// uninitialized memory to the kernel through a `&mut [u8]`).
pub(crate) fn poll_read<R: futures_io::AsyncRead + Unpin>(
    mut r: R,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let n = ready!(Pin::new(&mut r).poll_read(cx, buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// Peeks into `buf`'s unfilled part with `peek` (a gosched `poll_peek`), filling it as
/// tokio's `poll_peek(cx, &mut ReadBuf)` does; returns the bytes peeked.
pub(crate) fn poll_peek(
    buf: &mut ReadBuf<'_>,
    peek: impl FnOnce(&mut [u8]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<usize>> {
    let n = ready!(peek(buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(n))
}

/// Reads with `read` (a gosched `try_read`) into `buf`'s spare capacity and advances it.
pub(crate) fn try_read_buf<B: bytes_crate::BufMut + ?Sized>(
    buf: &mut B,
    read: impl FnOnce(&mut [u8]) -> io::Result<usize>,
) -> io::Result<usize> {
    let chunk = buf.chunk_mut();
    // SAFETY: the slice is `chunk`'s spare capacity, which `ReadBuf` only writes
    // (initializing it before the read) and never de-initializes.
    let mut rb = ReadBuf::uninit(unsafe { chunk.as_uninit_slice_mut() });
    let n = read(rb.initialize_unfilled())?;
    // SAFETY: the spare capacity was initialized above, and the read wrote its first `n` bytes.
    unsafe { buf.advance_mut(n) };
    Ok(n)
}

/// `AsyncRead` and `AsyncWrite` for `$ty` (`@read` or `@write` for one of them), where
/// `$get`, given `$s: &mut $ty`, is a gosched value implementing `futures_io`'s traits (a
/// `&Stream`, or an owned half). `poll_shutdown` shuts the write direction down.
macro_rules! stream_io {
    ($ty:ty, |$s:ident| $get:expr) => {
        $crate::net::stream_io::stream_io!(@read $ty, |$s| $get);
        $crate::net::stream_io::stream_io!(@write $ty, |$s| $get);
    };
    (@read $ty:ty, |$s:ident| $get:expr) => {
        impl $crate::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut $crate::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $s = self.get_mut();
                $crate::net::stream_io::poll_read(&mut $get, cx, buf)
            }
        }
    };
    (@write $ty:ty, |$s:ident| $get:expr) => {
        impl $crate::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self.get_mut();
                futures_io::AsyncWrite::poll_write(std::pin::Pin::new(&mut $get), cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self.get_mut();
                futures_io::AsyncWrite::poll_write_vectored(std::pin::Pin::new(&mut $get), cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $s = self.get_mut();
                futures_io::AsyncWrite::poll_close(std::pin::Pin::new(&mut $get), cx)
            }
        }
    };
}
pub(crate) use stream_io;
