//! loom model of the spin/park race (sched/mod.rs, protocols A and B): a task submitted to the
//! global queue while the last spinning M gives up its P and is about to park. Either the
//! submitter sees an idle P and no spinner (and takes a P to start an M on), or the parking
//! M's re-check sees the task and takes a P back: never neither, which would leave a runnable
//! task with every M parked.
//!
//! Both sides run the real code of sched/idle.rs: protocol A's decision
//! (`Idle::claim_p_for_spinner`, `wakep`'s) and protocol B's two halves (`Idle::release_p`,
//! `Idle::recheck_and_acquire`) on real Ps and a real global queue. What stays out is what the
//! protocols do not depend on: the M's own flags (`releasep`, `acquirep`) and sysmon's kicks.

use super::loom_runq::Item;
use crate::sched::global::GlobalQueue;
use crate::sched::idle::Idle;
use crate::sched::p::P;
use loom::sync::atomic::{AtomicBool, Ordering, fence};
use loom::thread;
use std::sync::Arc;

/// One run of the race. `unfenced`: protocol B without step 3's fence (the broken twin).
fn submit_vs_park(unfenced: bool) {
    // Two Ps: P1 is idle already; P0's M is the one spinning M, finding nothing.
    let (ps, mut tokens) = P::all(2);
    let p1 = tokens.pop().unwrap();
    let p0 = tokens.pop().unwrap();
    let idle = Idle::for_model(vec![p1], 2, 1, unfenced);
    let s = Arc::new((ps, GlobalQueue::new(), idle, AtomicBool::new(false)));
    let s2 = s.clone();
    let submitter = thread::spawn(move || {
        let (_, global, idle, _) = &*s2;
        // Protocol A: push, then `wakep`'s decision.
        global.push(Item(Box::new(1)));
        // loom treats SeqCst loads and stores as Acquire/Release (loom#180); the real code
        // relies on the single order of SeqCst accesses between the queue's length store and
        // `claim_p_for_spinner`'s loads, which C++20 guarantees. This fence stands in for it.
        fence(Ordering::SeqCst);
        idle.claim_p_for_spinner()
    });
    let (ps, global, idle, shutdown) = &*s;
    // Protocol B: P0 goes idle, the M stops spinning, fence, re-check.
    idle.release_p(ps, p0, true);
    let acquired = idle.recheck_and_acquire(ps, global, shutdown, true);
    let started = submitter.join().unwrap();
    assert!(
        started.is_some() || acquired.is_some(),
        "lost wakeup: the task is queued, no M was started and the last M parks"
    );
    drop(global.drain());
}

#[test]
fn loom_park_submit_vs_park() {
    loom::model(|| submit_vs_park(false));
}

/// The model can fail: without protocol B's fence the parking M may miss the task while the
/// submitter still sees it spinning.
#[test]
#[should_panic(expected = "lost wakeup")]
fn loom_park_submit_vs_park_without_the_fence_loses_the_wakeup() {
    loom::model(|| submit_vs_park(true));
}
