//! The task's state word: lifecycle bits and the reference count, in one `AtomicUsize`.
//!
//! Every transition is a single CAS loop through [`State::fetch_update_action`], so no mutex is
//! on the spawn / wake / poll path. The design follows tokio's `runtime/task/state.rs`: the
//! lifecycle bits decide who may touch the future (only the holder of `RUNNING`), who may touch
//! the output (the runtime before `COMPLETE`, the `JoinHandle` after), and who owns the join
//! waker (`JOIN_WAKER` set: the runtime may read it; unset: the `JoinHandle` may write it).
//!
//! ## Who owns a reference
//! - the registry holds one from spawn until the task completes or is cancelled;
//! - every [`Notified`](super::Notified) (an entry in some run queue) holds one;
//! - the `JoinHandle` holds one, every `AbortHandle` one, every `Waker` one.

use crate::loom::atomic::{AtomicUsize, Ordering};
use std::fmt;

/// The task is being polled (or cancelled) by exactly one thread, which owns the future.
const RUNNING: usize = 0b00_0001;
/// The future has been dropped and the output (or the error) stored. Never cleared.
const COMPLETE: usize = 0b00_0010;
/// The task is in a run queue, or will be put back into one when its current poll returns.
/// Invariant: at most one [`Notified`](super::Notified) exists for a task at any time.
const NOTIFIED: usize = 0b00_0100;
/// The task was aborted or the runtime is shutting down: the next thread that gets
/// `RUNNING` drops the future instead of polling it. Never cleared.
const CANCELLED: usize = 0b00_1000;
/// A `JoinHandle` exists and wants the output.
const JOIN_INTEREST: usize = 0b01_0000;
/// The join waker slot holds a waker that the runtime may read (and wake) but not write.
const JOIN_WAKER: usize = 0b10_0000;

/// All lifecycle bits; the reference count lives above them.
const STATE_MASK: usize = RUNNING | COMPLETE | NOTIFIED | CANCELLED | JOIN_INTEREST | JOIN_WAKER;
/// Lowest bit of the reference count.
const REF_COUNT_SHIFT: usize = STATE_MASK.count_ones() as usize;
/// One reference.
const REF_ONE: usize = 1 << REF_COUNT_SHIFT;
/// The reference-count bits.
const REF_COUNT_MASK: usize = !STATE_MASK;

/// A new task: in the registry, in one run queue, and with a `JoinHandle`.
const INITIAL_STATE: usize = (REF_ONE * 3) | JOIN_INTEREST | NOTIFIED;
/// A new blocking-pool task: no registry reference.
const INITIAL_STATE_UNREGISTERED: usize = (REF_ONE * 2) | JOIN_INTEREST | NOTIFIED;

/// The atomic state word of one task.
pub(crate) struct State {
    val: AtomicUsize,
}

/// A copy of the state word at one instant.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// What the caller of [`State::transition_to_running`] must do.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToRunning {
    /// Poll the future.
    Success,
    /// Drop the future: the task was cancelled.
    Cancelled,
    /// Someone else runs it or it is done; drop the caller's reference.
    Failed,
    /// As `Failed`, and that was the last reference: deallocate.
    Dealloc,
}

/// What the caller of [`State::transition_to_idle`] must do.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToIdle {
    /// Parked; drop the reference the poll ran with.
    Ok,
    /// Woken during the poll: requeue the task, reusing the reference the poll ran with.
    OkNotified,
    /// Cancelled during the poll: drop the future now.
    Cancelled,
}

/// What the caller of a `transition_to_notified_*` must do.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotified {
    /// Nothing: already queued, running (it will requeue itself) or complete.
    DoNothing,
    /// Push a new `Notified` (a reference has been added for it, or moved into it).
    Submit,
    /// The caller's reference was the last: deallocate.
    Dealloc,
}

impl State {
    /// A task as `spawn` creates it.
    pub(crate) fn new() -> State {
        State {
            val: AtomicUsize::new(INITIAL_STATE),
        }
    }

    /// A task that no registry tracks (blocking-pool jobs).
    pub(crate) fn new_unregistered() -> State {
        State {
            val: AtomicUsize::new(INITIAL_STATE_UNREGISTERED),
        }
    }

