//! Asynchronous signal handling: `ctrl_c()` and `unix::signal(kind)` (tokio's shape).
//!
//! # How a signal reaches a task
//! Each listener ([`unix::Signal`]) owns a Unix socket pair. Creating it (1) registers the read
//! end with the runtime's netpoller and (2) adds an *action* for the signal with
//! `signal-hook-registry`, which owns the process's real `sigaction` handler and runs every
//! action registered for a signal, in the handler, in registration order. The action does one
//! async-signal-safe thing: it `send`s one byte into the write end (`MSG_DONTWAIT`: when the
//! socket buffer is full the byte is dropped, which is fine, a byte is already waiting). The
//! byte makes the read end readable, the poller wakes the task parked in
//! [`recv`](unix::Signal::recv), and `recv` drains every byte before it returns one `()`.
//!
//! So:
//! - a signal that arrives after `signal()` returned is never lost: its byte waits in the
//!   socket until the next `recv`;
//! - several signals before a `recv` may give one `()` (delivery is coalesced per listener);
//! - every listener of a signal is woken, each by its own byte;
//! - nothing runs on a thread of its own: an idle runtime sleeps in the poller and the byte
//!   wakes it, as it would for a socket.
//!
//! A listener costs two file descriptors and one poller registration; creating one takes
//! signal-hook-registry's global lock (it copies its table of actions), so create listeners at
//! start-up, not per request.
//!
//! Dropping a listener removes its action (`signal_hook_registry::unregister` waits until no
//! handler still runs it) and then closes its sockets; bytes still pending go with them.
//!
//! # Default dispositions
//! As with tokio, once a listener has been created for a signal, gosched's handler stays
//! installed for the rest of the process: dropping every listener of `SIGINT` does not bring
//! back "terminate on Ctrl-C", the signal is then ignored. A service that wants the default
//! back keeps a listener and exits itself.
//!
//! # Examples
//! ```
//! use gosched::signal::unix::{SignalKind, signal};
//!
//! let rt = gosched::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
//!     // SAFETY (of this example): a listener for SIGUSR1 is installed, so raising it does
//!     // not take the default action (terminate).
//!     unsafe { libc::raise(libc::SIGUSR1) };
//!     assert_eq!(usr1.recv().await, Some(()));
//! });
//! ```

pub mod unix;

use std::io;

/// Waits for the next `SIGINT` (Ctrl-C) that arrives after this future is first polled.
///
/// The listener is created at the first poll and dropped when the future is, so a program that
/// never awaits `ctrl_c()` keeps the default Ctrl-C behaviour. After the first listener for
/// `SIGINT`, the process no longer terminates on it by default (see the [module
/// docs](self#default-dispositions)).
///
/// # Errors
/// When the handler cannot be installed, or the runtime shuts down before the signal arrives.
///
/// # Panics
/// When first polled outside a gosched runtime.
///
/// # Examples
/// ```no_run
/// # let rt = gosched::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// gosched::signal::ctrl_c().await.unwrap();
/// println!("Ctrl-C: shutting down");
/// # });
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut listener = unix::signal(unix::SignalKind::interrupt())?;
    match listener.recv().await {
        Some(()) => Ok(()),
        None => Err(io::Error::other(
            "gosched: the runtime shut down while ctrl_c() was waiting for SIGINT",
        )),
    }
}
