//! The task waker: its data pointer is the task's header, and one vtable serves every task
//! (the typed work goes through `Header::vtable`).
//!
//! Every `Waker` made here owns one reference, except the borrowed one the harness makes for a
//! poll (`waker_ref`), which lives in a `ManuallyDrop` and is never dropped.

use super::raw::{Header, RawTask};
use super::state::TransitionToNotified;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static WAKER_VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker for the task at `ptr` that does not own a reference.
///
/// # Safety
/// `ptr` is a live task's header, kept alive by the caller for as long as the waker is used,
/// and the returned waker must not be dropped (wrap it in `ManuallyDrop`). Clones are normal.
pub(super) unsafe fn waker_ref(ptr: NonNull<Header>) -> Waker {
    // SAFETY: the vtable's functions uphold the `RawWaker` contract for a task header pointer.
    unsafe { Waker::from_raw(RawWaker::new(ptr.as_ptr() as *const (), &WAKER_VTABLE)) }
}

/// # Safety
/// `data` is a live task's header (the waker being used holds or borrows a reference).
unsafe fn raw(data: *const ()) -> RawTask {
    // SAFETY: from the caller; a waker's data pointer is never null.
    unsafe { RawTask::from_raw(NonNull::new_unchecked(data as *mut Header)) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` comes from a live waker.
    let task = unsafe { raw(data) };
    task.ref_inc();
    RawWaker::new(data, &WAKER_VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `data` comes from a live waker that owns a reference, consumed here.
    let task = unsafe { raw(data) };
    match task.header().state.transition_to_notified_by_val() {
        // SAFETY: the waker's reference moved into the new entry.
        TransitionToNotified::Submit => unsafe { task.schedule() },
        // SAFETY: the waker's reference was the last.
        TransitionToNotified::Dealloc => unsafe { (task.header().vtable.dealloc)(task.header_ptr()) },
        TransitionToNotified::DoNothing => {}
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` comes from a live waker.
    let task = unsafe { raw(data) };
    if task.header().state.transition_to_notified_by_ref() == TransitionToNotified::Submit {
        // SAFETY: the transition added a reference for the new entry.
        unsafe { task.schedule() }
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: `data` comes from a live waker that owns a reference, dropped here.
    unsafe { raw(data).drop_reference() }
}