    /// The current value.
    pub(crate) fn load(&self) -> Snapshot {
        // Acquire: pairs with the AcqRel CAS of every transition, so a thread that sees
        // COMPLETE also sees the stored output.
        Snapshot(self.val.load(Ordering::Acquire))
    }

    /// Takes `RUNNING` to poll the future; clears `NOTIFIED`. The caller holds a `Notified`.
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_notified(), "running a task that was not notified");
            if next.is_running() || next.is_complete() {
                // Only reached after a shutdown raced with a queued entry.
                next.ref_dec();
                let action = if next.ref_count() == 0 {
                    TransitionToRunning::Dealloc
                } else {
                    TransitionToRunning::Failed
                };
                return (action, Some(next));
            }
            next.set_running();
            next.unset_notified();
            let action = if next.is_cancelled() {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success
            };
            (action, Some(next))
        })
    }

    /// Gives `RUNNING` back after a poll that returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> TransitionToIdle {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_running());
            if next.is_cancelled() {
                return (TransitionToIdle::Cancelled, None);
            }
            next.unset_running();
            let action = if next.is_notified() {
                TransitionToIdle::OkNotified
            } else {
                TransitionToIdle::Ok
            };
            (action, Some(next))
        })
    }

    /// `RUNNING` -> `COMPLETE`, after the output was stored. Returns the new snapshot.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        const DELTA: usize = RUNNING | COMPLETE;
        // AcqRel: Release publishes the stored output to the JoinHandle's Acquire load;
        // Acquire sees the join waker the handle stored before setting JOIN_WAKER.
        let prev = Snapshot(self.val.fetch_xor(DELTA, Ordering::AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        Snapshot(prev.0 ^ DELTA)
    }

    /// A wake that consumes the waker's reference (`Waker::wake`).
    pub(crate) fn transition_to_notified_by_val(&self) -> TransitionToNotified {
        self.fetch_update_action(|mut next| {
            if next.is_running() {
                // The poller requeues it when the poll returns; the waker's ref goes away.
                next.set_notified();
                next.ref_dec();
                debug_assert!(next.ref_count() > 0);
                (TransitionToNotified::DoNothing, Some(next))
            } else if next.is_complete() || next.is_notified() {
                next.ref_dec();
                if next.ref_count() == 0 {
                    (TransitionToNotified::Dealloc, Some(next))
                } else {
                    (TransitionToNotified::DoNothing, Some(next))
                }
            } else {
                // The waker's reference moves into the new Notified.
                next.set_notified();
                (TransitionToNotified::Submit, Some(next))
            }
        })
    }

    /// A wake that keeps the waker (`Waker::wake_by_ref`).
    pub(crate) fn transition_to_notified_by_ref(&self) -> TransitionToNotified {
        self.fetch_update_action(|mut next| {
            if next.is_complete() || next.is_notified() {
                (TransitionToNotified::DoNothing, None)
            } else if next.is_running() {
                next.set_notified();
                (TransitionToNotified::DoNothing, Some(next))
            } else {
                next.set_notified();
                next.ref_inc();
                (TransitionToNotified::Submit, Some(next))
            }
        })
    }

    /// `abort()`: sets `CANCELLED` and makes sure some thread will see it.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> TransitionToNotified {
        self.fetch_update_action(|mut next| {
            if next.is_cancelled() || next.is_complete() {
                (TransitionToNotified::DoNothing, None)
            } else if next.is_running() || next.is_notified() {
                // The running poller, or whoever pops the queued entry, sees CANCELLED.
                next.set_cancelled();
                next.set_notified();
                (TransitionToNotified::DoNothing, Some(next))
            } else {
                next.set_cancelled();
                next.set_notified();
                next.ref_inc();
                (TransitionToNotified::Submit, Some(next))
            }
        })
    }

    /// Runtime shutdown: sets `CANCELLED`, and `RUNNING` if the task was idle. Returns true when
    /// the caller took `RUNNING` and must drop the future itself.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.fetch_update_action(|mut next| {
            let idle = !next.is_running() && !next.is_complete();
            if idle {
                next.set_running();
            }
            next.set_cancelled();
            (idle, Some(next))
        })
    }

    /// The `JoinHandle` is dropped. Returns the snapshot after the change: if it is complete,
    /// the handle must drop the output; if `JOIN_WAKER` is unset, the handle owns the waker.
    pub(crate) fn transition_to_join_handle_dropped(&self) -> Snapshot {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_join_interested());
            next.0 &= !JOIN_INTEREST;
            if !next.is_complete() {
                // The runtime will not read the waker any more; the handle may drop it.
                next.0 &= !JOIN_WAKER;
            }
            (next, Some(next))
        })
    }

    /// Sets `JOIN_WAKER` after the handle stored a waker. Fails (returns the snapshot) if the
    /// task completed meanwhile.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|curr| {
            debug_assert!(curr.is_join_interested() && !curr.is_join_waker_set());
            if curr.is_complete() {
                return None;
            }
            Some(Snapshot(curr.0 | JOIN_WAKER))
        })
    }

    /// Clears `JOIN_WAKER` so the handle may replace the waker. Fails if complete.
    pub(crate) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|curr| {
            // Complete first: a retry of this CAS may see the task completed and JOIN_WAKER
            // already given back by `unset_join_waker_after_complete` (found by loom_state's
            // `loom_join_waker_replaced_vs_complete` with debug assertions on).
            if curr.is_complete() {
                return None;
            }
            debug_assert!(curr.is_join_interested() && curr.is_join_waker_set());
            Some(Snapshot(curr.0 & !JOIN_WAKER))
        })
    }

    /// After waking the join waker on completion: gives the waker back to the handle.
    pub(crate) fn unset_join_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_and(!JOIN_WAKER, Ordering::AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    /// Adds a reference (a new waker or handle). Aborts on overflow.
    pub(crate) fn ref_inc(&self) {
        // Relaxed: a new reference is always made from an existing one, which keeps the
        // task alive; the Release/Acquire pair is on the decrement (as in `Arc`).
        let prev = self.val.fetch_add(REF_ONE, Ordering::Relaxed);
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Drops one reference. Returns true if it was the last one.
    pub(crate) fn ref_dec(&self) -> bool {
        // AcqRel: the last decrement must see every other thread's writes to the task.
        let prev = Snapshot(self.val.fetch_sub(REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.ref_count() >= 1);
        prev.ref_count() == 1
    }

    /// Drops two references (completion: the registry's and the poller's).
    pub(crate) fn ref_dec_twice(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(2 * REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.ref_count() >= 2);
        prev.ref_count() == 2
    }

    /// The one CAS loop behind every transition: `f` returns the action and the new value
    /// (`None`: leave the word as it is).
    fn fetch_update_action<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Option<Snapshot>)) -> T {
        let mut curr = self.load();
        loop {
            let (output, next) = f(curr);
            let Some(next) = next else { return output };
            // AcqRel: each transition both publishes this thread's writes to the task and
            // must see those of the previous owner of RUNNING.
            match self
                .val
                .compare_exchange(curr.0, next.0, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return output,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    fn fetch_update(&self, mut f: impl FnMut(Snapshot) -> Option<Snapshot>) -> Result<Snapshot, Snapshot> {
        self.fetch_update_action(|curr| match f(curr) {
            Some(next) => (Ok(next), Some(next)),
            None => (Err(curr), None),
        })
    }
}

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        (self.0 & REF_COUNT_MASK) >> REF_COUNT_SHIFT
    }
    fn set_running(&mut self) {
        self.0 |= RUNNING;
    }
    fn unset_running(&mut self) {
        self.0 &= !RUNNING;
    }
    fn set_notified(&mut self) {
        self.0 |= NOTIFIED;
    }
    fn unset_notified(&mut self) {
        self.0 &= !NOTIFIED;
    }
    fn set_cancelled(&mut self) {
        self.0 |= CANCELLED;
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interested", &self.is_join_interested())
            .field("join_waker_set", &self.is_join_waker_set())
            .field("ref_count", &self.ref_count())
            .finish()
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_do_not_overlap() {
        assert_eq!(STATE_MASK & REF_COUNT_MASK, 0);
        assert_eq!(STATE_MASK | REF_COUNT_MASK, usize::MAX);
        assert_eq!(Snapshot(INITIAL_STATE).ref_count(), 3);
        assert_eq!(Snapshot(INITIAL_STATE_UNREGISTERED).ref_count(), 2);
    }
}
