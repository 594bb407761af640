//! The futures behind `write`, `write_vectored`, `write_buf`, `write_all`, `write_all_buf`,
//! `flush` and `shutdown`.

use super::write_int::write_zero;
use crate::io::AsyncWrite;
use bytes_crate::Buf;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io::{self, IoSlice};
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// How many slices `write_all_buf` gathers for one vectored write (as std's `IoSlice` users
/// commonly do; the OS limit is 1024 on Linux).
const MAX_VECTORED: usize = 64;

/// Declares a `!Unpin` future holding the writer and some borrowed input.
macro_rules! write_future {
    ($(#[$doc:meta])* $name:ident<$($gen:ident),*> { $($field:ident: $ty:ty),* }) => {
        pin_project! {
            $(#[$doc])*
            #[derive(Debug)]
            #[must_use = "futures do nothing unless you `.await` or poll them"]
            pub struct $name<'a, W: ?Sized, $($gen: ?Sized),*> {
                pub(super) writer: &'a mut W,
                $(pub(super) $field: $ty,)*
                #[pin]
                pub(super) _pin: PhantomPinned,
            }
        }
    };
}

write_future! {
    /// Future for [`AsyncWriteExt::write`](crate::io::AsyncWriteExt::write).
    Write<> { buf: &'a [u8] }
}

pin_project! {
    /// Future for [`AsyncWriteExt::write_vectored`](crate::io::AsyncWriteExt::write_vectored).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WriteVectored<'a, 'b, W: ?Sized> {
        pub(super) writer: &'a mut W,
        pub(super) bufs: &'a [IoSlice<'b>],
        #[pin]
        pub(super) _pin: PhantomPinned,
    }
}

write_future! {
    /// Future for [`AsyncWriteExt::write_buf`](crate::io::AsyncWriteExt::write_buf).
    WriteBuf<B> { buf: &'a mut B }
}

write_future! {
    /// Future for [`AsyncWriteExt::write_all`](crate::io::AsyncWriteExt::write_all).
    WriteAll<> { buf: &'a [u8] }
}

write_future! {
    /// Future for [`AsyncWriteExt::write_all_buf`](crate::io::AsyncWriteExt::write_all_buf).
    WriteAllBuf<B> { buf: &'a mut B }
}

write_future! {
    /// Future for [`AsyncWriteExt::flush`](crate::io::AsyncWriteExt::flush).
    Flush<> {}
}

write_future! {
    /// Future for [`AsyncWriteExt::shutdown`](crate::io::AsyncWriteExt::shutdown).
    Shutdown<> {}
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Write<'_, W> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        Pin::new(&mut **me.writer).poll_write(cx, me.buf)
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteVectored<'_, '_, W> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        Pin::new(&mut **me.writer).poll_write_vectored(cx, me.bufs)
    }
}

impl<W: AsyncWrite + Unpin + ?Sized, B: Buf + ?Sized> Future for WriteBuf<'_, W, B> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        if !me.buf.has_remaining() {
            return Poll::Ready(Ok(0));
        }
        let n = ready!(Pin::new(&mut **me.writer).poll_write(cx, me.buf.chunk()))?;
        me.buf.advance(n);
        Poll::Ready(Ok(n))
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteAll<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.project();
        while !me.buf.is_empty() {
            let n = ready!(Pin::new(&mut **me.writer).poll_write(cx, me.buf))?;
            if n == 0 {
                return Poll::Ready(Err(write_zero()));
            }
            *me.buf = &me.buf[n..];
        }
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin + ?Sized, B: Buf + ?Sized> Future for WriteAllBuf<'_, W, B> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.project();
        while me.buf.has_remaining() {
            let mut writer = Pin::new(&mut **me.writer);
            let n = if writer.is_write_vectored() {
                let mut slices = [IoSlice::new(&[]); MAX_VECTORED];
                let count = me.buf.chunks_vectored(&mut slices);
                ready!(writer.as_mut().poll_write_vectored(cx, &slices[..count]))?
            } else {
                ready!(writer.as_mut().poll_write(cx, me.buf.chunk()))?
            };
            if n == 0 {
                return Poll::Ready(Err(write_zero()));
            }
            me.buf.advance(n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Flush<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self.project().writer).poll_flush(cx)
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Shutdown<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self.project().writer).poll_shutdown(cx)
    }
}
