//! The future behind `write_u8` … `write_f64_le`: encodes the number, then writes all of it.

use crate::io::AsyncWrite;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The widest number written (`u128`/`i128`).
const MAX_LEN: usize = 16;

pin_project! {
    /// Future for the `write_u8` … `write_f64_le` methods of
    /// [`AsyncWriteExt`](crate::io::AsyncWriteExt).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WriteInt<'a, W: ?Sized> {
        writer: &'a mut W,
        buf: [u8; MAX_LEN],
        len: usize,
        written: usize,
        #[pin]
        _pin: PhantomPinned,
    }
}

pub(super) fn write_int<'a, W: ?Sized>(writer: &'a mut W, bytes: &[u8]) -> WriteInt<'a, W> {
    let mut buf = [0; MAX_LEN];
    buf[..bytes.len()].copy_from_slice(bytes);
    WriteInt {
        writer,
        buf,
        len: bytes.len(),
        written: 0,
        _pin: PhantomPinned,
    }
}

pub(crate) fn write_zero() -> io::Error {
    io::Error::new(io::ErrorKind::WriteZero, "failed to write whole buffer")
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteInt<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.project();
        while *me.written < *me.len {
            let n = ready!(Pin::new(&mut **me.writer).poll_write(cx, &me.buf[*me.written..*me.len]))?;
            if n == 0 {
                return Poll::Ready(Err(write_zero()));
            }
            *me.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// Generates the `write_*` methods of `AsyncWriteExt`, each a `WriteInt` of the encoded number.
macro_rules! write_int_methods {
    ($($name:ident, $ty:ty, $to:ident, $what:literal;)*) => {$(
        #[doc = concat!("Writes ", $what, " (`", stringify!($ty), "`) to this writer, all of it.")]
        ///
        /// Fails with `WriteZero` if the writer accepts no more bytes. Not cancel safe unless
        /// the number is one byte wide.
        fn $name(&mut self, n: $ty) -> WriteInt<'_, Self>
        where
            Self: Unpin,
        {
            super::write_int::write_int(self, &n.$to())
        }
    )*};
}
pub(super) use write_int_methods;
