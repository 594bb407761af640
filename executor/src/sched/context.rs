//! Thread-local state: the worker context of an M's thread (`WorkerCx`), and the runtime a
//! non-worker thread has entered (`block_on`, blocking-pool threads).
//!
//! `WorkerCx` is where a spawn or a wake made on an M lands (ownership step 2, sched/mod.rs):
//! while the M polls, into its spawn buffer; while the M runs the poller or timers, into
//! `collected`; otherwise into the global queue.

use super::m::M;
use super::shared::Shared;
use crate::loom::Arc;
use crate::task::Notified;
use crossbeam_deque::Worker;
use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::ptr;

/// What the M is doing, for routing wakes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// No P (parked, spinning without one, or lost it).
    NoP,
    /// Owns its P and is not inside a poll: its scheduling loop may touch the P's queues
    /// (through the P's token, p.rs); a wake lands on the global queue.
    Owning,
    /// Inside a poll: must not touch the P (ownership step 2).
    Polling,
    /// Running the netpoller or timers: wakes are collected into `WorkerCx::collected` and
    /// injected as one batch (Go's `injectglist`).
    Collecting,
}

/// The thread-local half of an M. Lives on the M thread's stack for the thread's lifetime.
pub(crate) struct WorkerCx {
    pub(crate) shared: Arc<Shared>,
    pub(crate) m: Arc<M>,
    /// Spawns and wakes made during a poll (ownership step 2); `m.buffer` steals from it.
    pub(crate) buffer: Worker<Notified>,
    pub(crate) mode: Cell<Mode>,
    /// The P this M owns.
    pub(crate) p: Cell<Option<usize>>,
    /// The task being polled, woken during its own poll: requeued after the poll.
    pub(crate) requeue: Cell<Option<Notified>>,
    /// The polled task yielded because sysmon preempted it: its requeue goes to the global
    /// tail (Go's `gopreempt_m`) instead of the local one.
    pub(crate) preempted: Cell<bool>,
    /// Whether this M counts in `nmspinning`.
    pub(crate) spinning: Cell<bool>,
    /// xorshift state for the steal order.
    pub(crate) rng: Cell<u64>,
    /// The task the last poll made runnable last, when `runnext` was free: it *is* this P's
    /// `runnext`, held here for the few instructions until `find_runnable` runs it, which
    /// saves the slot's two atomic operations per hand-off (a ping-pong pair pays them on every
    /// message). Only set after a successful `end_poll`, taken at the top of `find_runnable`.
    pub(crate) next: Cell<Option<Notified>>,
    /// Tasks made runnable while in `Mode::Collecting`.
    pub(crate) collected: RefCell<Vec<Notified>>,
    /// Runnable periods this M starts before it samples one for `sched_latency`
    /// (diag/poll.rs).
    pub(crate) sample: Cell<u32>,
    /// A `Handle::enter` guard lives on this thread: the runtime it entered (in `ENTERED`)
    /// is the current one, not this M's.
    pub(crate) entered: Cell<bool>,
}

thread_local! {
    static WORKER: Cell<*const WorkerCx> = const { Cell::new(ptr::null()) };
    static ENTERED: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
    /// How many `enter` guards live on this thread: each guard knows its own depth, so one
    /// dropped out of order is detected.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Installs `cx` as this thread's worker context until the guard drops.
pub(crate) fn set_worker(cx: &WorkerCx) -> impl Drop + '_ {
    WORKER.set(cx as *const WorkerCx);
    Reset(|| WORKER.set(ptr::null()))
}

/// Calls `f` with this thread's worker context, if it is an M.
#[inline]
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerCx>) -> R) -> R {
    let ptr = WORKER.get();
    // SAFETY: `ptr` is null or points to the `WorkerCx` on this thread's stack, installed by
    // `set_worker` whose guard resets it before the context is dropped; it is only used here,
    // on the same thread, for the duration of `f`.
    f(unsafe { ptr.as_ref() })
}

/// Whether this thread is a worker M of any runtime.
pub(crate) fn is_worker() -> bool {
    !WORKER.get().is_null()
}

/// Marks this thread as inside `shared` (block_on, blocking pool, `Handle::enter`) until the
/// guard drops. Guards nest: each restores what was current before it.
pub(crate) fn enter(shared: Arc<Shared>) -> Entered {
    let prev = ENTERED.with(|e| e.replace(Some(shared)));
    let prev_worker_entered = with_worker(|cx| cx.map(|cx| cx.entered.replace(true)));
    let depth = DEPTH.get() + 1;
    DEPTH.set(depth);
    Entered {
        prev,
        prev_worker_entered,
        depth,
        _not_send: PhantomData,
    }
}

/// The guard of [`enter`]: restores the previous context on drop.
///
/// # Panics
/// On drop, when a guard entered after it is still alive (guards dropped out of order),
/// leaving the context as it is: restoring this guard's saved context would undo the newer
/// guard's. While the thread is already panicking it only leaves the context as it is.
/// tokio's rule too.
pub(crate) struct Entered {
    prev: Option<Arc<Shared>>,
    /// The worker's `entered` flag before this guard (`None` off a worker).
    prev_worker_entered: Option<bool>,
    depth: usize,
    /// The guard describes this thread.
    _not_send: PhantomData<*const ()>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        if DEPTH.get() != self.depth {
            if std::thread::panicking() {
                return;
            }
            panic!(
                "gosched: EnterGuard values dropped out of order; guards returned by \
                 Handle::enter / Runtime::enter must be dropped in the reverse order of their \
                 creation"
            );
        }
        DEPTH.set(self.depth - 1);
        let prev = self.prev.take();
        ENTERED.with(|e| *e.borrow_mut() = prev);
        if let Some(flag) = self.prev_worker_entered {
            with_worker(|cx| {
                if let Some(cx) = cx {
                    cx.entered.set(flag);
                }
            });
        }
    }
}

/// The P this thread's M holds in `shared`, if it is one of its Ms and holds one.
pub(crate) fn current_p(shared: &Arc<Shared>) -> Option<usize> {
    with_worker(|cx| {
        cx.filter(|cx| Arc::ptr_eq(&cx.shared, shared))
            .and_then(|cx| cx.p.get())
    })
}

/// Calls `f` with the runtime this thread is inside: its M's, or the one it entered.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Arc<Shared>>) -> R) -> R {
    let ptr = WORKER.get();
    // SAFETY: as in `with_worker`.
    if let Some(cx) = unsafe { ptr.as_ref() } {
        if !cx.entered.get() {
            return f(Some(&cx.shared));
        }
    }
    ENTERED.with(|e| f(e.borrow().as_ref()))
}

/// Runs a closure on drop.
struct Reset<F: FnMut()>(F);

impl<F: FnMut()> Drop for Reset<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

impl WorkerCx {
    /// Next pseudo-random number (xorshift64*), for the steal order.
    pub(crate) fn rand(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn is_spinning(&self) -> bool {
        self.spinning.get()
    }

    pub(crate) fn set_spinning(&self, on: bool) {
        self.spinning.set(on);
        self.m.spinning.store(on, crate::loom::atomic::Ordering::Relaxed);
    }
}
