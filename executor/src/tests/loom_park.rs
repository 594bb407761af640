//! loom model of the spin/park race (sched/mod.rs, protocols A and B): a task submitted to the
//! global queue while the last spinning M gives up its P and is about to park. Either the
//! submitter sees an idle P and no spinner (and starts an M), or the parking M's re-check
//! sees the task: never neither, which would leave a runnable task with every M parked.

use super::loom_runq::Item;
use crate::sched::global::GlobalQueue;
use crate::sched::idle::claim_spinning_m;
use crate::sched::runq::RunQueue;
use loom::sync::atomic::{AtomicUsize, Ordering, fence};
use loom::thread;
use std::sync::Arc;

struct Sched {
    global: GlobalQueue<Item>,
    npidle: AtomicUsize,
    nmspinning: AtomicUsize,
}

/// One run of the race. `parker_fence`: protocol B's SeqCst fence (false: the broken variant).
fn submit_vs_park(parker_fence: bool) {
    // Two Ps: P1 is idle already; P0's M is the one spinning M, finding nothing.
    let s = Arc::new(Sched {
        global: GlobalQueue::new(),
        npidle: AtomicUsize::new(1),
        nmspinning: AtomicUsize::new(1),
    });
    let s2 = s.clone();
    let submitter = thread::spawn(move || {
        // Protocol A: push, then `wakep`'s decision.
        s2.global.push(Item(Box::new(1)));
        // loom treats SeqCst loads and stores as Acquire/Release (loom#180); the real code
        // relies on the single order of SeqCst accesses between the queue's length store and
        // `claim_spinning_m`'s loads, which C++20 guarantees. This fence stands in for it.
        fence(Ordering::SeqCst);
        claim_spinning_m(&s2.npidle, &s2.nmspinning)
    });
    // Protocol B: P0 goes idle (`pidleput`), the M stops spinning, fence, re-check.
    s.npidle.fetch_add(1, Ordering::SeqCst);
    s.nmspinning.fetch_sub(1, Ordering::SeqCst);
    if parker_fence {
        fence(Ordering::SeqCst);
    }
    let queue = RunQueue::new();
    // SAFETY: the queue is this thread's alone.
    let local = unsafe { queue.local() };
    let found = s.global.pop_batch(2, usize::MAX, &local);
    let started = submitter.join().unwrap();
    assert!(
        started || found.is_some(),
        "lost wakeup: the task is queued, no M was started and the last M parks"
    );
    drop(found);
    drop(s.global.drain());
}

#[test]
fn loom_park_submit_vs_park() {
    loom::model(|| submit_vs_park(true));
}

/// The model can fail: without protocol B's fence the parking M may miss the task while the
/// submitter still sees it spinning.
#[test]
#[should_panic(expected = "lost wakeup")]
fn loom_park_submit_vs_park_without_the_fence_loses_the_wakeup() {
    loom::model(|| submit_vs_park(false));
}
