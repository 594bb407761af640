//! [`Schedule`]: the one seam between a task and whatever runs it (the runtime's `Shared`, a
//! pinned thread's queue, the blocking pool). The task calls it on a wake, a yield, its
//! completion and a cancellation; it never names the scheduler otherwise.

use super::raw::{Header, Notified, Task};

/// What a task's runtime does with it; implemented by the runtime's `Shared` and by the
/// blocking pool.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// A wake: run `task` at some point.
    fn schedule(&self, task: Notified);
    /// `task` was woken during its own poll, which just returned: requeue it.
    fn yield_now(&self, task: Notified);
    /// `task` completed: take it out of the registry, returning the registry's reference.
    fn release(&self, task: &Header) -> Option<Task>;
    /// The task's future must stay on the thread this scheduler runs it on (a pinned task):
    /// runtime shutdown then sends that thread a cancel instead of dropping the future on the
    /// thread that shuts down.
    const PINNED: bool = false;
    /// Whether the runtime this scheduler belongs to has begun its shutdown: a task cancelled
    /// now completes with the "runtime shut down" error, whoever cancelled it.
    fn is_shut_down(&self) -> bool {
        false
    }
}
