//! `Take`: a reader limited to a number of bytes.

use super::read::check_same_buffer;
use crate::io::{AsyncBufRead, AsyncRead, ReadBuf};
use pin_project_lite::pin_project;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project! {
    /// A reader that reads at most a limit from its inner reader (tokio's
    /// `tokio::io::Take`), made by [`AsyncReadExt::take`](crate::io::AsyncReadExt::take).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Take<R> {
        #[pin]
        inner: R,
        limit: u64,
    }
}

pub(super) fn take<R: AsyncRead>(inner: R, limit: u64) -> Take<R> {
    Take { inner, limit }
}

impl<R: AsyncRead> Take<R> {
    /// How many bytes may still be read before this reader reports end of file.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Sets how many bytes may still be read (the count read so far is forgotten).
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader, mutably (reading from it directly bypasses the limit).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner reader, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// The inner reader, giving up the limit.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// `limit` as a buffer length (a limit above `usize::MAX` is no limit on one buffer).
fn cap(limit: u64) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

impl<R: AsyncRead> AsyncRead for Take<R> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.limit == 0 {
            return Poll::Ready(Ok(()));
        }
        let me = self.project();
        let mut part = buf.take(cap(*me.limit));
        let start = part.filled().as_ptr();
        ready!(me.inner.poll_read(cx, &mut part))?;
        check_same_buffer(start, &part);
        let n = part.filled().len();
        // SAFETY: `part` is the start of `buf`'s unfilled region and the reader filled (so
        // initialized) its first `n` bytes.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        *me.limit -= n as u64;
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncBufRead> AsyncBufRead for Take<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.project();
        if *me.limit == 0 {
            return Poll::Ready(Ok(&[]));
        }
        let buf = ready!(me.inner.poll_fill_buf(cx))?;
        let n = buf.len().min(cap(*me.limit));
        Poll::Ready(Ok(&buf[..n]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.project();
        let amt = (amt as u64).min(*me.limit);
        *me.limit -= amt;
        me.inner.consume(amt as usize);
    }
}
