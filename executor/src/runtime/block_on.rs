//! `block_on`: polls a future on the calling thread, parking it between wakes.

use crate::loom::Arc;
use crate::loom::atomic::{AtomicBool, Ordering};
use crate::sched::{Shared, context};
use crate::time::clock::Holds;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes the thread blocked in `block_on`.
///
/// `busy` is the runtime's auto-advance hold count (time/clock.rs rule 2): a wake takes a hold
/// before it sets `notified`, and `block_on` inherits it when it consumes the flag, so the
/// clock never jumps between a wake and the poll it causes. `done`: `block_on` has returned;
/// a late wake (a clone of the waker left in a channel or a timer) gives its hold back
/// instead of leaving it taken forever (loom model: `tests/loom_clock.rs`).
pub(crate) struct ThreadWaker {
    thread: Thread,
    notified: AtomicBool,
    done: AtomicBool,
    busy: Arc<Holds>,
}

impl Wake for ThreadWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        if self.notify() {
            self.thread.unpark();
        }
    }
}

impl ThreadWaker {
    pub(crate) fn new(busy: Arc<Holds>) -> ThreadWaker {
        ThreadWaker {
            thread: thread::current(),
            notified: AtomicBool::new(false),
            done: AtomicBool::new(false),
            busy,
        }
    }

    /// A wake, but for the unpark: true if the thread must be unparked.
    pub(crate) fn notify(&self) -> bool {
        // The hold (a SeqCst RMW) is visible to the auto-advance checker before the flag is.
        self.busy.hold();
        // A Release RMW: pairs with the Acquire swap in `park`, so the woken thread sees what
        // the waker did before waking it. With `finish`: the two swaps of `notified` are
        // ordered; if `finish`'s came first, this one reads from it and sees `done` below.
        if self.notified.swap(true, Ordering::SeqCst) {
            // An earlier wake holds for the poll this one asks for.
            self.release_hold();
            return false;
        }
        if self.done.load(Ordering::SeqCst) {
            // `block_on` returned: nobody will consume the flag. Exactly one of this swap and
            // the one in `finish` takes it, and lets go of its hold.
            if self.notified.swap(false, Ordering::SeqCst) {
                self.release_hold();
            }
            return false;
        }
        true
    }

    /// `block_on` returns: true if a pending wake's hold is now the caller's to let go.
    pub(crate) fn finish(&self) -> bool {
        self.done.store(true, Ordering::SeqCst);
        self.notified.swap(false, Ordering::SeqCst)
    }

    fn park(&self) {
        // Acquire: pairs with `notify`. `thread::park` may return spuriously; the flag tells
        // a real wake.
        while !self.notified.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }

    /// A waker's hold, let go without breaking the poll (the waker has no runtime at hand;
    /// if this was the last hold, the paused-clock poller notices within its recheck).
    fn release_hold(&self) {
        self.busy.let_go();
    }
}

/// `block_on`'s hold while it polls; on return or unwind it lets go of it and of a pending
/// wake's.
struct Hold<'a> {
    shared: &'a Arc<Shared>,
    waker: &'a ThreadWaker,
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        if self.waker.finish() {
            self.shared.let_go();
        }
        self.shared.let_go();
    }
}

/// Runs `future` to completion on this thread, inside `shared` (so `spawn` works).
///
/// # Panics
/// On a worker thread of any gosched runtime: blocking an M would stall its P.
#[track_caller]
pub(crate) fn block_on<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    assert!(
        !context::is_worker(),
        "gosched: block_on called on a gosched worker thread, which would stall its P; \
         `.await` the future instead, or run it from a plain thread or spawn_blocking"
    );
    let _enter = context::enter(shared.clone());
    let waker_state = std::sync::Arc::new(ThreadWaker::new(shared.time.clock.holds()));
    let waker = Waker::from(waker_state.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    // Holds while the future is polled (time/clock.rs rule 2).
    shared.time.hold();
    let _hold = Hold {
        shared,
        waker: &waker_state,
    };
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        shared.let_go();
        // Returns after a wake, whose hold is now this poll's.
        waker_state.park();
    }
}
