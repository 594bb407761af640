//! The cooperative budget (tokio's `task::coop`): each poll of a task starts with 128 units;
//! every gosched resource (sockets, timers, `JoinHandle`s, channels built on them) spends one,
//! and at zero it wakes the task and returns `Pending`, so a task that always finds its
//! resources ready still gives its P back. sysmon delivers a preemption request by naming the
//! poll in the M's `preempt` word (`PView::request_preempt`, `PView::retake`: sched/p.rs), which
//! makes that poll's budget read as zero. What else a preemption does on that M (the task's
//! requeue to the global tail, the count, the trace event) is the scheduler's: it installs it
//! when the M's thread starts (`set_preempt_hook`), so the budget does not name the scheduler.
//!
//! Outside a task's poll (in `block_on`'s own future, on blocking threads) there is no budget:
//! everything proceeds. [`unconstrained`] makes a future's polls budget-free the same way.
//!
//! For hand-written leaf futures: call [`poll_proceed`] before doing work, and
//! [`RestoreOnPending::made_progress`] once the work was done; a poll that returns `Pending`
//! without it gives the unit back.
//!
//! # Examples
//! ```
//! use gosched::task::coop;
//!
//! let rt = gosched::runtime::Runtime::new().unwrap();
//! rt.block_on(rt.spawn(async {
//!     for _ in 0..1_000 {
//!         coop::consume_budget().await; // yields once per 128 units
//!     }
//!     assert!(coop::has_budget_remaining());
//! }))
//! .unwrap();
//! ```

mod leaf;
mod unconstrained;

pub use leaf::{RestoreOnPending, consume_budget, poll_proceed};
pub use unconstrained::{Unconstrained, unconstrained};

use crate::loom::atomic::{AtomicU64, Ordering};
use std::cell::Cell;
use std::ptr;
use std::task::{Context, Poll};

/// Units per poll; tokio's value, chosen there by benchmarking.
pub(crate) const INITIAL_BUDGET: u8 = 128;

/// This thread's budget: one thread-local, so a poll's start and each spend are one access.
#[derive(Clone, Copy)]
struct Budget {
    /// `None` outside a worker poll: unconstrained (block_on, blocking threads).
    left: Option<u8>,
    /// The polling M's preempt request (null on a pinned thread): the identity of the poll
    /// sysmon asks to yield (sched/m.rs).
    preempt: *const AtomicU64,
    /// This poll's identity (`sched::p::poll_id`): a request naming another poll is stale.
    poll: u64,
}

thread_local! {
    static BUDGET: Cell<Budget> = const {
        Cell::new(Budget {
            left: None,
            preempt: ptr::null(),
            poll: 0,
        })
    };
}

/// Starts poll `poll` (its identity, `sched::p::poll_id`) on a worker: a full budget, and
/// `preempt` (the M's request) watched for a request naming this poll. Nothing to clear: a
/// request left over from an earlier poll names that poll.
#[inline]
pub(crate) fn reset(preempt: &AtomicU64, poll: u64) {
    BUDGET.set(Budget {
        left: Some(INITIAL_BUDGET),
        preempt,
        poll,
    });
}

/// Starts a poll on a pinned thread (`task::spawn_pinned`): a full budget, and no preempt flag
/// to watch (no M runs there and sysmon never preempts it). Returns a guard that makes the
/// thread unconstrained again after the poll.
pub(crate) fn reset_pinned() -> impl Drop {
    BUDGET.set(Budget {
        left: Some(INITIAL_BUDGET),
        preempt: ptr::null(),
        poll: 0,
    });
    ClearOnDrop
}

/// Restores "no budget" (outside a poll) on drop.
struct ClearOnDrop;

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        BUDGET.set(Budget {
            left: None,
            preempt: ptr::null(),
            poll: 0,
        });
    }
}

thread_local! {
    /// What a preemption does besides ending the budget: set once on an M's thread by the
    /// scheduler (`sched::p::note_preempted`); `None` elsewhere, where nothing is preempted.
    static ON_PREEMPT: Cell<Option<fn()>> = const { Cell::new(None) };
}

/// Installs what a preemption of a poll on this thread does besides ending its budget (the
/// scheduler's M, at its thread's start).
pub(crate) fn set_preempt_hook(hook: fn()) {
    ON_PREEMPT.set(Some(hook));
}

/// Whether sysmon asked the polling task to yield: its request names this poll.
fn preempt_requested(b: Budget) -> bool {
    // SAFETY: set by `reset` to the request word of this thread's M, which lives as long as the
    // runtime; `reset` is only called on worker threads, which never outlive their runtime's
    // Ms.
    // Relaxed: sysmon's request is advisory; a late one is seen at the next check.
    !b.preempt.is_null() && unsafe { &*b.preempt }.load(Ordering::Relaxed) == b.poll
}

/// Spends one unit; `Pending` (after waking the task) when none is left.
pub(crate) fn spend(cx: &mut Context<'_>) -> Poll<()> {
    let b = BUDGET.get();
    let Some(left) = b.left else {
        return Poll::Ready(());
    };
    if left == 0 || preempt_requested(b) {
        if left != 0 {
            // A preemption: the task goes to the global queue, like Go's `gopreempt_m`.
            BUDGET.set(Budget { left: Some(0), ..b });
            if let Some(hook) = ON_PREEMPT.get() {
                hook();
            }
        }
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    BUDGET.set(Budget {
        left: Some(left - 1),
        ..b
    });
    Poll::Ready(())
}

/// Whether the current poll still has budget (for resources that check before doing work):
/// false once it is spent or sysmon asked this poll to yield, as `poll_proceed` decides;
/// `true` outside a task's poll and inside [`unconstrained`].
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     // block_on's own future is not a task: no budget, nothing to run out of.
///     assert!(gosched::task::coop::has_budget_remaining());
/// });
/// ```
pub fn has_budget_remaining() -> bool {
    let b = BUDGET.get();
    b.left.is_none_or(|left| left > 0 && !preempt_requested(b))
}
