//! The cooperative budget: each poll starts with `INITIAL_BUDGET` units; every gosched
//! resource spends one, and at zero it wakes the task and returns `Pending`. sysmon delivers a
//! preemption request by setting the M's `preempt` flag (`PView::request_preempt`,
//! `PView::retake`: sched/p.rs), which makes the budget read as zero.

use crate::loom::atomic::{AtomicBool, Ordering};
use std::cell::Cell;
use std::ptr;
use std::task::{Context, Poll};

/// Units per poll; tokio's value, chosen there by benchmarking.
pub(crate) const INITIAL_BUDGET: u8 = 128;

thread_local! {
    /// `None` outside a worker poll: unconstrained (block_on, blocking threads).
    static BUDGET: Cell<Option<u8>> = const { Cell::new(None) };
    /// The polling M's preempt flag.
    static PREEMPT: Cell<*const AtomicBool> = const { Cell::new(ptr::null()) };
}

/// Starts a poll on a worker: a full budget, and `preempt` (the M's flag) cleared and watched.
pub(crate) fn reset(preempt: &AtomicBool) {
    BUDGET.set(Some(INITIAL_BUDGET));
    // Relaxed: sysmon's request is advisory; a late one is seen at the next check.
    preempt.store(false, Ordering::Relaxed);
    PREEMPT.set(preempt as *const AtomicBool);
}

/// Starts a poll on a pinned thread (`task::spawn_pinned`): a full budget, and no preempt flag
/// to watch (no M runs there and sysmon never preempts it). Returns a guard that makes the
/// thread unconstrained again after the poll.
pub(crate) fn reset_pinned() -> impl Drop {
    BUDGET.set(Some(INITIAL_BUDGET));
    PREEMPT.set(ptr::null());
    Unconstrained
}

/// Restores "no budget" (outside a poll) on drop.
struct Unconstrained;

impl Drop for Unconstrained {
    fn drop(&mut self) {
        BUDGET.set(None);
    }
}

/// Whether sysmon asked the polling task to yield.
fn preempt_requested() -> bool {
    let p = PREEMPT.get();
    // SAFETY: set by `reset` to the flag of this thread's M, which lives as long as the runtime;
    // `reset` is only called on worker threads, which never outlive their runtime's Ms.
    !p.is_null() && unsafe { &*p }.load(Ordering::Relaxed)
}

/// Spends one unit; `Pending` (after waking the task) when none is left.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    let Some(left) = BUDGET.get() else {
        return Poll::Ready(());
    };
    if left == 0 || preempt_requested() {
        if left != 0 {
            // A preemption: the task goes to the global queue, like Go's `gopreempt_m`.
            BUDGET.set(Some(0));
            crate::sched::note_preempted();
        }
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    BUDGET.set(Some(left - 1));
    Poll::Ready(())
}

/// Whether the current poll still has budget (for resources that check before doing work).
pub fn has_budget_remaining() -> bool {
    BUDGET.get().is_none_or(|b| b > 0)
}
