//! `Lines`: the lines of an `AsyncBufRead`, one `String` at a time.

use super::read_until::poll_read_until;
use crate::io::AsyncBufRead;
use pin_project_lite::pin_project;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project! {
    /// The lines of a reader (tokio's `tokio::io::Lines`), made by
    /// [`AsyncBufReadExt::lines`](crate::io::AsyncBufReadExt::lines).
    ///
    /// ```
    /// use tokio::io::AsyncBufReadExt;
    ///
    /// # futures::executor::block_on(async {
    /// let mut lines = (&b"one\r\ntwo\nthree"[..]).lines();
    /// assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("one"));
    /// assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("two"));
    /// assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("three"));
    /// assert_eq!(lines.next_line().await.unwrap(), None);
    /// # });
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Lines<R> {
        #[pin]
        reader: R,
        bytes: Vec<u8>,
        read: usize,
    }
}

pub(super) fn lines<R: AsyncBufRead>(reader: R) -> Lines<R> {
    Lines {
        reader,
        bytes: Vec::new(),
        read: 0,
    }
}

/// Strips one trailing `\n` or `\r\n`.
pub(super) fn strip_newline(bytes: &mut Vec<u8>) {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    /// The next line without its `\n` or `\r\n`, or `None` at end of file.
    ///
    /// Fails with `InvalidData` if the line is not UTF-8. Cancel safe: a partly read line
    /// stays in `self` and the next call continues it.
    pub async fn next_line(&mut self) -> io::Result<Option<String>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next_line(cx)).await
    }
}

impl<R> Lines<R> {
    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The underlying reader, mutably.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The underlying reader (a partly read line is lost).
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: AsyncBufRead> Lines<R> {
    /// Polls for the next line: `Ready(Ok(None))` at end of file.
    pub fn poll_next_line(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<Option<String>>> {
        let me = self.project();
        let n = ready!(poll_read_until(me.reader, cx, b'\n', me.bytes, me.read))?;
        if n == 0 && me.bytes.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut bytes = std::mem::take(me.bytes);
        strip_newline(&mut bytes);
        match String::from_utf8(bytes) {
            Ok(line) => Poll::Ready(Ok(Some(line))),
            Err(_) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))),
        }
    }
}
