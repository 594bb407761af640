//! The M's loop (Go's `mstart` → `schedule` → `execute`), and the ownership protocol's M side
//! (sched/mod.rs, "Who owns a P while a task is being polled").

use super::context::{self, Mode, WorkerCx};
use super::find;
use super::m::{M, NO_P, Wakeup};
use super::p::OwnedP;
use super::shared::Shared;
use crate::coop;
use crate::loom::Arc;
use crate::loom::atomic::Ordering;
use crate::task::Notified;
use crossbeam_deque::Worker;
use std::cell::Cell;

/// The body of every worker thread: start with the P in its park slot (`Shared::new_m`), run
/// until shutdown, or until the M retires as surplus (`Shared::stopm`); then its shared half
/// and buffer go back for the next thread (`Shared::retired`).
pub(crate) fn m_main(shared: Arc<Shared>, m: Arc<M>, buffer: Worker<Notified>) {
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
        sample: Cell::new(crate::diag::poll::SAMPLE_EVERY),
        entered: Cell::new(false),
    };
    let _worker = context::set_worker(&cx);
    crate::task::coop::set_preempt_hook(super::p::note_preempted);
    cx.m.publish_cpu_clock();
    if let Some(ring) = cx.m.trace() {
        ring.claim();
    }
    if let Some(f) = &shared.config.on_thread_start {
        f();
    }
    // The first P is already in the park slot (`Shared::new_m`).
    let mut wakeup = cx.m.park();
    while let Wakeup::Run { p, spinning } = wakeup {
        cx.adopt_spinning(spinning);
        let p = acquirep(&cx, p);
        let retaken = schedule(&cx, p);
        // Lost the P to a retake: try an idle P before parking (ownership step 4).
        let idle = retaken.then(|| shared.take_idle_p()).flatten();
        wakeup = match idle {
            Some(p) => Wakeup::Run { p, spinning: false },
            None => shared.stopm(&cx),
        };
    }
    cx.m.unpublish_cpu_clock();
    if let Some(f) = &shared.config.on_thread_stop {
        f();
    }
    if matches!(wakeup, Wakeup::Retire) {
        drop(_worker);
        let WorkerCx { m, buffer, .. } = cx;
        shared.retired(m, buffer);
    }
}

/// Go's `acquirep`: this M runs P `p` now (the token passes through: the caller got it from
/// the idle list or a park slot).
pub(super) fn acquirep(cx: &WorkerCx, p: OwnedP) -> OwnedP {
    cx.shared.ps[p.id()].set_owned(&p, &cx.m);
    cx.p.set(Some(p.id()));
    cx.m.p.store(p.id(), Ordering::Relaxed);
    cx.mode.set(Mode::Owning);
    p
}

/// Go's `releasep`: forget the P (its token went to the idle list, or to the retaker).
pub(super) fn releasep(cx: &WorkerCx) {
    cx.p.set(None);
    cx.m.p.store(NO_P, Ordering::Relaxed);
    cx.mode.set(Mode::NoP);
}

/// Go's `schedule` loop, holding P `p`. Returns when the M holds no P: false after it gave
/// its P up for lack of work (park next), true when the P was retaken during a poll.
fn schedule(cx: &WorkerCx, p: OwnedP) -> bool {
    let mut p = p;
    loop {
        let Some((owned, task, inherit)) = find::find_runnable(cx, p) else {
            return false;
        };
        cx.reset_spinning();
        match execute(cx, owned, task, inherit) {
            Some(owned) => p = owned,
            None => return true,
        }
    }
}

/// Go's `execute`, with the poll protocol. Returns the P back, or `None` if it was retaken
/// meanwhile. Always inlined into its one caller, as `find_runnable`.
#[inline(always)]
fn execute(cx: &WorkerCx, owned: OwnedP, task: Notified, inherit: bool) -> Option<OwnedP> {
    let shared = &cx.shared;
    let pid = owned.id();
    let p = &shared.ps[pid];
    M::bump(&cx.m.polls, 1);
    cx.m.curg.store(task.header().id.as_u64(), Ordering::Relaxed);
    crate::diag::poll::begin(&shared.diag, &cx.m.diag, task.header());
    // Ownership step 1: the token goes into the poll.
    let seq = p.begin_poll(owned, inherit);
    cx.mode.set(Mode::Polling);
    coop::reset(&cx.m.preempt, super::p::poll_id(pid, seq, shared.ps.len()));
    task.run();
    cx.mode.set(Mode::Owning);
    // Ownership step 3: the token comes back, unless the P was retaken. `end` is called in
    // each arm with `kept` a constant, so the common case folds to one test of the clock.
    match p.end_poll(seq) {
        Some(owned) => {
            crate::diag::poll::end(&shared.diag, &shared.registry, &*cx.m, pid, seq, true);
            cx.m.curg.store(0, Ordering::Relaxed);
            flush_into_p(cx, &owned);
            Some(owned)
        }
        None => {
            crate::diag::poll::end(&shared.diag, &shared.registry, &*cx.m, pid, seq, false);
            cx.m.curg.store(0, Ordering::Relaxed);
            // Ownership step 4: the P is someone else's now.
            releasep(cx);
            flush_to_global(cx);
            None
        }
    }
}

/// Ownership step 3, success: the buffer goes into the P as Go's `runqput(next=true)` sequence
/// would have left it (each new task in runnext, the one before it to the tail), then the
/// requeued task.
fn flush_into_p(cx: &WorkerCx, p: &OwnedP) {
    let shared = &cx.shared;
    let runq = shared.local(p);
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
    // Taken whether or not the task requeued: a preempted poll that then completed (or was
    // aborted) must not send the next poll's requeue to the global tail.
    let preempted = cx.preempted.replace(false);
    if let Some(t) = cx.requeue.take() {
        if preempted {
            // Go's `gopreempt_m`: a preempted task goes to the global tail.
            shared.global.push(t);
            shared.wakep();
        } else {
            // A self-wake (`yield_now`, a spent budget): the local tail, where thieves and
            // sysmon see it (sched/mod.rs, "Where a runnable task can be"), and a `wakep`
            // (Go's `Gosched`): with an idle P and nobody spinning, the tasks now queued here
            // would otherwise share this P while the other idles.
            runq.put(t, false, &shared.global);
            shared.wakep();
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
