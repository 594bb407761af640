//! `Registration`: a socket registered with the runtime's poller, and the operations that wait
//! for it. gosched-net builds its TCP, UDP and Unix types on it; it is public so other I/O
//! types (pipes, ttys, any file descriptor epoll accepts) can be built the same way.
//!
//! The public signatures name only std and gosched types (`AsFd`, [`Interest`]): mio is how
//! the poller is built, not part of the API, so a new mio major version is not a breaking
//! change here. Inside, a descriptor is registered through mio's `SourceFd`, which is all
//! mio's own socket types do on Unix.

use super::Interest;
use super::record::{Direction, IoRecord, ReadyEvent, SHUTDOWN};
use crate::loom::Arc;
use crate::sched::Shared;
use mio::unix::SourceFd;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::task::{Context, Poll, ready};

/// A source registered with the poller of the runtime it was created in.
///
/// The poller is edge-triggered: an operation that returns `WouldBlock` must clear the
/// readiness it acted on ([`clear_readiness`](Registration::clear_readiness)), or let
/// [`poll_io`](Registration::poll_io) / [`try_io`](Registration::try_io) do it.
///
/// # Examples
/// ```
/// use gosched::netpoll::{Direction, Interest, Registration};
/// use std::io::{Read, Write};
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
///     a.set_nonblocking(true).unwrap();
///     let reg = Registration::new(&a, Interest::READABLE | Interest::WRITABLE).unwrap();
///     b.write_all(b"hi").unwrap();
///     let mut buf = [0; 2];
///     let n = std::future::poll_fn(|cx| reg.poll_io(cx, Direction::Read, || (&a).read(&mut buf))).await.unwrap();
///     assert_eq!(&buf[..n], b"hi");
///     reg.deregister(&a).unwrap();
/// });
/// ```
pub struct Registration {
    shared: Arc<Shared>,
    record: std::sync::Arc<IoRecord>,
    token: mio::Token,
}

impl Registration {
    /// Registers `source` with the current runtime's poller for `interest`. The source must be
    /// in non-blocking mode, and stay open until [`deregister`](Registration::deregister) (or
    /// until this `Registration` is dropped, if it is closed without deregistering).
    ///
    /// # Panics
    /// Outside a runtime (no task, `block_on` or blocking-pool thread of a gosched runtime).
    #[track_caller]
    pub fn new(source: &impl AsFd, interest: Interest) -> io::Result<Registration> {
        let shared = crate::sched::context::with_current(|s| s.cloned()).unwrap_or_else(|| {
            panic!(
                "gosched: an I/O object was created outside a gosched runtime. Create sockets \
                 inside a task, inside Runtime::block_on or #[gosched::main]"
            )
        });
        Registration::with_runtime(shared, source, interest)
    }

    pub(crate) fn with_runtime(
        shared: Arc<Shared>,
        source: &impl AsFd,
        interest: Interest,
    ) -> io::Result<Registration> {
        let fd = source.as_fd().as_raw_fd();
        let (record, token) = shared.poller.register(&mut SourceFd(&fd), interest.to_mio())?;
        Ok(Registration {
            shared,
            record,
            token,
        })
    }

    /// Waits until `dir` is ready. Spends one unit of the task's budget; when the budget is
    /// spent it returns `Pending` after waking the task, so a socket that is always ready
    /// cannot starve its P.
    pub fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<ReadyEvent>> {
        ready!(crate::coop::spend(cx));
        self.poll_ready_unbudgeted(cx, dir)
    }

    fn poll_ready_unbudgeted(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<ReadyEvent>> {
        if let Some(ev) = self.record.ready(dir) {
            return Poll::Ready(check_shutdown(ev));
        }
        crate::task::set_current_wait(match dir {
            Direction::Read => crate::task::WAIT_IO_READ,
            Direction::Write => crate::task::WAIT_IO_WRITE,
        });
        self.record.register(dir, cx.waker());
        // Re-read after registering: an event that arrived in between is not lost.
        match self.record.ready(dir) {
            Some(ev) => Poll::Ready(check_shutdown(ev)),
            None => Poll::Pending,
        }
    }

    /// Waits until `dir` is ready (see [`poll_ready`](Registration::poll_ready)).
    pub async fn readiness(&self, dir: Direction) -> io::Result<ReadyEvent> {
        poll_fn(|cx| self.poll_ready(cx, dir)).await
    }

    /// Forgets `event`'s readiness: the operation it allowed returned `WouldBlock`. An error or
    /// hang-up seen with it is forgotten too (the operation that reported it took it), unless
    /// a newer event arrived since.
    pub fn clear_readiness(&self, event: ReadyEvent) {
        self.record.clear(event);
    }

    /// Runs `op` when `dir` is ready, waiting again whenever it returns `WouldBlock`.
    pub fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_drained(cx, dir, op, |_| false)
    }

    /// [`poll_io`](Registration::poll_io) for byte streams: `drained(&result)` says the
    /// operation emptied the socket's receive buffer (a short read) or filled its send buffer
    /// (a short write). On an edge-triggered poller that is as good as `WouldBlock`: any later
    /// data or space raises a new edge, whose newer tick the clear cannot erase. So the
    /// readiness is cleared now, and the next operation waits instead of making a system call
    /// only to hear `WouldBlock` (tokio does the same). Not for datagram sockets, where a
    /// short read is one datagram of many.
    pub fn poll_io_drained<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        let mut ev = ready!(self.poll_ready(cx, dir))?;
        loop {
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.record.clear(ev);
                    ev = ready!(self.poll_ready_unbudgeted(cx, dir))?;
                }
                Ok(r) => {
                    if drained(&r) && !ev.is_closed() {
                        self.record.clear_drained(ev);
                    }
                    return Poll::Ready(Ok(r));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Runs `op` now if `dir` looks ready, else returns `WouldBlock` (for `try_read` and
    /// friends). A `WouldBlock` from `op` clears the readiness.
    pub fn try_io<R>(&self, dir: Direction, op: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        let Some(ev) = self.record.ready(dir) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        check_shutdown(ev)?;
        let res = op();
        if matches!(&res, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.record.clear(ev);
        }
        res
    }

    /// Removes `source` (the one given to [`new`](Registration::new)) from the poller. Call
    /// it before closing the source; a source closed without it is removed by the kernel, and
    /// its late events are ignored.
    pub fn deregister(&self, source: &impl AsFd) -> io::Result<()> {
        let fd = source.as_fd().as_raw_fd();
        self.shared.poller.deregister(&mut SourceFd(&fd))
    }
}

fn check_shutdown(ev: ReadyEvent) -> io::Result<ReadyEvent> {
    if ev.bits & SHUTDOWN != 0 {
        return Err(io::Error::other(
            "gosched: the socket's registration is gone (the runtime shut down)",
        ));
    }
    Ok(ev)
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.poller.release(self.token, &self.record);
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("token", &self.token.0)
            .finish_non_exhaustive()
    }
}
