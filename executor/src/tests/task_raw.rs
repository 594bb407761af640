//! The raw task's unsafe paths, one test each, through the internal API (`new_task`,
//! `new_unregistered_task`) with the test scheduler of `support.rs`: polls, wakes by value and
//! by reference, waker clones, `JoinHandle` drop before and after completion, join wakers,
//! abort, shutdown, panics in `poll` and in destructors, output reads.
//!
//! Written for miri: `cargo +nightly miri test -p gosched-executor --lib -- task_raw`. Each test
//! ends by checking that the task's cell was freed (the scheduler's `Arc` count is back to one)
//! and that the future and output were dropped exactly once.

use super::support::{Counter, CountingWaker, DropGuard, Probe, poll_join, spawn, spawn_unregistered};
use crate::task::{self, JoinError};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// Reads a finished handle's output.
fn ready<T>(join: &mut task::JoinHandle<T>) -> Result<T, JoinError> {
    let (_cw, w) = CountingWaker::new();
    match poll_join(join, &w) {
        Poll::Ready(r) => r,
        Poll::Pending => panic!("the task has not finished"),
    }
}

#[test]
fn task_raw_poll_to_completion_and_read_output() {
    let probe = Probe::new();
    let (sched, mut join) = spawn(probe.future(0, 42));
    assert!(!join.is_finished());
    assert_eq!(sched.run_all(), 1);
    assert!(join.is_finished());
    assert_eq!(sched.released.load(Ordering::SeqCst), 1);
    let (v, guard) = ready(&mut join).unwrap();
    assert_eq!(v, 42);
    assert_eq!(probe.future_drops.get(), 1, "the future is dropped at completion");
    drop(guard);
    drop(join);
    assert_eq!(probe.output_drops.get(), 1);
    assert_eq!(Arc::strong_count(&sched), 1, "the cell was freed");
}

