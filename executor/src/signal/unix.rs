//! Unix signals as streams: [`signal`] creates a listener, [`Signal::recv`] waits for the next
//! delivery. The mechanism is described in the [parent module](super).

use crate::netpoll::{Direction, Registration};
use futures_core::Stream;
use std::fmt;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Signals a listener may not be created for: `SIGKILL` and `SIGSTOP` cannot be caught, and a
/// handler that returns from `SIGSEGV`, `SIGBUS`, `SIGILL` or `SIGFPE` raised by a fault runs
/// the faulting instruction again, forever (signal-hook-registry forbids most of them too).
const FORBIDDEN: [(libc::c_int, &str); 6] = [
    (libc::SIGKILL, "SIGKILL"),
    (libc::SIGSTOP, "SIGSTOP"),
    (libc::SIGSEGV, "SIGSEGV"),
    (libc::SIGBUS, "SIGBUS"),
    (libc::SIGILL, "SIGILL"),
    (libc::SIGFPE, "SIGFPE"),
];

/// Bytes read per `read` when draining a listener's socket; pending bytes are one per
/// delivery, so one read nearly always drains it.
const DRAIN_CHUNK: usize = 64;

/// A kind of signal, by number (tokio's `SignalKind`).
///
/// # Examples
/// ```
/// use gosched::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
/// assert_eq!(SignalKind::from_raw(libc::SIGHUP), SignalKind::hangup());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// Any signal by number; [`signal`] checks that it can be listened for.
    pub const fn from_raw(signum: i32) -> Self {
        SignalKind(signum)
    }

    /// The signal's number.
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }

    /// `SIGINT`: Ctrl-C at a terminal.
    pub const fn interrupt() -> Self {
        SignalKind(libc::SIGINT)
    }

    /// `SIGTERM`: a polite request to exit (what `kill`, systemd and Kubernetes send first).
    pub const fn terminate() -> Self {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGHUP`: the terminal went away; daemons often reload their configuration on it.
    pub const fn hangup() -> Self {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGQUIT`: Ctrl-\ at a terminal.
    pub const fn quit() -> Self {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGUSR1`.
    pub const fn user_defined1() -> Self {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`.
    pub const fn user_defined2() -> Self {
        SignalKind(libc::SIGUSR2)
    }

    /// Checks that a listener can be created for this signal.
    fn validate(self) -> io::Result<()> {
        let signum = self.0;
        if let Some((_, name)) = FORBIDDEN.iter().find(|(n, _)| *n == signum) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "gosched::signal: cannot listen for {name} (signal {signum}): it cannot be caught or handled safely"
                ),
            ));
        }
        let max = max_signal();
        if !(1..=max).contains(&signum) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("gosched::signal: signal number {signum} is out of range (1..={max})"),
            ));
        }
        Ok(())
    }
}

/// The highest signal number (`SIGRTMAX` where there are real-time signals).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn max_signal() -> libc::c_int {
    libc::SIGRTMAX()
}

/// The highest signal number (`SIGRTMAX` where there are real-time signals).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn max_signal() -> libc::c_int {
    // BSDs and macOS: 31 signals and no real-time ones.
    31
}

/// A listener for one kind of signal, created by [`signal`]; also a
/// `Stream<Item = ()>`.
///
/// Deliveries are coalesced: several signals that arrive before a [`recv`](Signal::recv) may
/// give one `()`. None is lost: a signal that arrives after [`signal`] returned wakes the next
/// `recv`, even if nobody was waiting when it came.
///
/// # Examples
/// ```
/// use gosched::signal::unix::{SignalKind, signal};
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut hup = signal(SignalKind::hangup()).unwrap();
///     // SAFETY (of this example): a SIGHUP listener is installed, so raising it is handled.
///     unsafe { libc::raise(libc::SIGHUP) };
///     unsafe { libc::raise(libc::SIGHUP) };
///     assert_eq!(hup.recv().await, Some(())); // both, coalesced
/// });
/// ```
pub struct Signal {
    kind: SignalKind,
    /// This listener's action in signal-hook-registry; it owns the socket's write end.
    action: signal_hook_registry::SigId,
    /// The read end, registered with the runtime's poller.
    reader: UnixStream,
    registration: Registration,
}

