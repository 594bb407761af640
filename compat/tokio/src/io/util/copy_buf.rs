//! `copy_buf`: a copy from a buffered reader, using its buffer.

use super::write_int::write_zero;
use crate::io::{AsyncBufRead, AsyncWrite};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Copies everything `reader` yields into `writer` until end of file, writing straight from
/// the reader's own buffer, then flushes `writer`; returns how many bytes were copied (tokio's
/// `tokio::io::copy_buf`).
///
/// ```
/// # futures::executor::block_on(async {
/// let mut reader: &[u8] = b"buffered";
/// let mut writer: Vec<u8> = vec![];
/// assert_eq!(tokio::io::copy_buf(&mut reader, &mut writer).await.unwrap(), 8);
/// assert_eq!(writer, b"buffered");
/// # });
/// ```
pub async fn copy_buf<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut amt = 0;
    std::future::poll_fn(|cx| poll_copy_buf(cx, Pin::new(&mut *reader), Pin::new(&mut *writer), &mut amt))
        .await
}

fn poll_copy_buf<R, W>(
    cx: &mut Context<'_>,
    mut reader: Pin<&mut R>,
    mut writer: Pin<&mut W>,
    amt: &mut u64,
) -> Poll<io::Result<u64>>
where
    R: AsyncBufRead + ?Sized,
    W: AsyncWrite + ?Sized,
{
    loop {
        let buf = ready!(reader.as_mut().poll_fill_buf(cx))?;
        if buf.is_empty() {
            ready!(writer.as_mut().poll_flush(cx))?;
            return Poll::Ready(Ok(*amt));
        }
        let n = ready!(writer.as_mut().poll_write(cx, buf))?;
        if n == 0 {
            return Poll::Ready(Err(write_zero()));
        }
        *amt += n as u64;
        reader.as_mut().consume(n);
    }
}
