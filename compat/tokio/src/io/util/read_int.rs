//! The future behind `read_u8` … `read_f64_le`: one generic future that reads a fixed number
//! of bytes and decodes them.

use super::read::eof;
use crate::io::{AsyncRead, ReadBuf};
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The widest number read (`u128`/`i128`).
const MAX_LEN: usize = 16;

pin_project! {
    /// Future for the `read_u8` … `read_f64_le` methods of
    /// [`AsyncReadExt`](crate::io::AsyncReadExt): reads `size_of::<T>()` bytes, then decodes.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadInt<'a, R: ?Sized, T> {
        reader: &'a mut R,
        buf: [u8; MAX_LEN],
        len: usize,
        filled: usize,
        decode: fn(&[u8]) -> T,
        #[pin]
        _pin: PhantomPinned,
    }
}

impl<R: ?Sized, T> std::fmt::Debug for ReadInt<'_, R, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadInt")
            .field("len", &self.len)
            .field("filled", &self.filled)
            .finish()
    }
}

pub(super) fn read_int<R: ?Sized, T>(
    reader: &mut R,
    len: usize,
    decode: fn(&[u8]) -> T,
) -> ReadInt<'_, R, T> {
    debug_assert!(len <= MAX_LEN);
    ReadInt {
        reader,
        buf: [0; MAX_LEN],
        len,
        filled: 0,
        decode,
        _pin: PhantomPinned,
    }
}

impl<R: AsyncRead + Unpin + ?Sized, T> Future for ReadInt<'_, R, T> {
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let me = self.project();
        while *me.filled < *me.len {
            let mut rb = ReadBuf::new(&mut me.buf[*me.filled..*me.len]);
            ready!(Pin::new(&mut **me.reader).poll_read(cx, &mut rb))?;
            let n = rb.filled().len();
            if n == 0 {
                return Poll::Ready(Err(eof()));
            }
            *me.filled += n;
        }
        Poll::Ready(Ok((me.decode)(&me.buf[..*me.len])))
    }
}

/// Generates the `read_*` methods of `AsyncReadExt`, each a `ReadInt` with its decoder.
macro_rules! read_int_methods {
    ($($name:ident, $ty:ty, $from:ident, $what:literal;)*) => {$(
        #[doc = concat!("Reads ", $what, " (`", stringify!($ty), "`) from this reader.")]
        ///
        /// Fails with `UnexpectedEof` if the reader ends first. Not cancel safe unless the
        /// number is one byte wide: bytes read before a cancellation are lost.
        fn $name(&mut self) -> ReadInt<'_, Self, $ty>
        where
            Self: Unpin,
        {
            fn decode(b: &[u8]) -> $ty {
                let mut a = [0u8; std::mem::size_of::<$ty>()];
                a.copy_from_slice(b);
                <$ty>::$from(a)
            }
            super::read_int::read_int(self, std::mem::size_of::<$ty>(), decode)
        }
    )*};
}
pub(super) use read_int_methods;
