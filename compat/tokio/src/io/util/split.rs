//! `split`: a read half and a write half over one `AsyncRead + AsyncWrite`.
//!
//! Both halves hold the stream in one `Arc<Mutex<T>>`; each poll locks it for the length of
//! the call. The stream never moves inside the `Arc`, which is what lets a `!Unpin` stream be
//! polled pinned; `unsplit` (which moves it out) asks for `T: Unpin`.

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

/// The read half of a stream split by [`split`] (tokio's `tokio::io::ReadHalf`).
pub struct ReadHalf<T> {
    inner: Arc<Mutex<T>>,
}

/// The write half of a stream split by [`split`] (tokio's `tokio::io::WriteHalf`).
pub struct WriteHalf<T> {
    inner: Arc<Mutex<T>>,
}

/// Splits one `AsyncRead + AsyncWrite` into a read half and a write half that can be used
/// from different tasks (tokio's `tokio::io::split`).
///
/// Each poll of either half locks the stream briefly. A stream type with its own split
/// (`TcpStream::into_split`) avoids that lock.
///
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # futures::executor::block_on(async {
/// let (a, mut b) = tokio::io::duplex(64);
/// let (mut rd, mut wr) = tokio::io::split(a);
/// wr.write_all(b"hi").await.unwrap();
/// let mut two = [0; 2];
/// b.read_exact(&mut two).await.unwrap();
/// b.write_all(&two).await.unwrap();
/// rd.read_exact(&mut two).await.unwrap();
/// assert_eq!(&two, b"hi");
/// assert!(rd.is_pair_of(&wr));
/// let _a = rd.unsplit(wr);
/// # });
/// ```
pub fn split<T: AsyncRead + AsyncWrite>(stream: T) -> (ReadHalf<T>, WriteHalf<T>) {
    let inner = Arc::new(Mutex::new(stream));
    (ReadHalf { inner: inner.clone() }, WriteHalf { inner })
}

/// Locks the stream and pins it, then runs `f`.
fn with_pinned<T, R>(inner: &Mutex<T>, f: impl FnOnce(Pin<&mut T>) -> R) -> R {
    // A panic in an earlier poll leaves the stream as the panic left it; tokio's halves do not
    // poison either.
    let mut guard: MutexGuard<'_, T> = inner.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: the stream lives inside the `Arc` allocation and is never moved out of it
    // except by `unsplit`, which requires `T: Unpin`; so pinning it here is sound.
    let pinned = unsafe { Pin::new_unchecked(&mut *guard) };
    f(pinned)
}

impl<T> ReadHalf<T> {
    /// Whether `other` is the write half split from the same stream.
    pub fn is_pair_of(&self, other: &WriteHalf<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Puts the two halves back together.
    ///
    /// # Panics
    /// If `wr` is not this half's pair.
    #[track_caller]
    pub fn unsplit(self, wr: WriteHalf<T>) -> T
    where
        T: Unpin,
    {
        assert!(
            self.is_pair_of(&wr),
            "unrelated `WriteHalf` passed to `ReadHalf::unsplit`"
        );
        drop(wr);
        let mutex = Arc::try_unwrap(self.inner)
            .ok()
            .expect("`ReadHalf` and `WriteHalf` are the only owners");
        mutex.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> WriteHalf<T> {
    /// Whether `other` is the read half split from the same stream.
    pub fn is_pair_of(&self, other: &ReadHalf<T>) -> bool {
        other.is_pair_of(self)
    }
}

impl<T: AsyncRead> AsyncRead for ReadHalf<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        with_pinned(&self.inner, |s| s.poll_read(cx, buf))
    }
}

impl<T: AsyncWrite> AsyncWrite for WriteHalf<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        with_pinned(&self.inner, |s| s.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        with_pinned(&self.inner, |s| s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        with_pinned(&self.inner, |s| s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        with_pinned(&self.inner, |s| s.poll_shutdown(cx))
    }
}

impl<T> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadHalf").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteHalf").finish_non_exhaustive()
    }
}
