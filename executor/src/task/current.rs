//! The task being polled on this thread (for `task::id()`), and why a task waits (the
//! wait-reason codes it records).

use super::raw::Header;
use std::cell::Cell;
use std::ptr::NonNull;

/// Wait-reason codes kept in `Header::wait` (see `runtime::WaitReason`).
pub(crate) const WAIT_OTHER: u8 = 0;
pub(crate) const WAIT_IO_READ: u8 = 1;
pub(crate) const WAIT_IO_WRITE: u8 = 2;
pub(crate) const WAIT_SLEEP: u8 = 3;
pub(crate) const WAIT_JOIN: u8 = 4;
pub(crate) const WAIT_YIELD: u8 = 5;
/// Yielded at a preemption request (shown as `TaskState::Preempted` while runnable).
pub(crate) const WAIT_PREEMPTED: u8 = 6;

thread_local! {
    static CURRENT: Cell<Option<NonNull<Header>>> = const { Cell::new(None) };
}

/// Marks `header` as the task being polled until the guard drops (restoring the previous one).
pub(crate) fn enter(header: NonNull<Header>) -> impl Drop {
    let prev = CURRENT.replace(Some(header));
    Restore(prev)
}

struct Restore(Option<NonNull<Header>>);

impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.set(self.0);
    }
}

/// Calls `f` with the header of the task being polled, if any.
pub(crate) fn current_header<R>(f: impl FnOnce(Option<&Header>) -> R) -> R {
    // SAFETY: the pointer is set only for the duration of a poll by the harness, which holds a
    // reference to the task (so it is alive), and only this thread reads it.
    f(CURRENT.get().map(|p| unsafe { p.as_ref() }))
}

/// Records why the current task is about to return `Pending` (no-op outside a task).
pub(crate) fn set_current_wait(code: u8) {
    current_header(|h| {
        if let Some(h) = h {
            h.set_wait(code);
        }
    });
}
