//! [`Link`]: what a run queue (sched/runq.rs, sched/global.rs) needs of the items it holds,
//! a task reference as one pointer. The task owns the conversion (`Notified`'s impl is in
//! raw.rs); the queues are generic over it, so they depend on nothing else of the task, and the
//! loom models fill them with plain boxes.

use std::ptr::NonNull;

/// An owned pointer-sized item that can live in a run queue's ring (a task reference).
pub(crate) trait Link: Sized {
    fn into_ptr(self) -> NonNull<()>;
    /// # Safety
    /// `ptr` came from `into_ptr` and ownership is transferred back exactly once.
    unsafe fn from_ptr(ptr: NonNull<()>) -> Self;
}
