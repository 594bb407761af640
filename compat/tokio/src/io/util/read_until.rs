//! The futures behind `read_until` and `read_line`, and the loop `Lines` and `Split` share.

use super::read_to_end::append_utf8;
use crate::io::AsyncBufRead;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Moves bytes from `reader`'s buffer to `buf` up to and including `delim` (or to end of
/// file), counting them in `read`. Returns the count and resets it once the delimiter or end
/// of file is reached; bytes moved before a `Pending` or an error stay in `buf`.
pub(crate) fn poll_read_until<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    delim: u8,
    buf: &mut Vec<u8>,
    read: &mut usize,
) -> Poll<io::Result<usize>> {
    loop {
        let (done, used) = {
            let available = ready!(reader.as_mut().poll_fill_buf(cx))?;
            match available.iter().position(|&b| b == delim) {
                Some(i) => {
                    buf.extend_from_slice(&available[..=i]);
                    (true, i + 1)
                }
                None => {
                    buf.extend_from_slice(available);
                    (available.is_empty(), available.len())
                }
            }
        };
        reader.as_mut().consume(used);
        *read += used;
        if done {
            return Poll::Ready(Ok(std::mem::take(read)));
        }
    }
}

pin_project! {
    /// Future for [`AsyncBufReadExt::read_until`](crate::io::AsyncBufReadExt::read_until).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadUntil<'a, R: ?Sized> {
        reader: &'a mut R,
        delim: u8,
        buf: &'a mut Vec<u8>,
        read: usize,
        #[pin]
        _pin: PhantomPinned,
    }
}

pub(super) fn read_until<'a, R: AsyncBufRead + Unpin + ?Sized>(
    reader: &'a mut R,
    delim: u8,
    buf: &'a mut Vec<u8>,
) -> ReadUntil<'a, R> {
    ReadUntil {
        reader,
        delim,
        buf,
        read: 0,
        _pin: PhantomPinned,
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadUntil<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        poll_read_until(Pin::new(&mut **me.reader), cx, *me.delim, me.buf, me.read)
    }
}

pin_project! {
    /// Future for [`AsyncBufReadExt::read_line`](crate::io::AsyncBufReadExt::read_line).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadLine<'a, R: ?Sized> {
        reader: &'a mut R,
        dst: &'a mut String,
        bytes: Vec<u8>,
        read: usize,
        #[pin]
        _pin: PhantomPinned,
    }
}

pub(super) fn read_line<'a, R: AsyncBufRead + Unpin + ?Sized>(
    reader: &'a mut R,
    dst: &'a mut String,
) -> ReadLine<'a, R> {
    ReadLine {
        reader,
        dst,
        bytes: Vec::new(),
        read: 0,
        _pin: PhantomPinned,
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadLine<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        let reader = Pin::new(&mut **me.reader);
        let res = ready!(poll_read_until(reader, cx, b'\n', me.bytes, me.read));
        let bytes = std::mem::take(me.bytes);
        match res {
            Ok(n) => Poll::Ready(append_utf8(me.dst, &bytes).map(|()| n)),
            Err(e) => {
                // As tokio: the bytes read before an I/O error are kept if they are UTF-8.
                let _ = append_utf8(me.dst, &bytes);
                Poll::Ready(Err(e))
            }
        }
    }
}
