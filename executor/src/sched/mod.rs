//! The scheduler: Go's G/P/M model for futures.
//!
//! # Glossary
//! | Go | gosched | where |
//! |---|---|---|
//! | G (goroutine) | a task: one allocation, state word, `Notified` queue entry | `task/` |
//! | P (processor) | [`p::P`]: local run queue of 256 + `runnext`, `schedtick`, status word | `p.rs`, `runq.rs` |
//! | M (machine) | a worker thread: [`m::M`] (shared half) + [`context::WorkerCx`] (thread-local) | `m.rs`, `worker.rs` |
//! | `sched.runq` | [`global::GlobalQueue`] | `global.rs` |
//! | `sched.pidle`, `sched.midle` | `Synced::idle_ps`, `Synced::idle_ms` under the sched lock | `shared.rs`, `idle.rs` |
//! | `schedule`/`findRunnable` | `worker::schedule`, `find::find_runnable` | `worker.rs`, `find.rs` |
//! | `wakep`/`startm`/`stopm`/`handoffp` | same names on `Shared` | `idle.rs` |
//! | sysmon | the monitor thread | `../sysmon.rs` |
//!
//! There are exactly `maxprocs` Ps. An M needs a P to poll tasks; an M without one parks.
//! Ms are started lazily (the first spawn starts the first one) and never exit before the
//! runtime, like Go's.
//!
//! # Who owns a P while a task is being polled
//! sysmon may take a P away from an M that is inside a poll running arbitrary user code, so
//! that M must not touch its P's queues *during* the poll:
//! 1. Before polling, the M publishes `InPoll(seq)` in the P's status word (Release store;
//!    `P::begin_poll`).
//! 2. Spawns and same-thread wakes during the poll go to the M's spawn buffer, a crossbeam
//!    `Worker` whose `Stealer` is in `M::buffer`, so thieves and sysmon can drain it.
//! 3. After the poll, one CAS `InPoll(seq) → Owned` (`P::end_poll`). Success: the buffer
//!    moves into the P as Go's `runqput(next=true)` sequence would have left it: each task in
//!    turn goes to `runnext` and kicks the previous one to the tail. Then the polled task, if it
//!    woke itself, goes to the local tail (or the global tail after `yield_now`/preemption).
//! 4. Failure: sysmon retook the P (`P::try_retake`) and handed it to another M. The M pushes
//!    its buffer and its own task to the global queue, tries to take an idle P, else parks.
//!
//! Cost: one store and one CAS per poll, on a line the P owns.
//!
//! # Spinning and parking (Go's "Worker thread parking/unparking")
//! An M is *spinning* when it has a P, found no local work and is looking in other Ps' queues.
//! At most half the busy Ps have a spinning M. The invariant: if there is runnable work and
//! an idle P, then some M is spinning or will be woken. Two protocols keep it:
//!
//! **A. Submitting a task** (`Shared::schedule_task`, `Shared::spawn`):
//! 1. Push the task to a queue (a P's queue, an M's buffer, or the global queue, whose length
//!    is stored with SeqCst).
//! 2. `wakep`: SeqCst load of `npidle`: zero → done. For the global queue, step 1's SeqCst
//!    store and this SeqCst load are ordered (they pair with B.3's fence). For a task put on
//!    the submitting M's own buffer or P there is no fence (Go has none in `ready` either): a
//!    stale load may skip a wake, which costs parallelism but never the task, since that M
//!    runs its own queue (or sysmon hands it to another M if the M is stuck).
//! 3. Load `nmspinning`; if zero, CAS it 0 → 1, take an idle P under the sched lock and
//!    `startm` an M for it, spinning. (If no P is left, undo the CAS.)
//!
//! **B. An M giving up its P** (`find::release_p`, `find::recheck_and_acquire`):
//! 1. Under the sched lock, `pidleput` (SeqCst add to `npidle`).
//! 2. If spinning: stop, SeqCst sub from `nmspinning`.
//! 3. SeqCst fence (pairs with A.2's), then look at the global queue and every P's queue once
//!    more. Work there → take an idle P back (spinning again if it was) and start over.
//!    Otherwise park (`stopm`).
//!
//! Either the submitter's A.2/A.3 loads see B.1/B.2 (and start an M), or B.3 sees A.1's task.
//! A spinning M that finds work stops spinning and calls `wakep` (Go's `resetspinning`), so a
//! burst of work brings up Ms one after another rather than all at once.
//!
//! # Rejected alternatives
//! - One `Mutex<VecDeque>` shared by N threads: every spawn, wake and pop contends one line.
//! - crossbeam's `Worker` as the P's queue: unbounded (no Go overflow-to-global), no `runnext`,
//!   and it has one owner thread for life, while a P moves between Ms.
//! - Pushing spawns straight into the P during a poll (Go does, since it never takes a P from
//!   running code): then sysmon could not hand the P away without racing the stuck M.
//! - A new time slice for every task popped from `runnext`: a ping-pong pair would hold its P
//!   forever (Go's PingPongHog); they inherit the slice instead.

pub(crate) mod context;
mod find;
pub(crate) mod global;
pub(crate) mod idle;
pub(crate) mod m;
pub(crate) mod netpoll;
pub(crate) mod p;
pub(crate) mod runq;
pub(crate) mod shared;
mod worker;

pub(crate) use shared::Shared;

/// The polling task called `yield_now`: its requeue goes to the global queue tail.
pub(crate) fn request_yield_to_global() {
    context::with_worker(|cx| {
        if let Some(cx) = cx {
            cx.yield_to_global.set(true);
        }
    });
}

/// The polling task is yielding because sysmon preempted it: global queue tail, counted.
pub(crate) fn note_preempted() {
    context::with_worker(|cx| {
        if let Some(cx) = cx {
            cx.yield_to_global.set(true);
            cx.shared
                .preemptions
                .fetch_add(1, crate::loom::atomic::Ordering::Relaxed);
            cx.shared
                .trace_instant(&cx.m, crate::trace::export::Kind::Preempt, 1);
            crate::task::set_current_wait(crate::task::WAIT_PREEMPTED);
        }
    });
}
