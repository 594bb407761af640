//! The typed half of the raw task: the vtable functions for one `(F, S)`.
//!
//! Reference accounting, per entry point:
//! - `poll` consumes the `Notified`'s reference (or hands it back to the scheduler when the
//!   task was woken during its poll);
//! - `shutdown` consumes the registry's reference;
//! - `complete` releases the task from the registry and drops that reference too.

use super::current::{self, WAIT_OTHER};
use super::join::JoinError;
use super::raw::Notified;
use super::raw::{Cell, Header, RawTask, Stage, Vtable};
use super::schedule::Schedule;
use super::state::{TransitionToIdle, TransitionToNotified, TransitionToRunning};
use crate::loom::atomic::Ordering;
use std::any::Any;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

/// The vtable for tasks with future `F` and scheduler `S`.
pub(super) fn vtable<F: Future, S: Schedule>() -> &'static Vtable {
    // A `const` item in a generic fn is promoted to one static per monomorphisation.
    const {
        &Vtable {
            poll: poll::<F, S>,
            schedule: schedule::<F, S>,
            dealloc: dealloc::<F, S>,
            try_read_output: try_read_output::<F, S>,
            drop_join_handle_slow: drop_join_handle_slow::<F, S>,
            shutdown: shutdown::<F, S>,
        }
    }
}

/// Typed access to a task's cell.
struct Harness<F: Future, S> {
    cell: NonNull<Cell<F, S>>,
}

