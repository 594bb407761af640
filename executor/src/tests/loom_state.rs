//! loom models of the task state word (`task/state.rs`), driven through the real raw task
//! (`new_task`, the harness, the waker vtable, `JoinHandle`): every interleaving of
//! - a wake from another thread against the end of a poll (never two queue entries),
//! - two wakes of an idle task (scheduled exactly once),
//! - the `JoinHandle` being dropped or polled against completion (the output dropped exactly
//!   once; a pending join is always woken),
//! - `abort` and runtime shutdown against a poll (the future dropped exactly once),
//! - the last reference being dropped on either side (the cell freed exactly once: its
//!   scheduler's `Arc` is released).
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p gosched-executor --lib --release -- loom`.

use super::support::{CountingWaker, Probe, poll_join, spawn};
use loom::thread;
use std::sync::Arc;
use std::task::Poll;

/// Explores every interleaving of `f`.
fn model(f: impl Fn() + Sync + Send + 'static) {
    // Unbounded: every model here explores all its interleavings in well under a second.
    // `LOOM_MAX_PREEMPTIONS=N` bounds it, should a model ever grow too large.
    loom::model::Builder::new().check(f);
}

#[test]
fn loom_wake_from_another_thread_vs_poll_end() {
    model(|| {
        let probe = Probe::new();
        // Pending twice, then ready.
        let (sched, mut join) = spawn(probe.future(2, 7));
        // Poll 1 here: parks, leaving waker W1.
        sched.run_all();
        let w1 = probe.take_waker().expect("poll 1 stored a waker");
        w1.wake_by_ref();
        assert_eq!(sched.len(), 1, "a wake of an idle task queues it once");

        let s = sched.clone();
        let poller = thread::spawn(move || {
            // Poll 2: parks again (waker W2), racing the wake below.
            s.pop().unwrap().run();
        });
        let waker = thread::spawn(move || w1.wake());
        poller.join().unwrap();
        waker.join().unwrap();

        // The wake either came before poll 2 began (absorbed by the queued entry), during it
        // (NOTIFIED while RUNNING: requeued by the poller) or after it (a new entry). Never two.
        assert!(sched.len() <= 1, "two entries for one task");
        if sched.len() == 0 {
            probe.take_waker().expect("poll 2 stored a waker").wake();
        }
        sched.run_all();
        let (cw, w) = CountingWaker::new();
        let Poll::Ready(Ok((v, guard))) = poll_join(&mut join, &w) else {
            panic!("the task completed");
        };
        assert_eq!(v, 7);
        drop(guard);
        drop(join);
        drop(probe.take_waker());
        assert_eq!(cw.wakes(), 0);
        assert_eq!(probe.future_drops.get(), 1);
        assert_eq!(probe.output_drops.get(), 1);
        assert_eq!(Arc::strong_count(&sched), 1, "the task's cell was freed");
    });
}

#[test]
fn loom_two_wakes_of_an_idle_task_schedule_it_once() {
    model(|| {
        let probe = Probe::new();
        let (sched, join) = spawn(probe.future(1, 1));
        sched.run_all();
        let w = probe.take_waker().unwrap();
        let w2 = w.clone();
        let a = thread::spawn(move || w.wake());
        let b = thread::spawn(move || w2.wake_by_ref());
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(sched.len(), 1);
        assert_eq!(sched.run_all(), 1);
        assert!(join.is_finished());
        drop(join);
        assert_eq!(probe.future_drops.get(), 1);
        assert_eq!(probe.output_drops.get(), 1, "no handle: the output is dropped");
        assert_eq!(Arc::strong_count(&sched), 1);
    });
}

#[test]
fn loom_join_handle_drop_vs_complete() {
    model(|| {
        let probe = Probe::new();
        let (sched, join) = spawn(probe.future(0, 3));
        let s = sched.clone();
        let runner = thread::spawn(move || s.run_all());
        let dropper = thread::spawn(move || drop(join));
        assert_eq!(runner.join().unwrap(), 1);
        dropper.join().unwrap();
        assert_eq!(probe.future_drops.get(), 1);
        assert_eq!(probe.output_drops.get(), 1, "the output is dropped exactly once");
        assert_eq!(Arc::strong_count(&sched), 1, "the last reference freed the cell");
    });
}

#[test]
fn loom_join_handle_poll_vs_complete() {
    model(|| {
        let probe = Probe::new();
        let (sched, mut join) = spawn(probe.future(0, 5));
        let s = sched.clone();
        let runner = thread::spawn(move || s.run_all());
        let joiner = thread::spawn(move || {
            let (cw, w) = CountingWaker::new();
            let first = poll_join(&mut join, &w);
            (join, cw, w, first.is_ready())
        });
        runner.join().unwrap();
        let (mut join, cw, w, ready) = joiner.join().unwrap();
        if !ready {
            assert_eq!(cw.wakes(), 1, "a pending join is woken on completion");
            let Poll::Ready(Ok((v, _guard))) = poll_join(&mut join, &w) else {
                panic!("complete after the wake");
            };
            assert_eq!(v, 5);
        }
        drop(join);
        assert_eq!(probe.future_drops.get(), 1);
        assert_eq!(probe.output_drops.get(), 1);
        assert_eq!(Arc::strong_count(&sched), 1);
    });
}

#[test]
fn loom_join_waker_replaced_vs_complete() {
    model(|| {
        let probe = Probe::new();
        let (sched, mut join) = spawn(probe.future(0, 4));
        let (cw1, w1) = CountingWaker::new();
        // The join waker is set before the race; the joiner then replaces it (JOIN_WAKER unset,
        // slot rewritten, set again) while the task completes and reads the slot.
        assert!(poll_join(&mut join, &w1).is_pending());
        let s = sched.clone();
        let runner = thread::spawn(move || s.run_all());
        let joiner = thread::spawn(move || {
            let (cw2, w2) = CountingWaker::new();
            let ready = poll_join(&mut join, &w2).is_ready();
            (join, cw2, w2, ready)
        });
        runner.join().unwrap();
        let (mut join, cw2, w2, ready) = joiner.join().unwrap();
        if !ready {
            assert_eq!(cw2.wakes(), 1, "the replacing waker is the one woken");
            assert!(poll_join(&mut join, &w2).is_ready());
        }
        assert!(cw1.wakes() + cw2.wakes() <= 1, "one completion, at most one wake");
        drop((join, w1, w2));
        assert_eq!(Arc::strong_count(&cw1), 1, "no join waker leaked");
        assert_eq!(Arc::strong_count(&cw2), 1, "no join waker leaked");
        assert_eq!(probe.output_drops.get(), 1);
        assert_eq!(Arc::strong_count(&sched), 1);
    });
}

#[test]
fn loom_join_handle_with_waker_dropped_vs_complete() {
    model(|| {
        let probe = Probe::new();
        let (sched, mut join) = spawn(probe.future(0, 4));
        let (cw, w) = CountingWaker::new();
        assert!(poll_join(&mut join, &w).is_pending());
        let s = sched.clone();
        let runner = thread::spawn(move || s.run_all());
        // Dropping the handle while the runtime may be reading (and waking) its waker: whoever
        // is last drops the waker, exactly once.
        let dropper = thread::spawn(move || drop(join));
        runner.join().unwrap();
        dropper.join().unwrap();
        drop(w);
        assert!(cw.wakes() <= 1);
        assert_eq!(Arc::strong_count(&cw), 1, "the join waker was dropped");
        assert_eq!(probe.output_drops.get(), 1);
        assert_eq!(Arc::strong_count(&sched), 1);
    });
}

#[test]
fn loom_abort_vs_poll() {
    model(|| {
        let probe = Probe::new();
        // Would stay parked after its first poll: only the abort can finish it.
        let (sched, mut join) = spawn(probe.future(1, 0));
        let abort = join.abort_handle();
        let s = sched.clone();
        let runner = thread::spawn(move || s.run_all());
        let aborter = thread::spawn(move || abort.abort());
        runner.join().unwrap();
        aborter.join().unwrap();
        // Whoever saw CANCELLED last queued the task (or the poller dropped the future itself).
        sched.run_all();
        assert!(join.is_finished());
        let (_cw, w) = CountingWaker::new();
        let Poll::Ready(Err(e)) = poll_join(&mut join, &w) else {
            panic!("an aborted task resolves to an error");
        };
        assert!(e.is_cancelled());
        drop(join);
        drop(probe.take_waker());
        assert_eq!(probe.future_drops.get(), 1);
        assert_eq!(probe.output_drops.get(), 0);
        assert_eq!(Arc::strong_count(&sched), 1);
    });
}

#[test]
fn loom_shutdown_vs_poll() {
    for pending in [0, 1] {
        model(move || {
            let probe = Probe::new();
            let (sched, mut join) = spawn(probe.future(pending, 9));
            let s = sched.clone();
            let runner = thread::spawn(move || s.run_all());
            let s = sched.clone();
            let shutdown = thread::spawn(move || {
                // The runtime's shutdown: cancel through the registry reference, if the task
                // has not released it by completing.
                let task = s.registry.lock().unwrap().take();
                if let Some(task) = task {
                    task.shutdown();
                }
            });
            runner.join().unwrap();
            shutdown.join().unwrap();
            sched.run_all();
            let (_cw, w) = CountingWaker::new();
            match poll_join(&mut join, &w) {
                Poll::Ready(Ok((v, _guard))) => assert_eq!((pending, v), (0, 9)),
                Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
                Poll::Pending => panic!("after shutdown every task is complete"),
            }
            drop(join);
            drop(probe.take_waker());
            assert_eq!(probe.future_drops.get(), 1);
            assert_eq!(Arc::strong_count(&sched), 1);
        });
    }
}

#[test]
fn loom_last_reference_dropped_exactly_once() {
    model(|| {
        let probe = Probe::new();
        let (sched, join) = spawn(probe.future(1, 2));
        sched.run_all();
        let w = probe.take_waker().unwrap();
        let w2 = w.clone();
        drop(join);
        // One thread completes the task; the other drops wakers: either may hold the last
        // reference.
        w.wake_by_ref();
        let s = sched.clone();
        let runner = thread::spawn(move || s.run_all());
        let dropper = thread::spawn(move || {
            drop(w);
            drop(w2);
        });
        runner.join().unwrap();
        dropper.join().unwrap();
        assert_eq!(probe.future_drops.get(), 1);
        assert_eq!(probe.output_drops.get(), 1);
        assert_eq!(Arc::strong_count(&sched), 1);
    });
}
