//! The P: the right to run tasks, with its local queue, `schedtick` and the status word that
//! says who owns it (sched/mod.rs, "Who owns a P while a task is being polled").

use super::m::M;
use super::runq::RunQueue;
use crate::loom::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use crate::task::Notified;
use std::ptr;

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
/// - `runq`: see `runq.rs` for who may call what.
/// - `schedtick`, `seq`: written by the owner only, read by sysmon and schedtrace.
/// - `preempt`: set by sysmon every round while the time slice is expired; cleared by the
///   owner when it acts on it (find.rs, step 1) or starts a new slice (`begin_poll`).
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
    pub(crate) runq: RunQueue<Notified>,
    schedtick: AtomicU32,
    seq: AtomicU64,
    pub(crate) preempt: AtomicBool,
    m: AtomicPtr<M>,
    pub(crate) timers: crate::time::heap::Timers,
}

impl P {
    pub(crate) fn new(id: usize) -> P {
        P {
            id,
            status: AtomicU64::new(IDLE),
            runq: RunQueue::new(),
            schedtick: AtomicU32::new(0),
            seq: AtomicU64::new(0),
            preempt: AtomicBool::new(false),
            m: AtomicPtr::new(ptr::null_mut()),
            timers: crate::time::heap::Timers::new(),
        }
    }

    pub(crate) fn status(&self) -> PStatus {
        // Acquire: pairs with the Release stores below, so a retaker sees the queue state the
        // owner left before its poll began.
        decode(self.status.load(Ordering::Acquire))
    }

    /// The P leaves the idle list for `m`. Caller holds the sched lock.
    pub(crate) fn set_owned(&self, m: &M) {
        self.m.store(m as *const M as *mut M, Ordering::Release);
        self.status.store(OWNED, Ordering::Release);
    }

    /// The P goes to the idle list. Caller holds the sched lock and owns the P.
    pub(crate) fn set_idle(&self) {
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

    /// Step 1 of the poll protocol: publish `InPoll(seq)`. Owner only.
    pub(crate) fn begin_poll(&self, inherit: bool) -> u64 {
        if !inherit {
            let t = self.schedtick.load(Ordering::Relaxed);
            self.schedtick.store(t.wrapping_add(1), Ordering::Relaxed);
            // A new slice: a request aimed at the old one is stale (Go's `execute` clears
            // `gp.preempt`). A load first, so the common case writes nothing.
            if self.preempt.load(Ordering::Relaxed) {
                self.preempt.store(false, Ordering::Relaxed);
            }
        }
        let seq = self.seq.load(Ordering::Relaxed).wrapping_add(1) & (u64::MAX >> KIND_BITS);
        self.seq.store(seq, Ordering::Relaxed);
        // Release: everything the owner did to the queues before the poll is visible to a
        // retaker whose Acquire CAS takes the P (sysmon.rs).
        self.status.store((seq << KIND_BITS) | IN_POLL, Ordering::Release);
        seq
    }

    /// Step 3 of the poll protocol: `InPoll(seq)` → `Owned`. False: the P was retaken while
    /// the poll ran and the M must not touch it again.
    pub(crate) fn end_poll(&self, seq: u64) -> bool {
        // AcqRel: on success, Acquire sees nothing new (nobody else touched the P); on failure,
        // Acquire pairs with the retaker's Release so the M sees it lost the P.
        self.status
            .compare_exchange(
                (seq << KIND_BITS) | IN_POLL,
                OWNED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// sysmon's side: takes the P from an M stuck in poll `seq`. True: the caller now owns it.
    pub(crate) fn try_retake(&self, seq: u64) -> bool {
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
        if ok {
            self.m.store(ptr::null_mut(), Ordering::Release);
        }
        ok
    }

    pub(crate) fn schedtick(&self) -> u32 {
        self.schedtick.load(Ordering::Relaxed)
    }
}

fn decode(word: u64) -> PStatus {
    match word & KIND_MASK {
        IDLE => PStatus::Idle,
        OWNED => PStatus::Owned,
        _ => PStatus::InPoll(word >> KIND_BITS),
    }
}
