//! The M's loop (Go's `mstart` → `schedule` → `execute`), and the ownership protocol's M side
//! (sched/mod.rs, "Who owns a P while a task is being polled").

use super::context::{self, Mode, WorkerCx};
use super::find;
use super::m::{M, NO_P, Wakeup};
use super::shared::Shared;
use crate::coop;
use crate::loom::Arc;
use crate::loom::atomic::Ordering;
use crate::task::Notified;
use crossbeam_deque::Worker;
use std::cell::Cell;

/// The body of every worker thread: start with P `p`, run until shutdown.
pub(crate) fn m_main(shared: Arc<Shared>, m: Arc<M>, buffer: Worker<Notified>, p: usize, spinning: bool) {
    let cx = WorkerCx {
        shared: shared.clone(),
        // Seed: distinct per M and per runtime; quality hardly matters for a steal order.
        rng: Cell::new(
            0x9E37_79B9_7F4A_7C15 ^ ((m.id as u64 + 1) << 17) ^ (&*shared as *const Shared as u64),
        ),
        m,
        buffer,
        mode: Cell::new(Mode::NoP),
        p: Cell::new(None),
        requeue: Cell::new(None),
        preempted: Cell::new(false),
        spinning: Cell::new(false),
        next: Cell::new(None),
        collected: std::cell::RefCell::new(Vec::new()),
    };
    let _worker = context::set_worker(&cx);
    cx.m.publish_cpu_clock();
    if let Some(f) = &shared.config.on_thread_start {
        f();
    }
    let mut next = Some((p, spinning));
    loop {
        let (p, spinning) = match next.take() {
            Some(start) => start,
            None => match shared.stopm(&cx) {
                Wakeup::Run { p, spinning } => (p, spinning),
                Wakeup::Exit => break,
            },
        };
        cx.adopt_spinning(spinning);
        acquirep(&cx, p);
        if schedule(&cx) {
            // Lost the P to a retake: try an idle P before parking (ownership step 4).
            next = shared.take_idle_p().map(|p| (p, false));
        }
    }
    if let Some(f) = &shared.config.on_thread_stop {
        f();
    }
}

/// Go's `acquirep`.
pub(super) fn acquirep(cx: &WorkerCx, p: usize) {
    cx.shared.ps[p].set_owned(&cx.m);
    cx.p.set(Some(p));
    cx.m.p.store(p, Ordering::Relaxed);
    cx.mode.set(Mode::Owning);
}

/// Go's `releasep`: forget the P (its status was already changed by the caller).
pub(super) fn releasep(cx: &WorkerCx) {
    cx.p.set(None);
    cx.m.p.store(NO_P, Ordering::Relaxed);
    cx.mode.set(Mode::NoP);
}

/// Go's `schedule` loop. Returns when the M holds no P: false after it gave its P up for lack
/// of work (park next), true when the P was retaken during a poll.
fn schedule(cx: &WorkerCx) -> bool {
    loop {
        let Some((task, inherit)) = find::find_runnable(cx) else {
            return false;
        };
        cx.reset_spinning();
        if !execute(cx, task, inherit) {
            return true;
        }
    }
}

/// Go's `execute`, with the poll protocol. Returns false if the P was retaken meanwhile.
fn execute(cx: &WorkerCx, task: Notified, inherit: bool) -> bool {
    let shared = &cx.shared;
    let pid = cx.p.get().expect("execute without a P");
    let p = &shared.ps[pid];
    let polls = M::bump(&cx.m.polls, 1);
    let id = task.header().id.as_u64();
    cx.m.curg.store(id, Ordering::Relaxed);
    let probe = crate::trace::poll::begin(shared, &cx.m, task.header(), polls);
    // Ownership step 1.
    let seq = p.begin_poll(inherit);
    cx.mode.set(Mode::Polling);
    coop::reset(&cx.m.preempt);
    task.run();
    cx.mode.set(Mode::Owning);
    cx.m.curg.store(0, Ordering::Relaxed);
    // Ownership step 3.
    let kept = p.end_poll(seq);
    crate::trace::poll::end(shared, &cx.m, pid, id, probe, seq, kept);
    if kept {
        flush_into_p(cx, pid);
        return true;
    }
    // Ownership step 4: the P is someone else's now.
    releasep(cx);
    flush_to_global(cx);
    false
}

/// Ownership step 3, success: the buffer goes into the P as Go's `runqput(next=true)` sequence would have
/// left it (each new task in runnext, the one before it to the tail), then the requeued task.
fn flush_into_p(cx: &WorkerCx, pid: usize) {
    let shared = &cx.shared;
    let runq = &shared.ps[pid].runq;
    let mut last = None;
    while let Some(t) = cx.buffer.pop() {
        if let Some(prev) = last.replace(t) {
            runq.put(prev, true, &shared.global);
        }
    }
    if let Some(t) = last {
        if runq.has_runnext() {
            // The old `runnext` goes to the ring, where another M may take it.
            runq.put(t, true, &shared.global);
            shared.wakep();
        } else {
            // Where `put(t, true)` would have left it, minus the slot's atomics (context.rs).
            cx.next.set(Some(t));
        }
    }
    if let Some(t) = cx.requeue.take() {
        if cx.preempted.replace(false) {
            // Go's `gopreempt_m`: a preempted task goes to the global tail.
            shared.global.push(t);
            shared.wakep();
        } else {
            // A self-wake (`yield_now`, a spent budget): the local tail, where thieves and
            // sysmon see it (sched/mod.rs, "Where a runnable task can be").
            runq.put(t, false, &shared.global);
        }
    }
}

/// Ownership step 4: everything the poll produced goes to the global queue.
fn flush_to_global(cx: &WorkerCx) {
    let shared = &cx.shared;
    cx.preempted.set(false);
    let mut batch: Vec<Notified> = std::iter::from_fn(|| cx.buffer.pop()).collect();
    batch.extend(cx.requeue.take());
    if !batch.is_empty() {
        use super::runq::Overflow;
        shared.global.push_batch(batch);
        shared.wakep();
    }
}
