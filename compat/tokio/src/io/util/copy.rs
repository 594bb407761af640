//! `copy`, and the buffer loop that `copy_bidirectional` runs once per direction.

use super::write_int::write_zero;
use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The copy buffer's size when none is given: tokio's 8 KiB.
pub(crate) const DEFAULT_BUF_SIZE: usize = 8 * 1024;

/// One direction of a copy: a buffer, what of it is still to be written, and the totals.
#[derive(Debug)]
pub(super) struct CopyBuffer {
    buf: Box<[u8]>,
    pos: usize,
    cap: usize,
    amt: u64,
    read_done: bool,
    need_flush: bool,
}

impl CopyBuffer {
    pub(super) fn new(size: usize) -> CopyBuffer {
        CopyBuffer {
            buf: vec![0; size.max(1)].into_boxed_slice(),
            pos: 0,
            cap: 0,
            amt: 0,
            read_done: false,
            need_flush: false,
        }
    }

    /// Reads into the empty buffer. While the reader is pending, flushes what was written so
    /// the peer is not left waiting on bytes sitting in a writer's buffer.
    fn poll_fill<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        reader: Pin<&mut R>,
        writer: Pin<&mut W>,
    ) -> Poll<io::Result<()>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        let mut rb = ReadBuf::new(&mut self.buf);
        match reader.poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                self.read_done = n == 0;
                self.pos = 0;
                self.cap = n;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if self.need_flush {
                    ready!(writer.poll_flush(cx))?;
                    self.need_flush = false;
                }
                Poll::Pending
            }
        }
    }

    /// Copies until `reader` reaches end of file and everything is written and flushed;
    /// returns the number of bytes copied.
    pub(super) fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            if self.pos == self.cap && !self.read_done {
                ready!(self.poll_fill(cx, reader.as_mut(), writer.as_mut()))?;
            }
            while self.pos < self.cap {
                let n = ready!(writer.as_mut().poll_write(cx, &self.buf[self.pos..self.cap]))?;
                if n == 0 {
                    return Poll::Ready(Err(write_zero()));
                }
                self.pos += n;
                self.amt += n as u64;
                self.need_flush = true;
            }
            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                self.need_flush = false;
                return Poll::Ready(Ok(self.amt));
            }
        }
    }
}

/// Copies everything `reader` yields into `writer` until end of file, then flushes `writer`;
/// returns how many bytes were copied (tokio's `tokio::io::copy`).
///
/// Uses an 8 KiB buffer; while `reader` is pending, data already written is flushed. Errors
/// from either side end the copy. Not cancel safe: bytes read but not yet written are lost
/// if the future is dropped.
///
/// ```
/// # futures::executor::block_on(async {
/// let mut reader: &[u8] = b"hello";
/// let mut writer: Vec<u8> = vec![];
/// assert_eq!(tokio::io::copy(&mut reader, &mut writer).await.unwrap(), 5);
/// assert_eq!(writer, b"hello");
/// # });
/// ```
pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = CopyBuffer::new(DEFAULT_BUF_SIZE);
    std::future::poll_fn(|cx| buf.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer))).await
}
