//! The P (the right to run tasks: its local queue, `schedtick`, timers) and the protocol that
//! says who owns it ("Who owns a P while a task is being polled", sched/mod.rs): the status
//! word, every transition of it, and everything that may take a P from its M.
//!
//! - The M's side: `P::begin_poll` (ownership step 1) and `P::end_poll` (ownership step 3).
//!   What the M does around them (the spawn buffer of step 2, the flushes of steps 3 and 4)
//!   is in worker.rs and shared.rs.
//! - Taking the P from an M inside a poll (`try_retake`, then `handoffp`; both in
//!   `Shared::retake_and_handoff`, ms.rs): sysmon's retake (`PView::retake`) and
//!   `block_in_place` on its own M (`WorkerCx::hand_off_p_in_poll`).
//! - sysmon's requests: a preemption (`PView::request_preempt`, consumed by the owner through
//!   `P::take_preempt`), a thief for a stalled M's queue (`PView::wake_thief`), and the sweep of
//!   spawn buffers lost to a retake (`Shared::rescue_lost_buffers`, ms.rs).
//! - The M's side of a preemption (`note_preempted`): the budget calls it (task/coop.rs).
//!
//! sysmon (../sysmon/) decides *when* (its clocks and thresholds); it sees a P only through
//! `PView::observe` (`Shared::observe_p`) and acts only through `PView`, so it never touches a
//! status word, a `preempt` flag or a spawn buffer itself.
//!
//! # `OwnedP`: ownership of a P as a value
//! Exactly one [`OwnedP`] exists per P at any time (none while its M is inside a poll), and
//! only its holder may use the P's queue as the owner ([`P::local`]; runq.rs, "Who may call
//! what"). The token is not `Clone`, so the compiler follows it:
//! - [`P::all`] makes every P with its token; the tokens start on the idle list.
//! - `pidleget` (idle.rs) takes one off the idle list; `startm` hands it to an M through the M's park
//!   slot (`M::start`); the M's scheduling loop holds it (`worker::schedule`,
//!   `find::find_runnable`), and gives it back with `pidleput` when it runs out of work.
//! - A poll consumes it ([`P::begin_poll`]): during user code the M cannot touch the queue.
//!   [`P::end_poll`] gives it back unless a retake took the P meanwhile with
//!   [`P::try_retake`], which makes the retaker the owner instead (then `handoffp`).
//! - Shutdown drains the queues through the tokens it can collect
//!   (`Shared::drain_local_queues`).
//!
//! The token is a P index: holding it costs what the `Cell<Option<usize>>` it replaces did.

use super::context::WorkerCx;
use super::m::M;
use super::runq::{Local, RunQueue, Steal};
use super::shared::Shared;
use crate::loom::Arc;
use crate::loom::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use crate::task::Notified;
use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr;

/// The ownership of one P (module header). Not `Clone`; `Send` (it moves from the M that takes
/// a P off the idle list to the M that runs it) but not `Sync`, so two threads never hold a
/// `&OwnedP` to the same P, and so never two `Local`s of its queue.
#[must_use = "dropping an OwnedP loses the P: give it back with `pidleput`"]
#[derive(Debug)]
pub(crate) struct OwnedP {
    id: usize,
    _not_sync: PhantomData<Cell<()>>,
}

impl OwnedP {
    /// Only the functions of this file make one (module header).
    fn new(id: usize) -> OwnedP {
        OwnedP {
            id,
            _not_sync: PhantomData,
        }
    }

    /// The index of the P this token owns.
    #[inline]
    pub(crate) fn id(&self) -> usize {
        self.id
    }
}

/// The P is on the idle list (Go's `_Pidle`).
const IDLE: u64 = 0;
/// An M owns the P and may touch its queues (Go's `_Prunning`, between polls).
const OWNED: u64 = 1;
/// The owning M is inside a poll (`seq` in the high bits) and must not touch the queues until
/// its `end_poll` CAS succeeds; sysmon may take the P with its own CAS meanwhile.
const IN_POLL: u64 = 2;
/// Low bits of the status word that hold the kind; the poll sequence number sits above them.
const KIND_BITS: u32 = 2;
const KIND_MASK: u64 = (1 << KIND_BITS) - 1;

/// What a status word says, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PStatus {
    Idle,
    Owned,
    /// In the poll with this sequence number.
    InPoll(u64),
}

