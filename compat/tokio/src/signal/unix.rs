//! `tokio::signal::unix`: [`signal`], [`Signal`], [`SignalKind`].

use std::io;
use std::os::raw::c_int;

pub use gosched_executor::signal::unix::Signal;

/// Listens for signals of `kind` on the current runtime (gosched's signal listener).
///
/// # Errors
/// `InvalidInput` for signals that cannot be caught (SIGKILL, SIGSTOP) or that gosched
/// refuses (SIGSEGV, SIGBUS, SIGILL, SIGFPE), and for numbers out of range.
///
/// # Panics
/// Outside a runtime.
///
/// # Examples
/// ```
/// use tokio::signal::unix::{SignalKind, signal};
///
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
///     // SAFETY: raising a signal this process now listens for.
///     unsafe { libc::raise(libc::SIGUSR1) };
///     assert_eq!(usr1.recv().await, Some(()));
/// });
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    gosched_executor::signal::unix::signal(gosched_executor::signal::unix::SignalKind::from_raw(kind.0))
}

/// A kind of Unix signal (tokio's `SignalKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(c_int);

impl SignalKind {
    /// The signal numbered `signum`.
    pub const fn from_raw(signum: c_int) -> Self {
        SignalKind(signum)
    }

    /// This kind's signal number.
    pub const fn as_raw_value(&self) -> c_int {
        self.0
    }

    /// SIGALRM.
    pub const fn alarm() -> Self {
        SignalKind(libc::SIGALRM)
    }

    /// SIGCHLD.
    pub const fn child() -> Self {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGHUP.
    pub const fn hangup() -> Self {
        SignalKind(libc::SIGHUP)
    }

    /// SIGINT.
    pub const fn interrupt() -> Self {
        SignalKind(libc::SIGINT)
    }

    /// SIGIO.
    pub const fn io() -> Self {
        SignalKind(libc::SIGIO)
    }

    /// SIGPIPE.
    pub const fn pipe() -> Self {
        SignalKind(libc::SIGPIPE)
    }

    /// SIGQUIT.
    pub const fn quit() -> Self {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGTERM.
    pub const fn terminate() -> Self {
        SignalKind(libc::SIGTERM)
    }

    /// SIGUSR1.
    pub const fn user_defined1() -> Self {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2.
    pub const fn user_defined2() -> Self {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGWINCH.
    pub const fn window_change() -> Self {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<c_int> for SignalKind {
    fn from(signum: c_int) -> Self {
        SignalKind(signum)
    }
}

impl From<SignalKind> for c_int {
    fn from(kind: SignalKind) -> Self {
        kind.0
    }
}
