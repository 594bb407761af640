//! `Split`: the segments of an `AsyncBufRead` between delimiter bytes.

use super::read_until::poll_read_until;
use crate::io::AsyncBufRead;
use pin_project_lite::pin_project;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project! {
    /// The segments of a reader split at a delimiter byte (tokio's `tokio::io::Split`), made
    /// by [`AsyncBufReadExt::split`](crate::io::AsyncBufReadExt::split).
    ///
    /// ```
    /// use tokio::io::AsyncBufReadExt;
    ///
    /// # futures::executor::block_on(async {
    /// // (`<[u8]>::split` would win over the trait method on a bare slice)
    /// let mut parts = AsyncBufReadExt::split(&b"a,b,,c"[..], b',');
    /// let mut all = Vec::new();
    /// while let Some(part) = parts.next_segment().await.unwrap() {
    ///     all.push(part);
    /// }
    /// assert_eq!(all, [&b"a"[..], b"b", b"", b"c"]);
    /// # });
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Split<R> {
        #[pin]
        reader: R,
        buf: Vec<u8>,
        delim: u8,
        read: usize,
    }
}

pub(super) fn split<R: AsyncBufRead>(reader: R, delim: u8) -> Split<R> {
    Split {
        reader,
        buf: Vec::new(),
        delim,
        read: 0,
    }
}

impl<R: AsyncBufRead + Unpin> Split<R> {
    /// The next segment without its delimiter, or `None` at end of file.
    ///
    /// Cancel safe: a partly read segment stays in `self` and the next call continues it.
    pub async fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next_segment(cx)).await
    }
}

impl<R: AsyncBufRead> Split<R> {
    /// Polls for the next segment: `Ready(Ok(None))` at end of file.
    pub fn poll_next_segment(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<Vec<u8>>>> {
        let me = self.project();
        let n = ready!(poll_read_until(me.reader, cx, *me.delim, me.buf, me.read))?;
        if n == 0 && me.buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        if me.buf.last() == Some(me.delim) {
            me.buf.pop();
        }
        Poll::Ready(Ok(Some(std::mem::take(me.buf))))
    }
}