impl<F: Future, S: Schedule> Harness<F, S> {
    /// # Safety
    /// `ptr` is the header of a live `Cell<F, S>`.
    unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Harness { cell: ptr.cast() }
    }

    fn cell(&self) -> &Cell<F, S> {
        // SAFETY: the caller of `from_raw` holds a reference, which keeps the cell alive.
        unsafe { self.cell.as_ref() }
    }

    fn header(&self) -> &Header {
        &self.cell().header
    }

    fn raw(&self) -> RawTask {
        // SAFETY: the header of a live task.
        unsafe { RawTask::from_raw(self.cell.cast()) }
    }

    /// Replaces the stage.
    ///
    /// # Safety
    /// The caller holds `RUNNING`, or it is the `JoinHandle` and the task is `COMPLETE`, or it
    /// is the last reference: nobody else can touch the stage.
    unsafe fn set_stage(&self, stage: Stage<F>) {
        // SAFETY: exclusive access, from the caller. The old stage's destructor (the future or
        // the output) runs here and may panic; callers wrap this in `catch_unwind`.
        self.cell().stage.with_mut(|ptr| unsafe { *ptr = stage });
    }

    /// Polls once: `RUNNING` -> poll -> idle, complete or requeue.
    fn poll(self) {
        match self.header().state.transition_to_running() {
            TransitionToRunning::Success => {}
            TransitionToRunning::Cancelled => return self.cancel_and_complete(false),
            TransitionToRunning::Failed => return,
            // SAFETY: the transition dropped the last reference.
            TransitionToRunning::Dealloc => return unsafe { dealloc::<F, S>(self.cell.cast()) },
        }
        let header = self.header();
        // Relaxed: only the RUNNING holder writes `polls`; `dump()` reads a diagnostic value.
        let polls = header.polls.load(Ordering::Relaxed);
        header.polls.store(polls.wrapping_add(1), Ordering::Relaxed);
        header.set_wait(WAIT_OTHER);
        match self.poll_future() {
            Poll::Ready(()) => self.complete(),
            Poll::Pending => match header.state.transition_to_idle() {
                // SAFETY: the `Notified` this poll ran with owned this reference.
                TransitionToIdle::Ok => unsafe { self.raw().drop_reference() },
                TransitionToIdle::OkNotified => {
                    // SAFETY: the poll's reference moves into the new entry; NOTIFIED is set.
                    let task = unsafe { Notified::from_raw(self.cell.cast()) };
                    self.cell().scheduler.yield_now(task);
                }
                TransitionToIdle::Cancelled => self.cancel_and_complete(false),
            },
        }
    }

    /// Polls the future, storing the output (or the panic) when it finishes.
    fn poll_future(&self) -> Poll<()> {
        let header_ptr = self.cell.cast::<Header>();
        // A borrowed waker: it does not own a reference, so it must not be dropped.
        // SAFETY: the data pointer is this task's header and the vtable is the task waker's.
        let waker = ManuallyDrop::new(unsafe { super::waker::waker_ref(header_ptr) });
        let _current = current::enter(header_ptr);
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            let mut cx = Context::from_waker(&waker);
            self.cell().stage.with_mut(|ptr| {
                // SAFETY: we hold RUNNING, so the stage is ours; the future is never moved
                // out of the cell while `Running`, so pinning it in place is sound.
                match unsafe { &mut *ptr } {
                    Stage::Running(future) => {
                        // SAFETY: as above, the future stays in the cell until it is dropped.
                        unsafe { Pin::new_unchecked(future) }.poll(&mut cx)
                    }
                    _ => unreachable!("polled a task that is not running"),
                }
            })
        }));
        let output = match result {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(panic) => Err(JoinError::panic(self.header().id, panic)),
        };
        self.store_output(output);
        Poll::Ready(())
    }

    /// Drops the future and stores `output`. Caller holds `RUNNING`.
    fn store_output(&self, output: Result<F::Output, JoinError>) {
        // Drop the future first (it may panic), then store the output.
        // SAFETY: we hold RUNNING.
        let dropped = panic::catch_unwind(AssertUnwindSafe(|| unsafe { self.set_stage(Stage::Consumed) }));
        let output = match dropped {
            Ok(()) => output,
            Err(panic) => {
                drop_payload(output.err().and_then(|e| e.try_into_panic().ok()));
                Err(JoinError::panic(self.header().id, panic))
            }
        };
        // SAFETY: we hold RUNNING; the stage is `Consumed`, whose drop cannot panic.
        unsafe { self.set_stage(Stage::Finished(output)) };
    }

    /// Whether a cancellation seen now is the runtime's shutdown (every handle of a task the
    /// shutdown cancelled says so, also a pinned task's, cancelled on its own thread,
    /// and one whose poll outlived `shutdown_timeout`).
    fn shutting_down(&self) -> bool {
        self.cell().scheduler.is_shut_down()
    }

    /// Drops the future of a cancelled task and completes it with a cancelled error (saying
    /// the runtime shut down, when `shut_down` or when the runtime has begun its shutdown).
    fn cancel_and_complete(self, shut_down: bool) {
        let id = self.header().id;
        let err = if shut_down || self.shutting_down() {
            JoinError::shut_down(id)
        } else {
            JoinError::cancelled(id)
        };
        self.store_output(Err(err));
        self.complete();
    }

    /// Releases the task from the registry; `RUNNING` -> `COMPLETE`; tells the `JoinHandle`.
    /// Consumes the reference the caller ran with.
    fn complete(self) {
        // Leave the registry before `COMPLETE` is visible, so a task that was joined is no
        // longer counted as live (`live_tasks`, leak checks): a `JoinHandle` polled for another
        // reason may see `COMPLETE` and return before `notify_join` runs.
        let released = self.cell().scheduler.release(self.header());
        let snapshot = self.header().state.transition_to_complete();
        let _ = panic::catch_unwind(AssertUnwindSafe(|| self.notify_join(snapshot)));
        let last = match released {
            Some(task) => {
                let _ = task.into_raw();
                self.header().state.ref_dec_twice()
            }
            None => self.header().state.ref_dec(),
        };
        if last {
            // SAFETY: that was the last reference.
            unsafe { dealloc::<F, S>(self.cell.cast()) };
        }
    }

    /// After `COMPLETE`: drop the output if nobody wants it, else wake the `JoinHandle`.
    fn notify_join(&self, snapshot: super::state::Snapshot) {
        if !snapshot.is_join_interested() {
            // SAFETY: COMPLETE without JOIN_INTEREST: the handle is gone, the stage is ours.
            unsafe { self.set_stage(Stage::Consumed) };
            return;
        }
        if !snapshot.is_join_waker_set() {
            return;
        }
        self.header().join_waker.with(|ptr| {
            // SAFETY: JOIN_WAKER is set, so the handle does not write the slot.
            if let Some(waker) = unsafe { &*ptr } {
                waker.wake_by_ref();
            }
        });
        let after = self.header().state.unset_join_waker_after_complete();
        if !after.is_join_interested() {
            // The handle was dropped meanwhile and left the waker to us.
            // SAFETY: JOIN_WAKER was ours and the handle is gone.
            self.header().join_waker.with_mut(|ptr| unsafe { (*ptr).take() });
        }
    }

    /// Whether the output can be read; if not, stores `waker` to be woken on completion.
    fn can_read_output(&self, waker: &Waker) -> bool {
        let state = &self.header().state;
        let snapshot = state.load();
        if snapshot.is_complete() {
            return true;
        }
        if snapshot.is_join_waker_set() {
            let same = self.header().join_waker.with(|ptr| {
                // SAFETY: JOIN_WAKER is set: the runtime may read the slot, nobody writes it.
                unsafe { &*ptr }.as_ref().is_some_and(|w| w.will_wake(waker))
            });
            if same {
                return false;
            }
            if state.unset_join_waker().is_err() {
                return true;
            }
        }
        // JOIN_WAKER is unset: the slot is the handle's to write.
        // SAFETY: as just said; the runtime only reads it after JOIN_WAKER is set below.
        self.header()
            .join_waker
            .with_mut(|ptr| unsafe { *ptr = Some(waker.clone()) });
        match state.set_join_waker() {
            Ok(_) => false,
            Err(_) => {
                // Completed meanwhile: take the waker back and read the output.
                // SAFETY: JOIN_WAKER was never set, so the slot is still the handle's.
                self.header().join_waker.with_mut(|ptr| unsafe { (*ptr).take() });
                true
            }
        }
    }
}

