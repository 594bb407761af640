//! `BufReader`: an `AsyncBufRead` over any `AsyncRead`.

use super::copy::DEFAULT_BUF_SIZE;
use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf, SeekFrom};
use pin_project_lite::pin_project;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Where a seek through the `BufReader` stands.
#[derive(Debug, Clone, Copy)]
enum SeekState {
    Init,
    /// `start_seek` was called; the inner seek has not started.
    Start(SeekFrom),
    /// Seeking back over the buffered bytes first; then `Current(n)`.
    PendingOverflowed(i64),
    Pending,
}

pin_project! {
    /// Adds a buffer to a reader (tokio's `tokio::io::BufReader`): small reads are served from
    /// one large read of the inner reader.
    ///
    /// Reads as large as the buffer bypass it when it is empty. Writes pass through to the
    /// inner value; a seek discards the buffer (`SeekFrom::Current` counts from the position
    /// the caller has read to, not from the inner reader's). Dropping a `BufReader` loses the
    /// buffered bytes.
    ///
    /// ```
    /// use tokio::io::{AsyncBufReadExt, BufReader};
    ///
    /// # futures::executor::block_on(async {
    /// let mut reader = BufReader::with_capacity(4, &b"ab\ncd"[..]);
    /// let mut line = String::new();
    /// reader.read_line(&mut line).await.unwrap();
    /// assert_eq!(line, "ab\n");
    /// assert_eq!(reader.buffer(), b"c");
    /// # });
    /// ```
    pub struct BufReader<R> {
        #[pin]
        inner: R,
        buf: Box<[u8]>,
        pos: usize,
        cap: usize,
        seek_state: SeekState,
    }
}

impl<R: AsyncRead> BufReader<R> {
    /// A `BufReader` with an 8 KiB buffer.
    pub fn new(inner: R) -> BufReader<R> {
        BufReader::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A `BufReader` with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: R) -> BufReader<R> {
        BufReader {
            inner,
            buf: vec![0; capacity].into_boxed_slice(),
            pos: 0,
            cap: 0,
            seek_state: SeekState::Init,
        }
    }
}

impl<R> BufReader<R> {
    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader, mutably (reading from it directly skips the buffered bytes).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner reader, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// The inner reader; buffered bytes are lost.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The bytes buffered and not yet read.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.cap]
    }

    fn discard_buffer(self: Pin<&mut Self>) {
        let me = self.project();
        *me.pos = 0;
        *me.cap = 0;
    }
}

impl<R: std::fmt::Debug> std::fmt::Debug for BufReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufReader")
            .field("reader", &self.inner)
            .field(
                "buffer",
                &format_args!("{}/{}", self.cap - self.pos, self.buf.len()),
            )
            .finish()
    }
}

impl<R: AsyncRead> AsyncRead for BufReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pos == self.cap && buf.remaining() >= self.buf.len() {
            let res = ready!(self.as_mut().get_pin_mut().poll_read(cx, buf));
            self.discard_buffer();
            return Poll::Ready(res);
        }
        let rem = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = rem.len().min(buf.remaining());
        buf.put_slice(&rem[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncRead> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.project();
        if *me.pos >= *me.cap {
            let mut rb = ReadBuf::new(me.buf);
            ready!(me.inner.poll_read(cx, &mut rb))?;
            *me.cap = rb.filled().len();
            *me.pos = 0;
        }
        Poll::Ready(Ok(&me.buf[*me.pos..*me.cap]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.project();
        *me.pos = (*me.pos + amt).min(*me.cap);
    }
}

impl<R: AsyncRead + AsyncSeek> AsyncSeek for BufReader<R> {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        *self.project().seek_state = SeekState::Start(pos);
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            let buffered = (self.cap - self.pos) as i64;
            let step = match self.seek_state {
                SeekState::Init => {
                    // No seek started: report the position the caller has read to.
                    let pos = ready!(self.as_mut().get_pin_mut().poll_complete(cx))?;
                    return Poll::Ready(Ok(pos.saturating_sub(buffered as u64)));
                }
                SeekState::Start(SeekFrom::Current(n)) => match n.checked_sub(buffered) {
                    Some(off) => self
                        .as_mut()
                        .start_inner(SeekFrom::Current(off), SeekState::Pending),
                    None => self
                        .as_mut()
                        .start_inner(SeekFrom::Current(-buffered), SeekState::PendingOverflowed(n)),
                },
                SeekState::Start(pos) => self.as_mut().start_inner(pos, SeekState::Pending),
                SeekState::PendingOverflowed(n) => {
                    ready!(self.as_mut().poll_inner_complete(cx))?;
                    self.as_mut()
                        .start_inner(SeekFrom::Current(n), SeekState::Pending)
                }
                SeekState::Pending => {
                    let pos = ready!(self.as_mut().poll_inner_complete(cx))?;
                    *self.as_mut().project().seek_state = SeekState::Init;
                    return Poll::Ready(Ok(pos));
                }
            };
            if let Err(e) = step {
                *self.as_mut().project().seek_state = SeekState::Init;
                return Poll::Ready(Err(e));
            }
        }
    }
}

impl<R: AsyncSeek> BufReader<R> {
    fn start_inner(mut self: Pin<&mut Self>, pos: SeekFrom, next: SeekState) -> io::Result<()> {
        self.as_mut().get_pin_mut().start_seek(pos)?;
        *self.project().seek_state = next;
        Ok(())
    }

    /// Waits for the inner seek and discards the buffer (it no longer matches the position).
    fn poll_inner_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let res = ready!(self.as_mut().get_pin_mut().poll_complete(cx));
        if res.is_err() {
            *self.as_mut().project().seek_state = SeekState::Init;
        }
        self.discard_buffer();
        Poll::Ready(res)
    }
}

impl<R: AsyncRead + AsyncWrite> AsyncWrite for BufReader<R> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_shutdown(cx)
    }
}