/// # Fields
/// - `status`: atomic; the owner stores, sysmon CASes `InPoll` → `Owned` to retake.
/// - `runq`: the owner's view through `local(&OwnedP)`, anyone's through `runq()` (runq.rs).
/// - `schedtick`, `seq`: written by the owner only, read by sysmon and schedtrace.
/// - `preempt`: the slice sysmon asks to end, by its `schedtick` (`slice_tag`; 0: none). Set
///   by sysmon every round while the slice is expired (`PView::request_preempt`), for the
///   slice it saw; cleared by the owner when it acts on it (`take_preempt`, find step 1,
///   sched/mod.rs). A request for an earlier slice does not match the tick (Go's `execute`
///   clears `gp.preempt` for the same reason), so a new slice needs no clearing and a
///   request sysmon made from a look that is out of date by now ends nothing.
/// - `timers`: the P's timer heap, under its own lock (time/heap.rs).
/// - `m`: the owning M (null while idle); written by the owner, read by thieves to find the
///   M's spawn buffer. Ms are never freed before the runtime, so the pointer stays valid.
///
/// Aligned to 128 bytes (two cache lines, the unit of the adjacent-line prefetcher): the owner
/// writes `status`, `seq` and `schedtick` on every poll, and Ps sit side by side in one
/// `Box<[P]>`, so without it two Ms' polls would keep stealing each other's line.
#[repr(align(128))]
pub(crate) struct P {
    pub(crate) id: usize,
    status: AtomicU64,
    runq: RunQueue<Notified>,
    schedtick: AtomicU32,
    seq: AtomicU64,
    preempt: AtomicU64,
    m: AtomicPtr<M>,
    pub(crate) timers: crate::time::heap::Timers,
}

impl P {
    /// Every P of a runtime, all idle, and their tokens (the idle list's first content).
    pub(crate) fn all(n: usize) -> (Box<[P]>, Vec<OwnedP>) {
        ((0..n).map(P::new).collect(), (0..n).map(OwnedP::new).collect())
    }

    fn new(id: usize) -> P {
        P {
            id,
            status: AtomicU64::new(IDLE),
            runq: RunQueue::new(),
            schedtick: AtomicU32::new(0),
            seq: AtomicU64::new(0),
            preempt: AtomicU64::new(0),
            m: AtomicPtr::new(ptr::null_mut()),
            timers: crate::time::heap::Timers::new(),
        }
    }

    /// The owner's view of the queue; `owned` proves the caller is the owner.
    #[inline]
    pub(crate) fn local<'a>(&'a self, owned: &'a OwnedP) -> Local<'a, Notified> {
        debug_assert_eq!(owned.id, self.id, "the token of another P");
        // SAFETY: one `OwnedP` exists per P (module header) and it is not `Sync`, so the
        // thread holding `owned` is the queue's only producer while the borrow lasts.
        unsafe { self.runq.local() }
    }

