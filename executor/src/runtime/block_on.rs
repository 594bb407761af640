//! `block_on`: polls a future on the calling thread, parking it between wakes.

use crate::loom::Arc;
use crate::sched::{Shared, context};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes the thread blocked in `block_on`.
///
/// `busy` is the runtime's auto-advance hold count (clock.rs rule 2): a wake takes a hold
/// before it sets `notified`, and `block_on` inherits it when it consumes the flag, so the
/// clock never jumps between a wake and the poll it causes.
struct ThreadWaker {
    thread: Thread,
    notified: AtomicBool,
    busy: crate::loom::Arc<crate::loom::atomic::AtomicUsize>,
}

impl Wake for ThreadWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        // Release: pairs with the Acquire swap in `park`, so the woken thread sees what the
        // waker did before waking it.
        // SeqCst: the hold is visible to the auto-advance checker before the flag is.
        self.busy.fetch_add(1, crate::loom::atomic::Ordering::SeqCst);
        if !self.notified.swap(true, Ordering::Release) {
            self.thread.unpark();
        } else {
            // Someone else's wake got there first and holds for it: the count stays above 0.
            self.busy.fetch_sub(1, crate::loom::atomic::Ordering::SeqCst);
        }
    }
}

impl ThreadWaker {
    fn park(&self) {
        // Acquire: pairs with `wake_by_ref`. `thread::park` may return spuriously; the flag
        // tells a real wake.
        while !self.notified.swap(false, Ordering::Acquire) {
            thread::park();
        }
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
    let waker_state = std::sync::Arc::new(ThreadWaker {
        thread: thread::current(),
        notified: AtomicBool::new(false),
        busy: shared.clock.busy_counter(),
    });
    let waker = Waker::from(waker_state.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    // Holds while the future is polled (clock.rs rule 2); let go on return and on panic.
    let _hold = Hold(shared);
    shared.hold();
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        shared.let_go();
        // Returns after a wake, whose hold is now this poll's.
        waker_state.park();
    }
}

/// Lets go of `block_on`'s hold when it returns or unwinds.
struct Hold<'a>(&'a Arc<Shared>);

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        self.0.let_go();
    }
}
