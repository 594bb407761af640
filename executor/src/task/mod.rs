//! The G: tasks, their handles, and the task-level functions of the public API
//! (`yield_now`, `consume_budget`, `id`, `spawn_pinned`, `spawn_local`), plus the structured
//! helpers built on them (`JoinSet`, `task_local!`).
//!
//! Files: `state.rs` (the atomic state word), `raw.rs` (the allocation and its vtable),
//! `harness.rs` (poll, complete, cancel), `waker.rs`, `join.rs` (JoinHandle, AbortHandle,
//! JoinError), `id.rs`, `registry.rs` (every live task), `current.rs` (the task being polled, its wait reason), `schedule.rs` (`Schedule`, the seam
//! between a task and the runtime that runs it),
//! `join_set.rs` (JoinSet), `task_local.rs` (task_local!, LocalKey), `coop.rs` (the
//! cooperative budget, public as `task::coop`), `link.rs` (`Link`, the conversion of a task
//! reference to the pointer a run queue stores: sched/runq.rs uses it). Pinned tasks
//! (`spawn_pinned`, `spawn_local`: Go's `LockOSThread`) run on threads of their own, a kind of
//! M, so they live with the Ms in sched/pinned.rs and are re-exported here.

pub mod coop;
mod current;
mod harness;
mod id;
mod join;
mod join_set;
pub(crate) mod link;
mod raw;
mod registry;
mod schedule;
mod state;
mod task_local;
mod waker;

pub use crate::sched::pinned::{spawn_local, spawn_pinned};
pub use id::Id;
pub use join::{AbortHandle, JoinError, JoinHandle};
pub use join_set::JoinSet;
pub use task_local::{AccessError, LocalKey};

pub(crate) use current::{
    WAIT_IO_READ, WAIT_IO_WRITE, WAIT_JOIN, WAIT_OTHER, WAIT_PREEMPTED, WAIT_SLEEP, WAIT_YIELD,
    current_header, set_current_wait,
};
pub(crate) use raw::{
    Header, Notified, RawTask, SpawnMeta, Task, WAIT_SYSCALL, new_pinned_task, new_task,
    new_unregistered_task,
};
pub(crate) use registry::Registry;
pub(crate) use schedule::Schedule;
pub(crate) use state::TransitionToNotified;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The id of the task being polled.
///
/// # Panics
/// Outside a task (for example in `block_on`'s own future, which is not a task).
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let handle = rt.spawn(async { gosched::task::id() });
/// let id = handle.id();
/// assert_eq!(rt.block_on(handle).unwrap(), id);
/// ```
#[track_caller]
pub fn id() -> Id {
    try_id().expect("gosched::task::id() called outside a task; use task::try_id() where there may be none")
}

/// The id of the task being polled, or `None` outside a task.
pub fn try_id() -> Option<Id> {
    current_header(|h| h.map(|h| h.id))
}

/// Gives the P to other tasks, like Go's `runtime.Gosched`: the task goes to the tail of its
/// P's local queue, where idle threads can steal it and sysmon sees it, and runs again after
/// what is queued there (the global queue is still read every 61st tick and whenever the local
/// queue is empty). Go puts it on the global tail; the local tail keeps the task on its core
/// and its queue's order. In a pinned task
/// ([`spawn_pinned`]) it goes to the tail of its thread's own queue.
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(rt.spawn(async {
///     for _ in 0..3 {
///         gosched::task::yield_now().await;
///     }
/// }))
/// .unwrap();
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        set_current_wait(WAIT_YIELD);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

pub use crate::{block_in_place, spawn, spawn_blocking, task_local};
pub use coop::consume_budget;
