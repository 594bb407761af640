//! The future behind `AsyncBufReadExt::fill_buf`.

use crate::io::AsyncBufRead;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project! {
    /// Future for [`AsyncBufReadExt::fill_buf`](crate::io::AsyncBufReadExt::fill_buf).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct FillBuf<'a, R: ?Sized> {
        // `None` once the future has returned the buffer, which borrows the reader for `'a`.
        reader: Option<&'a mut R>,
        #[pin]
        _pin: PhantomPinned,
    }
}

pub(super) fn fill_buf<R: AsyncBufRead + Unpin + ?Sized>(reader: &mut R) -> FillBuf<'_, R> {
    FillBuf {
        reader: Some(reader),
        _pin: PhantomPinned,
    }
}

impl<'a, R: AsyncBufRead + Unpin + ?Sized> Future for FillBuf<'a, R> {
    type Output = io::Result<&'a [u8]>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&'a [u8]>> {
        let me = self.project();
        let reader: *mut R = me.reader.take().expect("FillBuf polled after completion");
        // SAFETY: `reader` came from a `&'a mut R` that was just taken out of `self`, so this
        // is the only live reference to it.
        match Pin::new(unsafe { &mut *reader }).poll_fill_buf(cx) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => {
                // SAFETY: `Pending` holds no borrow of the reader, so the reference made above
                // is dead; giving `self` a new one keeps a single live `&'a mut R`. (This is the
                // "conditional return of a borrow" the current borrow checker rejects.)
                *me.reader = Some(unsafe { &mut *reader });
                Poll::Pending
            }
        }
    }
}
