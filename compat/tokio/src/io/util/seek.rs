//! `AsyncSeekExt` and the future behind `seek`, `rewind` and `stream_position`.

use crate::io::{AsyncSeek, SeekFrom};
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project! {
    /// Future for the methods of [`AsyncSeekExt`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Seek<'a, S: ?Sized> {
        seek: &'a mut S,
        // `Some` until `start_seek` is called.
        pos: Option<SeekFrom>,
        #[pin]
        _pin: PhantomPinned,
    }
}

impl<S: AsyncSeek + Unpin + ?Sized> Future for Seek<'_, S> {
    type Output = io::Result<u64>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let me = self.project();
        let mut seek = Pin::new(&mut **me.seek);
        if let Some(pos) = *me.pos {
            // Let a seek an earlier, dropped future started finish first, as tokio does.
            ready!(seek.as_mut().poll_complete(cx))?;
            *me.pos = None;
            seek.as_mut().start_seek(pos)?;
        }
        seek.poll_complete(cx)
    }
}

/// Seeks (tokio's `tokio::io::AsyncSeekExt`), implemented for every [`AsyncSeek`].
///
/// ```
/// use std::io::{Cursor, SeekFrom};
/// use tokio::io::{AsyncReadExt, AsyncSeekExt};
///
/// # futures::executor::block_on(async {
/// let mut cursor = Cursor::new(b"0123456789".to_vec());
/// assert_eq!(cursor.seek(SeekFrom::End(-3)).await.unwrap(), 7);
/// assert_eq!(cursor.read_u8().await.unwrap(), b'7');
/// assert_eq!(cursor.stream_position().await.unwrap(), 8);
/// cursor.rewind().await.unwrap();
/// assert_eq!(cursor.read_u8().await.unwrap(), b'0');
/// # });
/// ```
pub trait AsyncSeekExt: AsyncSeek {
    /// Seeks to `pos`, returning the new position from the start.
    fn seek(&mut self, pos: SeekFrom) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        Seek {
            seek: self,
            pos: Some(pos),
            _pin: PhantomPinned,
        }
    }

    /// Seeks to the start: `seek(SeekFrom::Start(0))`.
    fn rewind(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Start(0))
    }

    /// The current position from the start: `seek(SeekFrom::Current(0))`.
    fn stream_position(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}
