//! The futures behind `read_to_end` and `read_to_string`.

use super::read::check_same_buffer;
use crate::io::{AsyncRead, ReadBuf};
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The size of the probe read `read_to_end` makes when `buf` is full, before growing it: a
/// vector given exactly enough capacity then ends at end of file without reallocating.
const PROBE_SIZE: usize = 32;

/// Reads from `reader` into `buf`'s spare capacity until end of file, counting in `total`.
/// Bytes read stay in `buf` if this returns `Pending` or an error.
pub(super) fn poll_read_to_end<R: AsyncRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
    total: &mut usize,
) -> Poll<io::Result<usize>> {
    loop {
        let n = if buf.capacity() == buf.len() {
            ready!(poll_probe(reader.as_mut(), cx, buf))?
        } else {
            ready!(poll_into_spare(reader.as_mut(), cx, buf))?
        };
        if n == 0 {
            return Poll::Ready(Ok(std::mem::take(total)));
        }
        *total += n;
    }
}

/// Reads into a small stack buffer and appends what came (growing `buf` only then).
fn poll_probe<R: AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
) -> Poll<io::Result<usize>> {
    let mut probe = [0u8; PROBE_SIZE];
    let mut rb = ReadBuf::new(&mut probe);
    ready!(reader.poll_read(cx, &mut rb))?;
    buf.extend_from_slice(rb.filled());
    Poll::Ready(Ok(rb.filled().len()))
}

/// Reads into `buf`'s spare capacity.
fn poll_into_spare<R: AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
) -> Poll<io::Result<usize>> {
    let len = buf.len();
    let n = {
        let mut rb = ReadBuf::uninit(buf.spare_capacity_mut());
        let start = rb.filled().as_ptr();
        ready!(reader.poll_read(cx, &mut rb))?;
        check_same_buffer(start, &rb);
        rb.filled().len()
    };
    // SAFETY: the reader filled, hence initialized, the first `n` bytes of the spare
    // capacity (checked to be ours above), and `n <= capacity - len`.
    unsafe { buf.set_len(len + n) };
    Poll::Ready(Ok(n))
}

pin_project! {
    /// Future for [`AsyncReadExt::read_to_end`](crate::io::AsyncReadExt::read_to_end).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadToEnd<'a, R: ?Sized> {
        reader: &'a mut R,
        buf: &'a mut Vec<u8>,
        read: usize,
        #[pin]
        _pin: PhantomPinned,
    }
}

pub(super) fn read_to_end<'a, R: AsyncRead + Unpin + ?Sized>(
    reader: &'a mut R,
    buf: &'a mut Vec<u8>,
) -> ReadToEnd<'a, R> {
    ReadToEnd {
        reader,
        buf,
        read: 0,
        _pin: PhantomPinned,
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToEnd<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        poll_read_to_end(Pin::new(&mut **me.reader), cx, me.buf, me.read)
    }
}

pin_project! {
    /// Future for [`AsyncReadExt::read_to_string`](crate::io::AsyncReadExt::read_to_string).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadToString<'a, R: ?Sized> {
        reader: &'a mut R,
        dst: &'a mut String,
        bytes: Vec<u8>,
        read: usize,
        #[pin]
        _pin: PhantomPinned,
    }
}

pub(super) fn read_to_string<'a, R: AsyncRead + Unpin + ?Sized>(
    reader: &'a mut R,
    dst: &'a mut String,
) -> ReadToString<'a, R> {
    ReadToString {
        reader,
        dst,
        bytes: Vec::new(),
        read: 0,
        _pin: PhantomPinned,
    }
}

/// Appends `bytes` to `dst` if they are UTF-8; otherwise `InvalidData` and `dst` unchanged.
pub(super) fn append_utf8(dst: &mut String, bytes: &[u8]) -> io::Result<()> {
    match std::str::from_utf8(bytes) {
        Ok(s) => {
            dst.push_str(s);
            Ok(())
        }
        Err(_) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )),
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToString<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        let n = ready!(poll_read_to_end(
            Pin::new(&mut **me.reader),
            cx,
            me.bytes,
            me.read
        ))?;
        let bytes = std::mem::take(me.bytes);
        Poll::Ready(append_utf8(me.dst, &bytes).map(|()| n))
    }
}
