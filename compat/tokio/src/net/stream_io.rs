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

/// `AsyncRead` for `$ty` (and `AsyncWrite` unless `read_only`), where `$field(self)` is a
/// gosched stream whose `&` reads and writes. `poll_shutdown` shuts the write direction down.
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
                let $s = &*self;
                $crate::net::stream_io::poll_read($get, cx, buf)
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
                let $s = &*self;
                futures_io::AsyncWrite::poll_write(std::pin::Pin::new(&mut $get), cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = &*self;
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
                let $s = &*self;
                futures_io::AsyncWrite::poll_close(std::pin::Pin::new(&mut $get), cx)
            }
        }
    };
}
pub(crate) use stream_io;