/// Drops a panic payload without letting its destructor unwind into the runtime.
fn drop_payload(payload: Option<Box<dyn Any + Send>>) {
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
}

/// # Safety
/// Consumes one reference (a `Notified`'s); `ptr` is a `Cell<F, S>`.
unsafe fn poll<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: from the caller.
    unsafe { Harness::<F, S>::from_raw(ptr) }.poll();
}

/// # Safety
/// Transfers one reference into a new `Notified`; `ptr` is a `Cell<F, S>` with NOTIFIED set.
unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: from the caller.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    // SAFETY: the caller's reference moves into the entry.
    let task = unsafe { Notified::from_raw(ptr) };
    harness.cell().scheduler.schedule(task);
}

/// # Safety
/// The reference count is zero; `ptr` is a `Cell<F, S>` made by `RawTask::new`.
unsafe fn dealloc<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the cell was made by `Box::new` in `RawTask::new`, and nobody else can reach it.
    let cell = unsafe { Box::from_raw(ptr.cast::<Cell<F, S>>().as_ptr()) };
    // The stage (a cancelled future or an unread output) and the scheduler drop here.
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(cell)));
}

/// # Safety
/// The caller holds the `JoinHandle`'s reference; `dst` is a `*mut Poll<Result<F::Output,
/// JoinError>>`; `ptr` is a `Cell<F, S>`.
unsafe fn try_read_output<F: Future, S: Schedule>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: from the caller.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    if !harness.can_read_output(waker) {
        return;
    }
    let stage = harness.cell().stage.with_mut(|stage| {
        // SAFETY: COMPLETE and the handle is alive: the stage belongs to the handle.
        unsafe { std::mem::replace(&mut *stage, Stage::Consumed) }
    });
    let Stage::Finished(output) = stage else {
        panic!("gosched: JoinHandle polled after it returned Ready");
    };
    // SAFETY: the caller's `dst` has this type.
    unsafe { *(dst as *mut Poll<Result<F::Output, JoinError>>) = Poll::Ready(output) };
}

/// # Safety
/// Consumes the `JoinHandle`'s reference; `ptr` is a `Cell<F, S>`.
unsafe fn drop_join_handle_slow<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: from the caller.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    let snapshot = harness.header().state.transition_to_join_handle_dropped();
    if snapshot.is_complete() {
        // SAFETY: COMPLETE and the handle still holds its reference: the output is ours.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| unsafe { harness.set_stage(Stage::Consumed) }));
    }
    if !snapshot.is_join_waker_set() {
        // SAFETY: JOIN_WAKER is unset, so the slot is the handle's.
        harness
            .header()
            .join_waker
            .with_mut(|ptr| unsafe { (*ptr).take() });
    }
    // SAFETY: the handle's reference.
    unsafe { harness.raw().drop_reference() };
}

/// # Safety
/// Consumes one reference (the registry's); `ptr` is a `Cell<F, S>`.
unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: from the caller.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    if S::PINNED {
        // The future may not be dropped on this thread: send the cancel to its own thread,
        // as `abort` does, which drops it there.
        let raw = harness.raw();
        if raw.header().state.transition_to_notified_and_cancel() == TransitionToNotified::Submit {
            // SAFETY: the transition added a reference for the new entry.
            unsafe { raw.schedule() };
        }
        // SAFETY: the caller's reference.
        unsafe { raw.drop_reference() };
        return;
    }
    if harness.header().state.transition_to_shutdown() {
        harness.cancel_and_complete(true);
    } else {
        // Running elsewhere (it sees CANCELLED when its poll returns) or already complete.
        // SAFETY: the caller's reference.
        unsafe { harness.raw().drop_reference() };
    }
}
