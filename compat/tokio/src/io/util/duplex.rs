//! `duplex` and `simplex`: in-memory pipes with a bounded buffer.
//!
//! A `SimplexStream` is one pipe: a byte queue of at most `max_buf_size` bytes, the waker of
//! a reader waiting for bytes and the waker of a writer waiting for room, and a `closed` flag.
//! A `DuplexStream` is two pipes, one per direction, each shared with the peer behind a
//! `Mutex` held only while bytes are copied.

use super::split::{ReadHalf, WriteHalf, split};
use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// A unidirectional in-memory pipe (tokio's `tokio::io::SimplexStream`): bytes written to it
/// are read from it, and a writer waits while `max_buf_size` bytes are unread.
///
/// Once it is shut down (or, for a duplex, the peer is dropped) reads return the bytes left,
/// then end of file, and writes fail with `BrokenPipe`.
pub struct SimplexStream {
    buf: VecDeque<u8>,
    max_buf_size: usize,
    closed: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

/// Makes a [`SimplexStream`] and splits it into its read and write halves (tokio's
/// `tokio::io::simplex`).
///
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # futures::executor::block_on(async {
/// let (mut rx, mut tx) = tokio::io::simplex(16);
/// tx.write_all(b"one way").await.unwrap();
/// tx.shutdown().await.unwrap();
/// let mut got = String::new();
/// rx.read_to_string(&mut got).await.unwrap();
/// assert_eq!(got, "one way");
/// # });
/// ```
pub fn simplex(max_buf_size: usize) -> (ReadHalf<SimplexStream>, WriteHalf<SimplexStream>) {
    split(SimplexStream::new_unsplit(max_buf_size))
}

impl std::fmt::Debug for SimplexStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimplexStream")
            .field("buffered", &self.buf.len())
            .field("max_buf_size", &self.max_buf_size)
            .field("closed", &self.closed)
            .finish()
    }
}

fn store(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

fn wake(slot: &mut Option<Waker>) {
    if let Some(w) = slot.take() {
        w.wake();
    }
}

impl SimplexStream {
    /// A pipe holding at most `max_buf_size` unread bytes, not split into halves.
    ///
    /// A `max_buf_size` of 0 leaves no room: every write waits until the pipe is closed.
    pub fn new_unsplit(max_buf_size: usize) -> SimplexStream {
        SimplexStream {
            buf: VecDeque::new(),
            max_buf_size,
            closed: false,
            read_waker: None,
            write_waker: None,
        }
    }

    fn close(&mut self) {
        self.closed = true;
        wake(&mut self.read_waker);
        wake(&mut self.write_waker);
    }

    fn poll_read_pipe(&mut self, cx: &Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if !self.buf.is_empty() {
            let n = self.buf.len().min(out.remaining());
            let (front, back) = self.buf.as_slices();
            let first = front.len().min(n);
            out.put_slice(&front[..first]);
            out.put_slice(&back[..n - first]);
            self.buf.drain(..n);
            wake(&mut self.write_waker);
            Poll::Ready(Ok(()))
        } else if self.closed {
            Poll::Ready(Ok(()))
        } else {
            store(&mut self.read_waker, cx);
            Poll::Pending
        }
    }

    fn poll_write_pipe(&mut self, cx: &Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_pipe_vectored(cx, &[IoSlice::new(data)])
    }

    /// Copies from the slices in order while there is room; `Pending` only if there is none.
    fn poll_write_pipe_vectored(
        &mut self,
        cx: &Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let mut room = self.max_buf_size.saturating_sub(self.buf.len());
        if room == 0 {
            store(&mut self.write_waker, cx);
            return Poll::Pending;
        }
        let mut n = 0;
        for b in bufs {
            let take = room.min(b.len());
            self.buf.extend(&b[..take]);
            n += take;
            room -= take;
            if room == 0 {
                break;
            }
        }
        wake(&mut self.read_waker);
        Poll::Ready(Ok(n))
    }
}

/// Runs one pipe operation inside the task's cooperative budget, as tokio's pipes do: a task
/// that only talks to a pipe that is always ready still yields once the budget is spent. The
/// unit comes back when the operation is `Pending`.
fn budgeted<T>(cx: &mut Context<'_>, op: impl FnOnce(&Context<'_>) -> Poll<T>) -> Poll<T> {
    let coop = std::task::ready!(gosched_executor::task::coop::poll_proceed(cx));
    let out = op(cx);
    if out.is_ready() {
        coop.made_progress();
    }
    out
}

impl AsyncRead for SimplexStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let pipe = self.get_mut();
        budgeted(cx, |cx| pipe.poll_read_pipe(cx, buf))
    }
}

impl AsyncWrite for SimplexStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let pipe = self.get_mut();
        budgeted(cx, |cx| pipe.poll_write_pipe(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let pipe = self.get_mut();
        budgeted(cx, |cx| pipe.poll_write_pipe_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().close();
        Poll::Ready(Ok(()))
    }
}

/// One end of a bidirectional in-memory pipe (tokio's `tokio::io::DuplexStream`), made by
/// [`duplex`].
///
/// Bytes written to one end are read from the other. Dropping an end lets the other read
/// what is left and then end of file, and makes its writes (pending ones included) fail with
/// `BrokenPipe`. `shutdown` closes this end's writing direction only.
#[derive(Debug)]
pub struct DuplexStream {
    read: Arc<Mutex<SimplexStream>>,
    write: Arc<Mutex<SimplexStream>>,
}

/// Makes a connected pair of [`DuplexStream`]s, each direction buffering at most
/// `max_buf_size` bytes (tokio's `tokio::io::duplex`).
///
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # futures::executor::block_on(async {
/// let (mut client, mut server) = tokio::io::duplex(64);
/// client.write_all(b"ping").await.unwrap();
/// let mut buf = [0u8; 4];
/// server.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"ping");
/// drop(client);
/// assert_eq!(server.read(&mut buf).await.unwrap(), 0);
/// assert!(server.write_all(b"pong").await.is_err());
/// # });
/// ```
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    let one = Arc::new(Mutex::new(SimplexStream::new_unsplit(max_buf_size)));
    let two = Arc::new(Mutex::new(SimplexStream::new_unsplit(max_buf_size)));
    (
        DuplexStream {
            read: one.clone(),
            write: two.clone(),
        },
        DuplexStream {
            read: two,
            write: one,
        },
    )
}

fn lock(pipe: &Mutex<SimplexStream>) -> MutexGuard<'_, SimplexStream> {
    // The pipe's state is consistent between statements, so a panic elsewhere does not
    // poison it for us.
    pipe.lock().unwrap_or_else(|e| e.into_inner())
}

impl AsyncRead for DuplexStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |cx| lock(&self.read).poll_read_pipe(cx, buf))
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        budgeted(cx, |cx| lock(&self.write).poll_write_pipe(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        budgeted(cx, |cx| lock(&self.write).poll_write_pipe_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.write).close();
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        // The peer reads what is left, then end of file; its writes fail.
        lock(&self.write).close();
        lock(&self.read).close();
    }
}
