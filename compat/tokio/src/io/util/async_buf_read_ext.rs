//! `AsyncBufReadExt`: tokio's methods on every `AsyncBufRead`.

use super::fill_buf::{FillBuf, fill_buf};
use super::lines::{Lines, lines};
use super::read_until::{ReadLine, ReadUntil, read_line, read_until};
use super::segments::{Split, split};
use crate::io::AsyncBufRead;
use std::pin::Pin;

/// Reads lines and delimited segments from a buffered reader (tokio's
/// `tokio::io::AsyncBufReadExt`), implemented for every [`AsyncBufRead`].
///
/// ```
/// use tokio::io::AsyncBufReadExt;
///
/// # futures::executor::block_on(async {
/// let mut reader: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n";
/// let mut line = String::new();
/// assert_eq!(reader.read_line(&mut line).await.unwrap(), 16);
/// assert_eq!(line, "GET / HTTP/1.1\r\n");
/// # });
/// ```
pub trait AsyncBufReadExt: AsyncBufRead {
    /// Reads bytes into `buf` up to and including `byte`, or to end of file; returns how many
    /// bytes were read (0 at end of file).
    ///
    /// Cancel safe in this sense: bytes read before the future is dropped are already in
    /// `buf`, and calling again continues reading until `byte`.
    fn read_until<'a>(&'a mut self, byte: u8, buf: &'a mut Vec<u8>) -> ReadUntil<'a, Self>
    where
        Self: Unpin,
    {
        read_until(self, byte, buf)
    }

    /// Reads a line, including its `\n`, and appends it to `buf`; returns how many bytes were
    /// read (0 at end of file).
    ///
    /// Fails with `InvalidData`, leaving `buf` unchanged, if the line is not UTF-8. On an I/O
    /// error, the bytes read before it are appended to `buf` if they are UTF-8. Not cancel
    /// safe: a partly read line is lost if the future is dropped (`buf` is then unchanged;
    /// tokio makes no promise about `buf` in that case). [`lines`](Self::lines) is the cancel
    /// safe way to read lines.
    fn read_line<'a>(&'a mut self, buf: &'a mut String) -> ReadLine<'a, Self>
    where
        Self: Unpin,
    {
        read_line(self, buf)
    }

    /// The segments of this reader split at `byte` (see [`Split`]).
    fn split(self, byte: u8) -> Split<Self>
    where
        Self: Sized,
    {
        split(self, byte)
    }

    /// The buffered bytes, reading more first if the buffer is empty (empty at end of file).
    /// Call [`consume`](Self::consume) to mark bytes read.
    ///
    /// Cancel safe.
    fn fill_buf(&mut self) -> FillBuf<'_, Self>
    where
        Self: Unpin,
    {
        fill_buf(self)
    }

    /// Marks `amt` buffered bytes as read, so `fill_buf` and reads no longer return them.
    fn consume(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        Pin::new(self).consume(amt)
    }

    /// The lines of this reader (see [`Lines`]).
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        lines(self)
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}
