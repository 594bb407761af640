//! The futures behind `read`, `read_buf` and `read_exact`.

use crate::io::{AsyncRead, ReadBuf};
use bytes_crate::BufMut;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project! {
    /// Future for [`AsyncReadExt::read`](crate::io::AsyncReadExt::read).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Read<'a, R: ?Sized> {
        reader: &'a mut R,
        buf: &'a mut [u8],
        // `!Unpin`, as tokio's, so that a later version may hold intrusive state.
        #[pin]
        _pin: PhantomPinned,
    }
}

pub(super) fn read<'a, R: AsyncRead + Unpin + ?Sized>(reader: &'a mut R, buf: &'a mut [u8]) -> Read<'a, R> {
    Read {
        reader,
        buf,
        _pin: PhantomPinned,
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for Read<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        let mut buf = ReadBuf::new(me.buf);
        ready!(Pin::new(&mut **me.reader).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

pin_project! {
    /// Future for [`AsyncReadExt::read_buf`](crate::io::AsyncReadExt::read_buf).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadIntoBuf<'a, R: ?Sized, B: ?Sized> {
        reader: &'a mut R,
        buf: &'a mut B,
        #[pin]
        _pin: PhantomPinned,
    }
}

pub(super) fn read_buf<'a, R, B>(reader: &'a mut R, buf: &'a mut B) -> ReadIntoBuf<'a, R, B>
where
    R: AsyncRead + Unpin + ?Sized,
    B: BufMut + ?Sized,
{
    ReadIntoBuf {
        reader,
        buf,
        _pin: PhantomPinned,
    }
}

impl<R, B> Future for ReadIntoBuf<'_, R, B>
where
    R: AsyncRead + Unpin + ?Sized,
    B: BufMut + ?Sized,
{
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        if !me.buf.has_remaining_mut() {
            return Poll::Ready(Ok(0));
        }
        let n = {
            // SAFETY: `ReadBuf` only ever writes initialized bytes into the chunk, so nothing
            // initialized is de-initialized.
            let dst = unsafe { me.buf.chunk_mut().as_uninit_slice_mut() };
            let mut rb = ReadBuf::uninit(dst);
            let start = rb.filled().as_ptr();
            ready!(Pin::new(&mut **me.reader).poll_read(cx, &mut rb))?;
            check_same_buffer(start, &rb);
            rb.filled().len()
        };
        // SAFETY: the reader filled (so initialized) `n` bytes at the start of `chunk_mut`,
        // and `check_same_buffer` proved it filled ours, not a `ReadBuf` it swapped in.
        unsafe { me.buf.advance_mut(n) };
        Poll::Ready(Ok(n))
    }
}

/// Panics if a reader replaced the `ReadBuf` it was handed with one over other memory: the
/// callers then trust `filled().len()` to describe their own buffer.
pub(crate) fn check_same_buffer(start: *const u8, rb: &ReadBuf<'_>) {
    assert_eq!(
        start,
        rb.filled().as_ptr(),
        "the reader replaced the ReadBuf it was given"
    );
}

pin_project! {
    /// Future for [`AsyncReadExt::read_exact`](crate::io::AsyncReadExt::read_exact).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadExact<'a, R: ?Sized> {
        reader: &'a mut R,
        buf: &'a mut [u8],
        pos: usize,
        #[pin]
        _pin: PhantomPinned,
    }
}

pub(super) fn read_exact<'a, R: AsyncRead + Unpin + ?Sized>(
    reader: &'a mut R,
    buf: &'a mut [u8],
) -> ReadExact<'a, R> {
    ReadExact {
        reader,
        buf,
        pos: 0,
        _pin: PhantomPinned,
    }
}

pub(crate) fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "early eof")
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadExact<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        while *me.pos < me.buf.len() {
            let mut rb = ReadBuf::new(&mut me.buf[*me.pos..]);
            ready!(Pin::new(&mut **me.reader).poll_read(cx, &mut rb))?;
            let n = rb.filled().len();
            if n == 0 {
                return Poll::Ready(Err(eof()));
            }
            *me.pos += n;
        }
        Poll::Ready(Ok(me.buf.len()))
    }
}
