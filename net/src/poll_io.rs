//! `PollIo<T>`: a non-blocking socket (a mio one, used for its std-like constructors) plus its
//! [`Registration`] with the runtime's poller. Every socket type of this crate is a thin
//! wrapper around one.
//!
//! The poller is edge-triggered: readiness is cleared when an operation returns `WouldBlock`,
//! which `Registration::poll_io` / `try_io` do for us, and, for byte streams, after a short
//! read or write (`Registration::poll_io_drained`): the kernel buffer was emptied or filled,
//! and data or space that comes later raises a new edge with a newer tick, which the clear
//! cannot erase. That saves the `WouldBlock` system call after every read. Datagram sockets
//! clear only on `WouldBlock` (a short read there is one datagram of several). An error or
//! hang-up the poller saw is reported by the operation it wakes; the next `WouldBlock` clears
//! it too, so it never makes a later operation spin.

use crate::{Interest, Ready};
use gosched_executor::netpoll::{Direction, Interest as RegInterest, ReadyEvent, Registration};
use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::AsFd;
use std::task::{Context, Poll};

/// A registered socket.
///
/// # Fields
/// - `io`: the source; `Some` for the whole life of the value, taken only in `Drop` to
///   deregister it before it is closed.
/// - `reg`: its readiness record; dropped after `io` is closed, waking any task still waiting
///   on it with an error.
pub(crate) struct PollIo<T: AsFd> {
    io: Option<T>,
    reg: Registration,
}

impl<T: AsFd> PollIo<T> {
    /// Registers `io` with the current runtime's poller.
    ///
    /// # Panics
    /// Outside a gosched runtime (the message names the fix).
    #[track_caller]
    pub(crate) fn new(io: T, interest: RegInterest) -> io::Result<PollIo<T>> {
        let reg = Registration::new(&io, interest)?;
        Ok(PollIo { io: Some(io), reg })
    }

    /// The source.
    pub(crate) fn get(&self) -> &T {
        // `io` is only `None` inside `drop`.
        self.io.as_ref().expect("gosched-net: socket used after drop")
    }

    /// Runs `op` when `dir` is ready, waiting again on `WouldBlock`. Spends one unit of budget.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get();
        self.reg.poll_io(cx, dir, || op(io))
    }

    /// `poll_io` as a future.
    pub(crate) async fn io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(cx, dir, &mut op)).await
    }

    /// Runs `op` now if `dir` looks ready, else `WouldBlock`.
    pub(crate) fn try_io<R>(&self, dir: Direction, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        let io = self.get();
        self.reg.try_io(dir, || op(io))
    }

    /// Waits until `dir` is ready.
    pub(crate) async fn ready(&self, dir: Direction) -> io::Result<ReadyEvent> {
        self.reg.readiness(dir).await
    }

    /// Polls for `dir`'s readiness (one unit of budget), registering the task on `Pending`.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<ReadyEvent>> {
        self.reg.poll_ready(cx, dir)
    }

    /// Polls for any readiness in `interest` (the read side first; `ERROR` alone waits on the
    /// read side, whose readiness includes a pending error).
    pub(crate) fn poll_ready_for(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<Ready>> {
        let read = interest.is_readable() || !interest.is_writable();
        if read {
            if let Poll::Ready(ev) = self.reg.poll_ready(cx, Direction::Read) {
                return Poll::Ready(ev.map(|ev| Ready::from_event(&ev, Direction::Read, interest)));
            }
        }
        if interest.is_writable() {
            if let Poll::Ready(ev) = self.reg.poll_ready(cx, Direction::Write) {
                return Poll::Ready(ev.map(|ev| Ready::from_event(&ev, Direction::Write, interest)));
            }
        }
        Poll::Pending
    }

    /// Waits for any readiness in `interest`.
    pub(crate) async fn ready_for(&self, interest: Interest) -> io::Result<Ready> {
        poll_fn(|cx| self.poll_ready_for(cx, interest)).await
    }

    /// Deregisters the source and hands it out (for `into_std`): the caller owns the fd now.
    /// A failed deregistration is ignored, as in `Drop`: the kernel already forgot the source.
    pub(crate) fn into_inner(mut self) -> io::Result<T> {
        let io = self.io.take().expect("gosched-net: socket used after drop");
        let _ = self.reg.deregister(&io);
        Ok(io)
    }

    /// Forgets `ev`'s readiness (the operation it allowed could not proceed).
    pub(crate) fn clear_readiness(&self, ev: ReadyEvent) {
        self.reg.clear_readiness(ev);
    }

    /// Finishes a non-blocking connect (mio's recipe): wait for writable, then the pending
    /// error (`take_error`) says whether it failed, and `peer_addr` whether it is done yet.
    pub(crate) async fn finish_connect(
        &self,
        take_error: impl Fn(&T) -> io::Result<Option<io::Error>>,
        is_connected: impl Fn(&T) -> io::Result<()>,
    ) -> io::Result<()> {
        loop {
            let ev = self.ready(Direction::Write).await?;
            if let Some(e) = take_error(self.get())? {
                return Err(e);
            }
            match is_connected(self.get()) {
                Ok(()) => return Ok(()),
                // An edge that came before the handshake finished: the connect's own edge is
                // still to come (with a newer tick, so clearing this one cannot lose it).
                Err(e) if e.kind() == io::ErrorKind::NotConnected && !ev.is_closed() => {
                    self.clear_readiness(ev);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Byte-stream operations, for sources whose `&T` reads and writes (TCP and Unix streams).
impl<T: AsFd> PollIo<T>
where
    for<'a> &'a T: Read + Write,
{
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        let io = self.get();
        // A read of 0 is end of stream (or an empty buffer): keep the readiness.
        self.reg.poll_io_drained(
            cx,
            Direction::Read,
            || (&mut &*io).read(buf),
            |&n| n > 0 && n < len,
        )
    }

    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        let io = self.get();
        self.reg
            .poll_io_drained(cx, Direction::Write, || (&mut &*io).write(buf), |&n| n < len)
    }

    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len: usize = bufs.iter().map(|b| b.len()).sum();
        let io = self.get();
        self.reg.poll_io_drained(
            cx,
            Direction::Write,
            || (&mut &*io).write_vectored(bufs),
            |&n| n < len,
        )
    }
}

impl<T: AsFd> Drop for PollIo<T> {
    fn drop(&mut self) {
        if let Some(io) = self.io.take() {
            // Deregister before closing, as mio asks; an error only means the kernel already
            // forgot the source, and the record's generation makes late events harmless.
            let _ = self.reg.deregister(&io);
        }
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for PollIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.io {
            Some(io) => io.fmt(f),
            None => f.write_str("<dropped>"),
        }
    }
}

/// `futures_io::{AsyncRead, AsyncWrite}` for a byte-stream type `$ty` (a struct whose `io`
/// field is a `PollIo`) and for `&$ty`. `poll_close` shuts the write half down.
macro_rules! futures_stream_impls {
    ($ty:ty) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncRead for &$ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_read(cx, buf)
            }
        }

        /// The owned stream writes as its shared reference does.
        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut &*self).poll_flush(cx)
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut &*self).poll_close(cx)
            }
        }

        impl futures_io::AsyncWrite for &$ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.shutdown(std::net::Shutdown::Write))
            }
        }
    };
}
pub(crate) use futures_stream_impls;