#[test]
fn task_raw_wake_by_ref_then_by_value() {
    let probe = Probe::new();
    let (sched, mut join) = spawn(probe.future(2, 1));
    sched.run_all();
    let w1 = probe.take_waker().unwrap();
    w1.wake_by_ref();
    w1.wake_by_ref(); // already queued: nothing
    assert_eq!(sched.len(), 1);
    sched.run_all();
    drop(w1);
    let w2 = probe.take_waker().unwrap();
    w2.wake();
    assert_eq!(sched.scheduled.load(Ordering::SeqCst), 2);
    sched.run_all();
    assert_eq!(ready(&mut join).unwrap().0, 1);
    drop(join);
    assert_eq!(probe.future_drops.get(), 1);
    assert_eq!(probe.output_drops.get(), 1);
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_waker_clones_outlive_the_task() {
    let probe = Probe::new();
    let (sched, join) = spawn(probe.future(1, 1));
    sched.run_all();
    let w = probe.take_waker().unwrap();
    let clones: Vec<Waker> = (0..5).map(|_| w.clone()).collect();
    assert!(clones[0].will_wake(&w));
    w.wake_by_ref();
    sched.run_all();
    assert!(join.is_finished());
    drop(join);
    // Wakes of a completed task do nothing; the last waker dropped frees the cell.
    for (i, c) in clones.into_iter().enumerate() {
        if i % 2 == 0 {
            c.wake();
        } else {
            c.wake_by_ref();
        }
    }
    assert_eq!(sched.len(), 0);
    assert_eq!(Arc::strong_count(&sched), 2, "w still holds a reference");
    w.wake();
    assert_eq!(Arc::strong_count(&sched), 1);
    assert_eq!(probe.future_drops.get(), 1);
    assert_eq!(probe.output_drops.get(), 1);
}

#[test]
fn task_raw_drop_join_handle_before_completion() {
    let probe = Probe::new();
    let (sched, join) = spawn(probe.future(0, 1));
    drop(join);
    sched.run_all();
    assert_eq!(probe.future_drops.get(), 1);
    assert_eq!(
        probe.output_drops.get(),
        1,
        "nobody wants the output: dropped at completion"
    );
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_drop_join_handle_after_completion() {
    let probe = Probe::new();
    let (sched, join) = spawn(probe.future(0, 1));
    sched.run_all();
    assert_eq!(probe.output_drops.get(), 0, "the output waits for the handle");
    drop(join);
    assert_eq!(probe.output_drops.get(), 1);
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_join_waker_is_woken_and_replaced() {
    let probe = Probe::new();
    let (sched, mut join) = spawn(probe.future(1, 8));
    let (cw1, w1) = CountingWaker::new();
    let (cw2, w2) = CountingWaker::new();
    assert!(poll_join(&mut join, &w1).is_pending());
    // Same waker again: kept (`will_wake`).
    assert!(poll_join(&mut join, &w1).is_pending());
    // Another waker: replaces the first (JOIN_WAKER unset, rewritten, set again).
    assert!(poll_join(&mut join, &w2).is_pending());
    sched.run_all();
    probe.take_waker().unwrap().wake();
    sched.run_all();
    assert_eq!(cw1.wakes(), 0);
    assert_eq!(cw2.wakes(), 1, "the latest join waker is woken at completion");
    let Poll::Ready(Ok((v, _g))) = poll_join(&mut join, &w2) else {
        panic!("complete");
    };
    assert_eq!(v, 8);
    assert_eq!(Arc::strong_count(&cw1), 2, "the replaced join waker was dropped");
    drop(join);
    drop((w1, w2));
    assert_eq!(
        Arc::strong_count(&cw2),
        1,
        "the join waker was dropped with the handle"
    );
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_join_handle_dropped_with_its_waker_set() {
    let probe = Probe::new();
    let (sched, mut join) = spawn(probe.future(0, 1));
    let (cw, w) = CountingWaker::new();
    assert!(poll_join(&mut join, &w).is_pending());
    drop(join);
    assert_eq!(Arc::strong_count(&cw), 2, "the handle dropped its join waker");
    sched.run_all();
    assert_eq!(cw.wakes(), 0);
    assert_eq!(probe.output_drops.get(), 1);
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_join_handle_dropped_after_completion_with_waker_set() {
    let probe = Probe::new();
    let (sched, mut join) = spawn(probe.future(0, 1));
    let (cw, w) = CountingWaker::new();
    assert!(poll_join(&mut join, &w).is_pending());
    sched.run_all();
    assert_eq!(cw.wakes(), 1);
    drop(join);
    assert_eq!(probe.output_drops.get(), 1);
    assert_eq!(
        Arc::strong_count(&cw),
        2,
        "the join waker was dropped with the task"
    );
    drop(w);
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_abort_idle_queued_and_finished() {
    // Idle: the abort queues it; the run drops the future.
    let probe = Probe::new();
    let (sched, mut join) = spawn(probe.future(1, 0));
    sched.run_all();
    let abort = join.abort_handle();
    let abort2 = abort.clone();
    assert_eq!(abort.id(), join.id());
    abort.abort();
    abort2.abort(); // twice: nothing more
    assert_eq!(sched.len(), 1);
    sched.run_all();
    assert!(abort2.is_finished());
    assert!(ready(&mut join).unwrap_err().is_cancelled());
    drop((join, abort, abort2, probe.take_waker()));
    assert_eq!(probe.future_drops.get(), 1);
    assert_eq!(Arc::strong_count(&sched), 1);

    // Queued (never polled): the entry's run sees CANCELLED.
    let probe = Probe::new();
    let (sched, mut join) = spawn(probe.future(0, 0));
    join.abort();
    assert_eq!(sched.len(), 1);
    sched.run_all();
    assert!(ready(&mut join).unwrap_err().is_cancelled());
    drop(join);
    assert_eq!(probe.future_drops.get(), 1);
    assert_eq!(probe.output_drops.get(), 0);
    assert_eq!(Arc::strong_count(&sched), 1);

    // Finished: the output stays.
    let probe = Probe::new();
    let (sched, mut join) = spawn(probe.future(0, 6));
    sched.run_all();
    join.abort();
    assert_eq!(ready(&mut join).unwrap().0, 6);
    drop(join);
    assert_eq!(Arc::strong_count(&sched), 1);
}

/// Aborts itself (through a shared `AbortHandle`) during its poll, or wakes itself.
struct SelfPoke {
    abort: Arc<Mutex<Option<task::AbortHandle>>>,
    wake_by_value: bool,
    polls: usize,
    _guard: DropGuard,
}

impl Future for SelfPoke {
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        self.polls += 1;
        if let Some(a) = self.abort.lock().unwrap().take() {
            a.abort();
            return Poll::Pending;
        }
        if self.polls == 3 {
            return Poll::Ready(self.polls);
        }
        if self.wake_by_value {
            #[allow(clippy::waker_clone_wake)] // on purpose: a wake by value during the poll
            cx.waker().clone().wake();
        } else {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

#[test]
fn task_raw_abort_during_its_own_poll() {
    let drops = Arc::new(Counter::default());
    let slot = Arc::new(Mutex::new(None));
    let (sched, mut join) = spawn(SelfPoke {
        abort: slot.clone(),
        wake_by_value: false,
        polls: 0,
        _guard: DropGuard(drops.clone()),
    });
    *slot.lock().unwrap() = Some(join.abort_handle());
    sched.run_all();
    assert!(ready(&mut join).unwrap_err().is_cancelled());
    assert_eq!(drops.get(), 1);
    drop(join);
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_wake_during_poll_requeues_once() {
    for wake_by_value in [false, true] {
        let drops = Arc::new(Counter::default());
        let (sched, mut join) = spawn(SelfPoke {
            abort: Arc::new(Mutex::new(None)),
            wake_by_value,
            polls: 0,
            _guard: DropGuard(drops.clone()),
        });
        assert_eq!(sched.run_all(), 3);
        assert_eq!(sched.yielded.load(Ordering::SeqCst), 2, "requeued after the poll");
        assert_eq!(
            sched.scheduled.load(Ordering::SeqCst),
            0,
            "never queued during it"
        );
        assert_eq!(ready(&mut join).unwrap(), 3);
        drop(join);
        assert_eq!(drops.get(), 1);
        assert_eq!(Arc::strong_count(&sched), 1);
    }
}

#[test]
fn task_raw_shutdown_idle_queued_and_running() {
    // Idle: shutdown drops the future on the spot.
    let probe = Probe::new();
    let (sched, mut join) = spawn(probe.future(1, 0));
    sched.run_all();
    let task = sched.registry.lock().unwrap().take().unwrap();
    task.shutdown();
    assert_eq!(probe.future_drops.get(), 1);
    assert!(ready(&mut join).unwrap_err().is_cancelled());
    drop((join, probe.take_waker()));
    assert_eq!(Arc::strong_count(&sched), 1);

    // Queued: shutdown completes it; the stale entry is dropped unrun, or run (and ignored).
    for run_entry in [false, true] {
        let probe = Probe::new();
        let (sched, mut join) = spawn(probe.future(0, 0));
        let task = sched.registry.lock().unwrap().take().unwrap();
        task.shutdown();
        assert_eq!(probe.future_drops.get(), 1);
        let entry = sched.pop().unwrap();
        if run_entry {
            entry.run();
        } else {
            drop(entry);
        }
        assert!(ready(&mut join).unwrap_err().is_cancelled());
        drop(join);
        assert_eq!(probe.output_drops.get(), 0);
        assert_eq!(Arc::strong_count(&sched), 1);
    }
}

#[test]
fn task_raw_shutdown_while_running() {
    /// Calls the runtime's shutdown on itself from inside its poll.
    struct ShutdownInside {
        sched: Arc<super::support::SchedState>,
        _guard: DropGuard,
    }
    impl Future for ShutdownInside {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            let task = self.sched.registry.lock().unwrap().take();
            task.expect("registered").shutdown();
            Poll::Pending
        }
    }
    let drops = Arc::new(Counter::default());
    let state = Arc::new(Mutex::new(None::<Arc<super::support::SchedState>>));
    // The future needs the scheduler state, which `spawn` creates: go through a slot.
    let slot = state.clone();
    let (sched, mut join) = spawn(async move {
        let sched = slot.lock().unwrap().take().unwrap();
        ShutdownInside {
            sched,
            _guard: DropGuard(drops.clone()),
        }
        .await
    });
    *state.lock().unwrap() = Some(sched.clone());
    sched.run_all();
    assert!(ready(&mut join).unwrap_err().is_cancelled());
    drop(join);
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_panic_in_poll_is_a_join_error() {
    let drops = Arc::new(Counter::default());
    let guard = DropGuard(drops.clone());
    let (sched, mut join) = spawn(async move {
        let _guard = guard;
        if drops_never() {
            return 0u8;
        }
        panic!("raw boom");
    });
    sched.run_all();
    let err = ready(&mut join).unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("raw boom"), "{err}");
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "raw boom");
    assert_eq!(drops.get(), 1);
    drop(join);
    assert_eq!(Arc::strong_count(&sched), 1);
}

/// False, opaquely (so the panic above is not the only exit).
fn drops_never() -> bool {
    std::hint::black_box(false)
}

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("drop boom");
    }
}

/// Ready at once (or panics in `poll`), and panics when dropped.
struct PanickyFuture {
    panic_in_poll: bool,
    _p: PanicOnDrop,
}

impl Future for PanickyFuture {
    type Output = u8;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<u8> {
        if self.panic_in_poll {
            panic!("poll boom");
        }
        Poll::Ready(5)
    }
}

#[test]
fn task_raw_panic_in_the_futures_drop() {
    // Ready, then the drop panics: the output is replaced by the drop's panic.
    // Panics in poll, then the drop panics too: the first payload is dropped, the second kept.
    for panic_in_poll in [false, true] {
        let (sched, mut join) = spawn(PanickyFuture {
            panic_in_poll,
            _p: PanicOnDrop,
        });
        sched.run_all();
        let err = ready(&mut join).unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert!(err.to_string().contains("drop boom"), "{err}");
        drop(join);
        assert_eq!(Arc::strong_count(&sched), 1);
    }
}

#[test]
fn task_raw_panic_in_the_outputs_drop() {
    // Dropped by the runtime (no handle) and by the handle: both catch the panic.
    let (sched, join) = spawn(async { PanicOnDrop });
    drop(join);
    sched.run_all();
    assert_eq!(Arc::strong_count(&sched), 1);

    let (sched, join) = spawn(async { PanicOnDrop });
    sched.run_all();
    drop(join);
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_unregistered_task() {
    let probe = Probe::new();
    let (sched, mut join) = spawn_unregistered(probe.future(0, 3));
    sched.run_all();
    assert_eq!(sched.released.load(Ordering::SeqCst), 1);
    assert_eq!(ready(&mut join).unwrap().0, 3);
    drop(join);
    assert_eq!(probe.output_drops.get(), 1);
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_current_task_id_during_poll() {
    let (sched, mut join) = spawn(async { (task::try_id(), task::id()) });
    let id = join.id();
    assert!(task::try_id().is_none());
    sched.run_all();
    let (a, b) = ready(&mut join).unwrap();
    assert_eq!((a, b), (Some(id), id));
    assert!(task::try_id().is_none(), "restored after the poll");
    drop(join);
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_join_handle_polled_after_ready_panics() {
    let (sched, mut join) = spawn(async { 1u8 });
    sched.run_all();
    assert_eq!(ready(&mut join).unwrap(), 1);
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ready(&mut join)));
    assert!(again.is_err());
    drop(join);
    assert_eq!(Arc::strong_count(&sched), 1);
}

#[test]
fn task_raw_dropping_an_unrun_entry_and_handle_frees_the_task() {
    let probe = Probe::new();
    let (sched, join) = spawn(probe.future(0, 0));
    drop(join);
    // The registry reference and the entry go without a poll (as at runtime shutdown).
    drop(sched.registry.lock().unwrap().take());
    assert_eq!(probe.future_drops.get(), 0);
    drop(sched.pop());
    assert_eq!(
        probe.future_drops.get(),
        1,
        "the last reference dropped the future"
    );
    assert_eq!(Arc::strong_count(&sched), 1);
}
