//! The scheduler: Go's G/P/M model for futures.
//!
//! # Glossary
//! | Go | gosched | where |
//! |---|---|---|
//! | G (goroutine) | a task: one allocation, state word, `Notified` queue entry | `task/` |
//! | P (processor) | [`p::P`]: local run queue of 256 + `runnext`, `schedtick`, status word | `p.rs`, `runq.rs` |
//! | M (machine) | a worker thread: [`m::M`] (shared half) + [`context::WorkerCx`] (thread-local) | `m.rs`, `worker.rs` |
//! | `sched.runq` | [`global::GlobalQueue`] | `global.rs` |
//! | `sched.pidle`, `sched.midle`, `npidle`, `nmspinning` | [`idle::Idle`]: the idle lists under the sched lock, the counts | `idle.rs` |
//! | `schedule`/`findRunnable` | `worker::schedule`, `find::find_runnable` | `worker.rs`, `find.rs` |
//! | `wakep`/`startm`/`stopm`/`handoffp` | same names on `Shared` (`wakep`'s decision: `Idle::claim_p_for_spinner`) | `ms.rs` (`idle.rs`) |
//! | `allm` | `Ms`: every M and its thread | `ms.rs` |
//! | sysmon | the monitor thread: its policy; what it may do to a P (`PView`) | `../sysmon/`; `p.rs` |
//! | locked M (`LockOSThread`) | a pinned task's own thread: no P, its own run queue | `pinned.rs` |
//! | `checkTimers`, `netpoll(0)`, `injectglist` | the M's use of the poller and timer heaps | `poller.rs` |
//!
//! # Where each rule lives
//! | rule | file |
//! |---|---|
//! | `runnext` (a new task runs next, inheriting the slice) | `runq.rs` (`put`, `get`), `worker.rs` (`flush_into_p`) |
//! | the global queue every 61st tick, the network every 61st poll | `find.rs` (`every_61st`, find step 2) |
//! | stealing (half a victim's queue, `runnext` last) | `find.rs` (`steal_work`), `runq.rs` (`steal_into`) |
//! | spinning (at most half the busy Ps; protocols A and B below) | `idle.rs` (every change of `nmspinning`; protocol B's halves) |
//! | who owns a P during a poll (the status word, retake, hand-off) | `p.rs` |
//! | who may use a P's queue as its owner, who only as a thief | `p.rs` (`OwnedP`), `runq.rs` (`Local`, `Steal`) |
//! | sysmon's retake and preemption: when | `../sysmon/retake.rs` (`retake`, its policies and thresholds) |
//! | sysmon asleep while every P is idle, woken when one starts (Go's `sysmonwait`/`sysmonwake`) | `../sysmon/mod.rs` (`quiet_until`), `ms.rs` (`take_idle_p`) |
//! | sysmon's cadence while Ps run: deadlines, and the Ms watching each other every 61st poll | `../sysmon/` (`Next`, `retake::watch_from_m`), `find.rs` (`every_61st`) |
//! | sysmon's retake and preemption: how | `p.rs` (`PView::retake`, `PView::request_preempt`) |
//! | who polls the network, and which M blocks in the poller | `poller.rs` (find steps 2, 5, 8; sysmon's share) |
//! | timers: per-P heaps, the clock, deadlines, the handshake with the poller | `../time/heap.rs`, `../time/deadlines.rs` (`Timekeeper`) |
//! | the blocking pool and `block_in_place` | `../blocking/` (the hand-off itself: `p.rs`, `ms.rs`) |
//! | preemption on the M's side (`note_preempted`) | `p.rs` |
//!
//! There are exactly `maxprocs` Ps. An M needs a P to poll tasks; an M without one parks.
//! Ms are started lazily (the first spawn starts the first one; without sysmon, the runtime
//! starts one at build to watch the poller). Unlike Go's, a surplus M's thread exits: one
//! that stayed parked for the keep-alive (`Builder::worker_keep_alive`, 10 s by default)
//! while more than `maxprocs` + 1 (the poller's) Ms are alive (`Shared::stopm`, ms.rs).
//! Its shared half stays (pointers to it stay valid, its counters stay in the metrics) and
//! the next M started reuses it.
//!
//! # Who owns a P while a task is being polled
//! sysmon may take a P away from an M that is inside a poll running arbitrary user code, so
//! that M must not touch its P's queues *during* the poll. The ownership steps below, the
//! retake and everything sysmon may do to a P are in `p.rs`; "ownership step N" elsewhere
//! refers to this list:
//! 1. Before polling, the M publishes `InPoll(seq)` in the P's status word (Release store;
//!    `P::begin_poll`).
//! 2. Spawns and same-thread wakes during the poll go to the M's spawn buffer, a crossbeam
//!    `Worker` whose `Stealer` is in `M::buffer`, so thieves and sysmon can drain it.
//! 3. After the poll, one CAS `InPoll(seq) → Owned` (`P::end_poll`). Success: the buffer
//!    moves into the P as Go's `runqput(next=true)` sequence would have left it: each task in
//!    turn goes to `runnext` and kicks the previous one to the tail. Then the polled task, if it
//!    woke itself, goes to the local tail (the global tail if sysmon preempted it), with a
//!    `wakep` either way. The poll's preemption mark (`WorkerCx::preempted`) ends here too,
//!    whether or not the task requeued.
//! 4. Failure: sysmon retook the P (`P::try_retake`, `PView::retake`) and handed it to
//!    another M, or the task's own `block_in_place` did (only while its M still owns the P:
//!    a second one in the same poll, or one after a retake, hands off nothing). The M pushes its buffer and its own
//!    task to the global queue, tries to take an idle P, else parks.
//!
//! Cost: one store and one CAS per poll, on a line the P owns.
//!
//! The ownership itself is a value, `p::OwnedP` (p.rs): `begin_poll` consumes it, `end_poll`
//! or `try_retake` makes the next one, and only its holder reaches the owner's side of the
//! P's queue (`runq::Local`), so the compiler checks the rule above.
//!
//! A push into the spawn buffer races a retake: the M checks ownership, sysmon retakes and
//! drains the buffer, the M pushes. sysmon sweeps such lost buffers every round
//! (`Shared::rescue_lost_buffers`), so that task waits at most one sysmon round, and the hot
//! path pays nothing for it.
//!
//! # The time slice (Go's `schedtick` / `forcePreemptNS`)
//! A task popped from the ring, the global queue, the poller or a thief starts a new slice
//! (`schedtick` + 1, in `P::begin_poll`). A task taken from `runnext` or the hand-off slot
//! (`WorkerCx::next`) *inherits* the slice of the task that made it runnable, so a chain of
//! hand-offs (a ping-pong pair) is one slice. sysmon sees `schedtick` frozen for
//! `preempt_slice` and sets the P's `preempt` request (and the polling M's, which empties the
//! budget), again every round while the tick stays frozen. Each request names what sysmon saw
//! (the slice by its `schedtick`, the poll by `p::poll_id`), so one that lands after its slice
//! or poll ended is ignored by the next (p.rs). The M acts on it in find step 1
//! (below): the task that would inherit goes to the **global tail** with a `wakep` (Go's
//! `gopreempt_m` → `goschedImpl`); if other tasks were already waiting there, the oldest runs
//! next; otherwise the search goes on (the ring first, as Go's `schedule` does). A preempted
//! poll (budget read zero) also requeues its task on the global tail. Moving it to the local
//! tail instead would not do: with an empty ring it comes straight back with a fresh slice
//! and the global queue waits 61 slices (the PingPongHog test in tests/fairness.rs).
//!
//! # Where a runnable task can be
//! Every runnable task is in one of these places, and each is seen by more than one thread
//! (except a pinned task's, which by its owner's choice has one thread of its own):
//! | place | who may take it | who sees it as work |
//! |---|---|---|
//! | a P's `runnext` and ring | the owner; thieves (`runnext` in the last round) | sysmon (`PView::holds_up_work`), thieves, protocol B's re-check |
//! | the global queue | any M with a P | everyone (`GlobalQueue::len`) |
//! | an M's spawn buffer (during a poll) | the M after the poll; thieves; sysmon on a retake or a lost-buffer sweep | sysmon (`PView::holds_up_work`), thieves |
//! | `WorkerCx::next` (the hand-off slot) | the M, a few instructions after `end_poll`, before anything can block it | — (it *is* `runnext`; it exists only between two polls of the same M) |
//! | `WorkerCx::requeue` (woken during its own poll) | the M at `end_poll`, or the global queue if the P was lost | — (the task is still running) |
//! | `WorkerCx::collected` (poller and timer wakes) | injected by the same M before it does anything else | — (same) |
//! | a pinned thread's queue (`pinned.rs`) | that thread only: Go's locked M, chosen by `spawn_pinned` | — (it runs nothing else, and sysmon never takes it over) |
//!
//! `yield_now` and a spent budget requeue the task on the local tail, where thieves and
//! sysmon see it, and call `wakep` as Go's `Gosched` does (else two tasks that compute and
//! yield share one P while another idles: tests/wakep.rs). Go's `Gosched` uses the global
//! tail; the local tail keeps the task on its core, and it keeps Go's order where it matters:
//! behind everything queued on this P, with the global queue read every 61st tick and
//! whenever the local queue is empty. (A per-M batch once stood in for the global tail; a
//! thread that blocked after a yield stranded the batch.)
//!
//! # Where an M looks for work (Go's `findRunnable`; `find.rs`)
//! "find step N" elsewhere refers to this list. Steps 0 (timers), 5 and 8 are in
//! `poller.rs`, the M's use of the poller and the timer heaps.
//! 0. the hand-off slot, if nothing below comes first; this P's due timers;
//! 1. an expired slice (above); 2. every 61st tick, one task from the global queue, and every
//!    61st poll of this M, the network (and a look at the other Ps for a stuck one, for
//!    sysmon); 3. `runnext`, then the ring; 4. a global batch; 5. the network, without
//!    blocking; 6. stealing (at most half the busy Ps spin);
//! 7. give up the P, re-check once (protocol B); 8. block in the poller if no P runs (or
//!    sysmon is off) and no other M does, else park (until the nearest timer, if any).
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
//! 3. Load `nmspinning`; if zero, CAS it 0 → 1, take an idle P under the sched lock
//!    (`Idle::claim_p_for_spinner`) and `startm` an M for it, spinning. (If no P is left, undo
//!    it.)
//!
//! **B. An M giving up its P** (`Idle::release_p`, `Idle::recheck_and_acquire`, called from
//! `find.rs`):
//! 1. Under the sched lock, `pidleput` (SeqCst add to `npidle`).
//! 2. If spinning: stop, SeqCst sub from `nmspinning`.
//! 3. SeqCst fence (pairs with A.2's), then look at the global queue and every P's queue once
//!    more. Work there → take an idle P back (spinning again if it was) and start over.
//!    Otherwise park (`stopm`).
//!
//! Either the submitter's A.2/A.3 loads see B.1/B.2 (and start an M), or B.3 sees A.1's task
//! (the loom model `loom_park_submit_vs_park` runs idle.rs's code for both sides, on real Ps
//! and a real global queue, and its twin without B.3's fence fails).
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
//! - On an expired slice, `runnext` to the local tail (an earlier version): with an empty ring the
//!   same task came straight back with a fresh slice; a third task got one poll in 500 ms.
//! - A per-M batch of yielded tasks flushed to the global tail (an earlier version): invisible to
//!   sysmon and thieves, so a yielded task waited behind a thread that blocked next.
//! - A `wakep` for a poll's first spawn too (Go's `newproc` wakes on every one): that task
//!   runs next on this M (the hand-off slot), so a woken M would only spin and then steal it
//!   from under its spawner (tokio's LIFO-slot rule). If the spawner yields, the yield's
//!   `wakep` brings a thief; if it runs on, sysmon's stall check does (`STALL_WAKE_AFTER`).
//! - A SeqCst fence after every spawn-buffer push, to close the push-vs-retake window on the
//!   M's side: a fence per spawn and wake on the hot path, where sysmon's sweep costs nothing.

pub(crate) mod context;
mod find;
pub(crate) mod global;
pub(crate) mod idle;
pub(crate) mod m;
mod ms;
pub(crate) mod p;
pub(crate) mod pinned;
pub(crate) mod poller;
#[cfg(all(test, not(loom)))]
mod preempt_tests;
pub(crate) mod runq;
pub(crate) mod shared;
pub(crate) mod snapshot;
mod worker;

pub(crate) use pinned::{join_pinned_threads, on_pinned_thread_of};
pub(crate) use shared::Shared;
