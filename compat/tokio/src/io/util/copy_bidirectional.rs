//! `copy_bidirectional`: two copies at once, each shutting its writer down at end of file.

use super::copy::{CopyBuffer, DEFAULT_BUF_SIZE};
use crate::io::{AsyncRead, AsyncWrite};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// One direction's progress.
#[derive(Debug)]
enum Direction {
    Running(CopyBuffer),
    /// End of file read and everything flushed; shutting the writer down.
    ShuttingDown(u64),
    Done(u64),
}

impl Direction {
    fn poll<R, W>(
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
            match self {
                Direction::Running(buf) => {
                    let amt = ready!(buf.poll_copy(cx, reader.as_mut(), writer.as_mut()))?;
                    *self = Direction::ShuttingDown(amt);
                }
                Direction::ShuttingDown(amt) => {
                    ready!(writer.as_mut().poll_shutdown(cx))?;
                    *self = Direction::Done(*amt);
                }
                Direction::Done(amt) => return Poll::Ready(Ok(*amt)),
            }
        }
    }
}

/// Copies `a` to `b` and `b` to `a` at once, until both reach end of file; returns the bytes
/// copied `(a to b, b to a)` (tokio's `tokio::io::copy_bidirectional`).
///
/// When one side reads end of file, the copy flushes and shuts down the other side's write
/// half (so the half-close reaches the peer) and keeps copying the other direction. An error
/// on either side ends both copies. Each direction uses an 8 KiB buffer.
///
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # futures::executor::block_on(async {
/// let (mut client, mut proxy_a) = tokio::io::duplex(64);
/// let (mut proxy_b, mut server) = tokio::io::duplex(64);
/// client.write_all(b"ping").await.unwrap();
/// client.shutdown().await.unwrap();
/// server.write_all(b"pong").await.unwrap();
/// server.shutdown().await.unwrap();
/// let counts = tokio::io::copy_bidirectional(&mut proxy_a, &mut proxy_b).await.unwrap();
/// assert_eq!(counts, (4, 4));
/// let mut got = String::new();
/// server.read_to_string(&mut got).await.unwrap();
/// assert_eq!(got, "ping");
/// # });
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    copy_bidirectional_with_sizes(a, b, DEFAULT_BUF_SIZE, DEFAULT_BUF_SIZE).await
}

/// [`copy_bidirectional`] with the size of each direction's buffer given (tokio's
/// `tokio::io::copy_bidirectional_with_sizes`): `a_to_b_buf_size` for `a`→`b`,
/// `b_to_a_buf_size` for `b`→`a` (a size of 0 is taken as 1).
pub async fn copy_bidirectional_with_sizes<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b_buf_size: usize,
    b_to_a_buf_size: usize,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut a_to_b = Direction::Running(CopyBuffer::new(a_to_b_buf_size));
    let mut b_to_a = Direction::Running(CopyBuffer::new(b_to_a_buf_size));
    std::future::poll_fn(|cx| {
        let ab = a_to_b.poll(cx, Pin::new(&mut *a), Pin::new(&mut *b))?;
        let ba = b_to_a.poll(cx, Pin::new(&mut *b), Pin::new(&mut *a))?;
        let ab = ready!(ab);
        let ba = ready!(ba);
        Poll::Ready(Ok((ab, ba)))
    })
    .await
}
