//! `BufWriter`: gathers small writes into large ones.

use super::copy::DEFAULT_BUF_SIZE;
use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf, SeekFrom};
use pin_project_lite::pin_project;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project! {
    /// Adds a buffer to a writer (tokio's `tokio::io::BufWriter`): writes smaller than the
    /// buffer are gathered and reach the inner writer when the buffer fills, on `flush` or on
    /// `shutdown`.
    ///
    /// Dropping a `BufWriter` does not flush it: call `flush` (or `shutdown`) first, or the
    /// buffered bytes are lost. Writes at least as large as the buffer go straight through.
    /// Reads pass through to the inner value; a seek writes the buffer out first.
    ///
    /// ```
    /// use tokio::io::{AsyncWriteExt, BufWriter};
    ///
    /// # futures::executor::block_on(async {
    /// let mut writer = BufWriter::new(Vec::new());
    /// writer.write_all(b"held").await.unwrap();
    /// assert!(writer.get_ref().is_empty());
    /// writer.flush().await.unwrap();
    /// assert_eq!(writer.get_ref(), b"held");
    /// # });
    /// ```
    pub struct BufWriter<W> {
        #[pin]
        inner: W,
        buf: Vec<u8>,
        // `buf[..written]` has reached the inner writer.
        written: usize,
        seek_pos: Option<SeekFrom>,
    }
}

impl<W: AsyncWrite> BufWriter<W> {
    /// A `BufWriter` with an 8 KiB buffer.
    pub fn new(inner: W) -> BufWriter<W> {
        BufWriter::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A `BufWriter` with a buffer of `cap` bytes.
    pub fn with_capacity(cap: usize, inner: W) -> BufWriter<W> {
        BufWriter {
            inner,
            buf: Vec::with_capacity(cap),
            written: 0,
            seek_pos: None,
        }
    }

    /// Writes the whole buffer to the inner writer.
    fn flush_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut me = self.project();
        while *me.written < me.buf.len() {
            match ready!(me.inner.as_mut().poll_write(cx, &me.buf[*me.written..])) {
                Ok(0) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "failed to write the buffered data",
                    )));
                }
                Ok(n) => *me.written += n,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        me.buf.clear();
        *me.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite> BufWriter<W> {
    /// A vectored write for an inner writer without vectored writes: the slices are gathered
    /// into the buffer, as many as fit after the first non-empty one, and reach the inner
    /// writer in one write later. A first slice as large as the buffer is written directly.
    fn poll_write_gathered(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let Some(at) = bufs.iter().position(|b| !b.is_empty()) else {
            return Poll::Ready(Ok(0));
        };
        let (first, rest) = (&bufs[at], &bufs[at + 1..]);
        if self.buf.len() + first.len() > self.buf.capacity() {
            ready!(self.as_mut().flush_buf(cx))?;
        }
        let me = self.project();
        if first.len() >= me.buf.capacity() {
            return me.inner.poll_write(cx, first);
        }
        me.buf.extend_from_slice(first);
        let mut total = first.len();
        for b in rest {
            let n = b.len().min(me.buf.capacity() - me.buf.len());
            me.buf.extend_from_slice(&b[..n]);
            total += n;
            if n < b.len() {
                break;
            }
        }
        Poll::Ready(Ok(total))
    }
}

impl<W> BufWriter<W> {
    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably (writing to it directly goes ahead of the buffered bytes).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The inner writer, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut W> {
        self.project().inner
    }

    /// The inner writer; buffered bytes are lost.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The bytes buffered and not yet written to the inner writer.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.written..]
    }
}

impl<W: std::fmt::Debug> std::fmt::Debug for BufWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufWriter")
            .field("writer", &self.inner)
            .field(
                "buffer",
                &format_args!("{}/{}", self.buf.len() - self.written, self.buf.capacity()),
            )
            .finish()
    }
}

impl<W: AsyncWrite> AsyncWrite for BufWriter<W> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.buf.len() + buf.len() > self.buf.capacity() {
            ready!(self.as_mut().flush_buf(cx))?;
        }
        let me = self.project();
        if buf.len() >= me.buf.capacity() {
            me.inner.poll_write(cx, buf)
        } else {
            me.buf.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if !self.inner.is_write_vectored() {
            return self.poll_write_gathered(cx, bufs);
        }
        let total = bufs.iter().fold(0usize, |n, b| n.saturating_add(b.len()));
        if self.buf.len() + total > self.buf.capacity() {
            ready!(self.as_mut().flush_buf(cx))?;
        }
        let me = self.project();
        if total >= me.buf.capacity() {
            me.inner.poll_write_vectored(cx, bufs)
        } else {
            bufs.iter().for_each(|b| me.buf.extend_from_slice(b));
            Poll::Ready(Ok(total))
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().flush_buf(cx))?;
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().flush_buf(cx))?;
        self.get_pin_mut().poll_shutdown(cx)
    }
}

impl<W: AsyncWrite + AsyncSeek> AsyncSeek for BufWriter<W> {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        // The buffer is written out in `poll_complete`, which may wait.
        *self.project().seek_pos = Some(pos);
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        if let Some(pos) = self.seek_pos {
            ready!(self.as_mut().flush_buf(cx))?;
            *self.as_mut().project().seek_pos = None;
            self.as_mut().get_pin_mut().start_seek(pos)?;
        }
        self.get_pin_mut().poll_complete(cx)
    }
}

impl<W: AsyncWrite + AsyncRead> AsyncRead for BufWriter<W> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_read(cx, buf)
    }
}

impl<W: AsyncWrite + AsyncBufRead> AsyncBufRead for BufWriter<W> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_pin_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_pin_mut().consume(amt)
    }
}
