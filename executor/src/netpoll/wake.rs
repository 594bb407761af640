//! The poll break's protocol (Go's `netpollBreak` and `netpollWakeSig`): who may consume the
//! wake-up meant for the M blocked in the poller.
//!
//! The break is an eventfd registered edge-triggered (mio's `Waker`): every write is one edge,
//! and the first `epoll_wait` after it consumes it, whoever calls it. A non-blocking poller
//! (find steps 2 and 5, sysmon) that passed its `blocking` check just before an M set it, and
//! polls just before that M takes the poller's lock, would eat a break meant for that M: with
//! no timer to end its poll, it would block until the next event, and a shutdown's break would
//! be lost the same way (the runtime's drop hangs joining it).
//!
//! So the break has a second, sticky half, `pending`, that only a *blocking* poll consumes:
//! 1. The breaker sets `pending` (SeqCst swap); if it was set already, a write is outstanding
//!    and it is done (Go's CAS on `netpollWakeSig`). Otherwise it writes the eventfd.
//! 2. A blocking poller, holding the poller's lock (which every `epoll_wait` holds), clears
//!    `pending` before it sleeps (SeqCst swap); if it was set, it polls without blocking.
//! 3. A blocking poll that reports the break clears `pending` too (Go's `netpollWakeSig.Store(0)`
//!    after reading the eventfd).
//!
//! Either step 2 sees the breaker's step 1, or the breaker's write comes after step 2, while
//! the blocking poller holds the lock, so no non-blocking poll can consume the edge before the
//! blocking `epoll_wait` does. A break consumed by a non-blocking poll leaves `pending` set for
//! the next blocking poll; a break with nobody blocked makes the next blocking poll return at
//! once (as before). The loom model `loom_netpoll_break_reaches_the_blocking_poller`
//! (tests/loom_break.rs) checks it against a broken twin without step 2.

use crate::loom::atomic::{AtomicBool, Ordering};

/// The sticky half of the poll break (module header).
pub(crate) struct BreakSignal {
    /// A break was requested and no blocking poll has consumed it yet.
    pending: AtomicBool,
}

impl BreakSignal {
    pub(crate) fn new() -> BreakSignal {
        BreakSignal {
            pending: AtomicBool::new(false),
        }
    }

    /// Step 1, the breaker's: true if the caller must write the eventfd (no break is
    /// outstanding).
    pub(crate) fn request(&self) -> bool {
        // SeqCst: pairs with `before_block`'s swap (module header).
        !self.pending.swap(true, Ordering::SeqCst)
    }

    /// Step 2, a blocking poller's, under the poller's lock: true if a break is pending (the
    /// caller polls without blocking). Consumes it.
    pub(crate) fn before_block(&self) -> bool {
        self.pending.swap(false, Ordering::SeqCst)
    }

    /// Step 3: a blocking poll reported the break.
    pub(crate) fn woken(&self) {
        self.pending.store(false, Ordering::SeqCst);
    }
}