    /// Anyone's view of the queue: stealing into one's own, and snapshots of its length.
    #[inline]
    pub(crate) fn runq(&self) -> Steal<'_, Notified> {
        self.runq.steal()
    }

    pub(crate) fn status(&self) -> PStatus {
        // Acquire: pairs with the Release stores below, so a retaker sees the queue state the
        // owner left before its poll began.
        decode(self.status.load(Ordering::Acquire))
    }

    /// The P, taken off the idle list, is now run by `m` (Go's `acquirep`).
    pub(crate) fn set_owned(&self, owned: &OwnedP, m: &M) {
        debug_assert_eq!(owned.id, self.id, "the token of another P");
        self.m.store(m as *const M as *mut M, Ordering::Release);
        self.status.store(OWNED, Ordering::Release);
    }

    /// The P goes to the idle list. Caller holds the sched lock.
    pub(crate) fn set_idle(&self, owned: &OwnedP) {
        debug_assert_eq!(owned.id, self.id, "the token of another P");
        self.m.store(ptr::null_mut(), Ordering::Release);
        self.status.store(IDLE, Ordering::Release);
    }

    /// Whether `m` still owns this P (false once sysmon or `block_in_place` took it).
    pub(crate) fn is_owned_by(&self, m: &M) -> bool {
        ptr::eq(self.m.load(Ordering::Acquire), m)
    }

    /// The owning M, if any.
    pub(crate) fn m(&self) -> Option<&M> {
        // SAFETY: Ms live as long as the runtime's `Shared`, which owns this P.
        unsafe { self.m.load(Ordering::Acquire).as_ref() }
    }

    /// Ownership step 1: publish `InPoll(seq)`. Takes the owner's token: until `end_poll`
    /// gives it back, nobody may use the P as its owner.
    pub(crate) fn begin_poll(&self, owned: OwnedP, inherit: bool) -> u64 {
        debug_assert_eq!(owned.id, self.id, "the token of another P");
        if !inherit {
            // A new slice: a request aimed at the old one no longer matches (`preempt`).
            let t = self.schedtick.load(Ordering::Relaxed);
            self.schedtick.store(t.wrapping_add(1), Ordering::Relaxed);
        }
        let seq = self.seq.load(Ordering::Relaxed).wrapping_add(1) & (u64::MAX >> KIND_BITS);
        self.seq.store(seq, Ordering::Relaxed);
        // Release: everything the owner did to the queues before the poll is visible to a
        // retaker whose Acquire CAS takes the P (`try_retake`).
        self.status.store((seq << KIND_BITS) | IN_POLL, Ordering::Release);
        // The token ends here; `end_poll` or `try_retake` makes the next one.
        drop(owned);
        seq
    }

    /// Ownership step 3: `InPoll(seq)` → `Owned`, and the token back. `None`: the P was
    /// retaken while the poll ran and the M must not touch it again.
    pub(crate) fn end_poll(&self, seq: u64) -> Option<OwnedP> {
        // AcqRel: on success, Acquire sees nothing new (nobody else touched the P); on failure,
        // Acquire pairs with the retaker's Release so the M sees it lost the P.
        self.status
            .compare_exchange(
                (seq << KIND_BITS) | IN_POLL,
                OWNED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .ok()
            .map(|_| OwnedP::new(self.id))
    }

    /// The retaker's side: takes the P from an M stuck in poll `seq`. `Some`: the caller now
    /// owns it (and must hand it on: `Shared::retake_and_handoff`).
    pub(crate) fn try_retake(&self, seq: u64) -> Option<OwnedP> {
        // AcqRel: Acquire pairs with `begin_poll`'s Release (we see the queues as the stuck M
        // left them); Release pairs with the stuck M's failed `end_poll`.
        let ok = self
            .status
            .compare_exchange(
                (seq << KIND_BITS) | IN_POLL,
                OWNED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok();
        if !ok {
            return None;
        }
        self.m.store(ptr::null_mut(), Ordering::Release);
        Some(OwnedP::new(self.id))
    }

    pub(crate) fn schedtick(&self) -> u32 {
        self.schedtick.load(Ordering::Relaxed)
    }

    /// Whether sysmon asked this P to end its current slice (the owner only peeks: find step
    /// 0, sched/mod.rs).
    pub(crate) fn preempt_requested(&self) -> bool {
        self.preempt.load(Ordering::Relaxed) == slice_tag(self.schedtick())
    }

    /// The owner acts on sysmon's request to end the current slice (find step 1): true once
    /// per request. A load first: there is almost never one, and a CAS would write the line.
    pub(crate) fn take_preempt(&self) -> bool {
        let tag = slice_tag(self.schedtick());
        self.preempt.load(Ordering::Relaxed) == tag
            && self
                .preempt
                .compare_exchange(tag, 0, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// A P that was not idle when sysmon looked (`PView::observe`), and what sysmon may do to
/// it. Each act re-checks what it needs: the view may be stale by the time sysmon acts.
#[derive(Clone, Copy)]
pub(crate) struct PView<'a> {
    shared: &'a Arc<Shared>,
    p: &'a P,
    /// The poll in progress (its sequence number); `None` while the M is between polls.
    pub(crate) poll: Option<u64>,
    /// The owning M; `None` for the moment between a retake and the hand-off.
    pub(crate) m: Option<&'a M>,
    /// The P's `schedtick` when sysmon looked: the slice it judges, and the one a
    /// preemption request names.
    tick: u32,
}

impl<'a> PView<'a> {
    /// sysmon's look at P `pid` this round: `None` while it is idle.
    pub(crate) fn observe(shared: &'a Arc<Shared>, pid: usize) -> Option<PView<'a>> {
        let p = &shared.ps[pid];
        let poll = match p.status() {
            PStatus::Idle => return None,
            PStatus::InPoll(seq) => Some(seq),
            PStatus::Owned => None,
        };
        Some(PView {
            shared,
            p,
            poll,
            m: p.m(),
            tick: p.schedtick(),
        })
    }

    /// The slice seen (its `schedtick`, read when sysmon looked).
    pub(crate) fn schedtick(&self) -> u32 {
        self.tick
    }

    /// Whether the M in the poll seen holds up work: the P's queue, the M's spawn buffer, or
    /// the global queue (which no other M may be draining). A retake with none would only
    /// cost a thread switch.
    pub(crate) fn holds_up_work(&self) -> bool {
        !self.p.runq().is_empty()
            || self.m.is_some_and(|m| !m.buffer.is_empty())
            || !self.shared.global.is_empty()
    }

    /// Go's `retake` of a P in a syscall: takes the P from its M, still in the poll seen, and
    /// hands it to another M; the poll is asked to yield (its budget reads zero, coop.rs), and
    /// at its end the M finds the P gone (ownership step 4). False if that poll has ended
    /// meanwhile.
    pub(crate) fn retake(&self) -> bool {
        let (Some(seq), Some(m)) = (self.poll, self.m) else {
            return false;
        };
        if !self.shared.retake_and_handoff(self.p.id, seq, m) {
            return false;
        }
        m.preempt
            .store(poll_id(self.p.id, seq, self.shared.ps.len()), Ordering::Relaxed);
        true
    }

    /// The M has started no poll for a while (sysmon's judgement): if tasks wait on the P or
    /// in the M's spawn buffer and some P is idle, wake an M to steal them (`wakep`). True if
    /// it did.
    pub(crate) fn wake_thief(&self) -> bool {
        let Some(m) = self.m else {
            return false;
        };
        if self.shared.idle.idle_p_count() > 0 && (!self.p.runq().is_empty() || !m.buffer.is_empty()) {
            self.shared.wakep();
            return true;
        }
        false
    }

    /// Go's `preemptone`: the P's slice ran out. Sets the P's `preempt` flag (find step 1
    /// sends the task that would inherit the slice to the global tail) and, during a poll, the
    /// M's (the task's budget reads zero, so it yields at its next gosched resource). True if a
    /// poll was asked to yield.
    pub(crate) fn request_preempt(&self) -> bool {
        // Names the slice seen: if the owner started a new one since, it ignores this.
        self.p.preempt.store(slice_tag(self.tick), Ordering::Relaxed);
        match (self.poll, self.m) {
            (Some(seq), Some(m)) => {
                // Names the poll seen: if it has ended by now, the M's next poll (here or on
                // another P) has another identity and ignores the request (coop.rs).
                m.preempt
                    .store(poll_id(self.p.id, seq, self.shared.ps.len()), Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }
}

impl WorkerCx {
    /// `block_in_place`: this M, inside a poll, hands its P to another M for the rest of the
    /// poll (Go's `entersyscall` made eager); at the poll's end it finds the P gone
    /// (ownership step 4). False if it holds no P, is not inside a poll, or no longer owns
    /// the P: `cx.p` still names it until the poll ends, but an earlier `block_in_place` of
    /// this poll or a sysmon retake may have handed it on, and only the owner may hand a P
    /// off (module docs, `OwnedP`).
    pub(crate) fn hand_off_p_in_poll(&self) -> bool {
        let Some(pid) = self.p.get() else {
            return false;
        };
        let p = &self.shared.ps[pid];
        // The status first, then the owner: a poll `seq` that another M began was published
        // (Release) after that M became the owner (`set_owned`), and this M, still inside its
        // own poll, cannot become the owner again; so if `seq` is not this M's poll, the owner
        // read below is not this M. (The other order would let a retake and a new poll slip
        // in between, and the CAS would take the P from that poll.)
        let PStatus::InPoll(seq) = p.status() else {
            return false;
        };
        if !p.is_owned_by(&self.m) {
            return false;
        }
        self.shared.retake_and_handoff(pid, seq, &self.m)
    }
}

/// The polling task is yielding because sysmon preempted it: its requeue goes to the global
/// tail (Go's `gopreempt_m`), counted and traced. The budget calls it (task/coop.rs), through
/// the hook each M installs at its start (worker.rs).
pub(crate) fn note_preempted() {
    super::context::with_worker(|cx| {
        if let Some(cx) = cx {
            cx.preempted.set(true);
            cx.shared.preemptions.fetch_add(1, Ordering::Relaxed);
            cx.m.trace_instant(&cx.shared.diag, crate::diag::export::Kind::Preempt, 1);
            crate::task::set_current_wait(crate::task::WAIT_PREEMPTED);
        }
    });
}

/// The identity of poll `seq` of P `pid` among `nprocs` Ps, as sysmon's preempt request names
/// it (`M::preempt`, coop.rs): never 0 (`seq` starts at 1), and different for any two polls of
/// the runtime (it wraps only after 2^64 / `nprocs` polls of one P).
#[inline]
pub(crate) fn poll_id(pid: usize, seq: u64, nprocs: usize) -> u64 {
    seq.wrapping_mul(nprocs as u64).wrapping_add(pid as u64)
}

/// `P::preempt`'s name for the slice with `schedtick` `tick`: never 0 (0 is "no request").
#[inline]
fn slice_tag(tick: u32) -> u64 {
    u64::from(tick) + 1
}

fn decode(word: u64) -> PStatus {
    match word & KIND_MASK {
        IDLE => PStatus::Idle,
        OWNED => PStatus::Owned,
        _ => PStatus::InPoll(word >> KIND_BITS),
    }
}