/// Creates a listener for `kind` on the current runtime. Every delivery of the signal after
/// this returns is seen by the listener's next [`recv`](Signal::recv).
///
/// Once a listener has existed for a signal, the process no longer takes that signal's
/// default action (see the [module docs](super#default-dispositions)).
///
/// # Errors
/// `InvalidInput` naming the signal for `SIGKILL`, `SIGSTOP`, `SIGSEGV`, `SIGBUS`, `SIGILL`,
/// `SIGFPE` and numbers below 1 or above `SIGRTMAX`; the OS error when the socket pair or the
/// handler cannot be set up.
///
/// # Panics
/// Outside a gosched runtime (a task, `block_on` or a blocking-pool thread).
///
/// # Examples
/// ```
/// use gosched::signal::unix::{SignalKind, signal};
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let err = signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
///     assert!(err.to_string().contains("SIGKILL"));
///     let _usr2 = signal(SignalKind::user_defined2()).unwrap();
/// });
/// ```
#[track_caller]
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    kind.validate()?;
    let shared = crate::sched::context::with_current(|s| s.cloned()).unwrap_or_else(|| {
        panic!(
            "gosched::signal::unix::signal called outside a gosched runtime. Create signal \
             listeners inside a task, inside Runtime::block_on or #[gosched::main]"
        )
    });
    let (read, write) = UnixStream::pair()?;
    read.set_nonblocking(true)?;
    write.set_nonblocking(true)?;
    let reader = read;
    let registration = Registration::with_runtime(shared, &reader, crate::netpoll::Interest::READABLE)?;
    let write = OwnedFd::from(write);
    let action = move || {
        let byte = 1u8;
        // SAFETY: `send` is async-signal-safe; the buffer is one live byte on this stack; the
        // fd is owned by this closure, which signal-hook-registry drops only after no handler
        // runs it any more. MSG_DONTWAIT: a full buffer drops the byte (a delivery is already
        // pending, so nothing is lost); errors are ignored, a handler cannot report them.
        unsafe {
            libc::send(
                write.as_raw_fd(),
                (&byte as *const u8).cast(),
                1,
                libc::MSG_DONTWAIT,
            )
        };
    };
    // SAFETY: `register` requires an action that is async-signal-safe: ours makes one `send`
    // call and touches no lock, allocator or thread-local (see above). `kind` was checked
    // against signal-hook-registry's FORBIDDEN list (a superset of it) in `validate`, so the
    // call cannot panic on that.
    let action = unsafe { signal_hook_registry::register(kind.0, action) }?;
    crate::diag::recorder::note_listener(kind.0);
    Ok(Signal {
        kind,
        action,
        reader,
        registration,
    })
}

impl Signal {
    /// Waits for the next delivery; `None` when the runtime has shut down (no delivery can be
    /// seen any more).
    ///
    /// Cancel safe: dropping the future loses nothing, the delivery stays pending.
    ///
    /// # Examples
    /// ```
    /// use gosched::signal::unix::{SignalKind, signal};
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
    ///     let waiter = gosched::spawn(async move { usr1.recv().await });
    ///     gosched::time::sleep(std::time::Duration::from_millis(10)).await;
    ///     // SAFETY (of this example): a SIGUSR1 listener is installed.
    ///     unsafe { libc::raise(libc::SIGUSR1) };
    ///     assert_eq!(waiter.await.unwrap(), Some(()));
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery: `Ready(Some(()))` once per batch of signals that arrived
    /// since the last one, `Pending` (the waker registered) when none did, `Ready(None)` once
    /// the runtime has shut down.
    ///
    /// # Examples
    /// ```
    /// use gosched::signal::unix::{SignalKind, signal};
    /// use std::task::Poll;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
    ///     std::future::poll_fn(|cx| {
    ///         assert!(usr2.poll_recv(cx).is_pending());
    ///         Poll::Ready(())
    ///     })
    ///     .await;
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let reader = &self.reader;
        let drained = self
            .registration
            .poll_io_drained(cx, Direction::Read, || drain(reader), |_| true);
        match drained {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(Some(())),
            // The registration is gone (the runtime shut down) or the socket failed.
            Poll::Ready(Err(_)) => Poll::Ready(None),
        }
    }

    /// The kind of signal this listener receives.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

/// Reads every pending byte: `Ok` if there was at least one (the socket is then empty, so the
/// readiness may be cleared), `WouldBlock` if there was none.
fn drain(mut reader: &UnixStream) -> io::Result<()> {
    let mut buf = [0u8; DRAIN_CHUNK];
    let mut got = false;
    loop {
        match reader.read(&mut buf) {
            // The write end lives as long as the action, which outlives every read.
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => got = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && got => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

impl Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        // First the action (and with it the write end): after `unregister` returns no handler
        // runs it, so no byte is sent into a socket that is going away.
        signal_hook_registry::unregister(self.action);
        let _ = self.registration.deregister(&self.reader);
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}
