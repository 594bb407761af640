//! Idle Ps and Ms, and spinning (Go's `sched.pidle`, `sched.midle`, `sched.npidle`,
//! `sched.nmspinning`): [`Idle`], with `pidleget`/`pidleput`, `wakep`'s decision, every
//! spinning transition and protocol B's two halves. The protocols are written out in
//! sched/mod.rs ("Spinning and parking"): "protocol A/B step N" refers to them, "find step N"
//! to the list "Where an M looks for work". Starting and parking the Ms themselves (`wakep`,
//! `startm`, `stopm`) is ms.rs.
//!
//! Every change of `nmspinning` is one of the transitions here: an M starts spinning
//! (`WorkerCx::try_spin`, `start_spinning`, or adopts the count its waker claimed:
//! `adopt_spinning`), stops (`stop_spinning`, `reset_spinning`, `Idle::release_p`), takes it
//! back on protocol B's re-check (`Idle::recheck_and_acquire`); a waker claims the one
//! spinner slot (`Idle::claim_p_for_spinner`, `Idle::claim_first_spinner`) or gives it back
//! (`Idle::unclaim_spinner`).
//!
//! `Idle` needs only the Ps and a global queue, not a whole runtime, so the loom model of
//! protocols A and B (tests/loom_park.rs) runs this code.

use super::context::WorkerCx;
use super::global::GlobalQueue;
use super::m::M;
use super::p::{OwnedP, P};
use crate::loom::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use crate::loom::{Arc, Mutex, MutexGuard};
use crate::task::Notified;
use crate::task::link::Link;
use crossbeam_deque::Worker;

/// Data under the sched lock (Go's `sched.lock`).
pub(crate) struct Synced {
    /// Idle Ps, as a stack (Go's `pidle`), with their ownership (p.rs).
    pub(super) idle_ps: Vec<OwnedP>,
    /// Parked Ms without a P (Go's `midle`).
    pub(super) idle_ms: Vec<Arc<M>>,
    /// Ms whose thread exited as surplus (ms.rs, `stopm`), with their spawn buffers: the
    /// next M to start reuses one (`new_m`), so the list of Ms does not grow with every burst.
    pub(super) retired: Vec<(Arc<M>, Worker<Notified>)>,
}

/// The idle Ps and Ms and the spinning count.
///
/// # Fields
/// - `sched`: the sched lock and what it guards.
/// - `npidle` mirrors the length of the idle-P list for lock-free reads and changes only with
///   it (`pidleget`, `pidleput`).
/// - `nmspinning` changes only through the spinning transitions of this file (protocols A and
///   B in mod.rs).
/// - `nprocs`: the number of Ps, fixed.
/// - `unfenced` (loom only): the broken twin of protocol B, without step 3's fence.
pub(crate) struct Idle {
    sched: Mutex<Synced>,
    npidle: AtomicUsize,
    nmspinning: AtomicUsize,
    nprocs: usize,
    #[cfg(loom)]
    unfenced: bool,
}

impl Idle {
    /// Every P idle: `idle_ps` holds all their tokens (`P::all`).
    pub(crate) fn new(mut idle_ps: Vec<OwnedP>) -> Idle {
        let n = idle_ps.len();
        // Idle stack: P0 on top, so a lone runtime keeps using P0.
        idle_ps.reverse();
        Idle {
            sched: Mutex::new(Synced {
                idle_ps,
                idle_ms: Vec::new(),
                retired: Vec::new(),
            }),
            npidle: AtomicUsize::new(n),
            nmspinning: AtomicUsize::new(0),
            nprocs: n,
            #[cfg(loom)]
            unfenced: false,
        }
    }

    /// A state in the middle of a run, for the loom model: `idle_ps` idle out of `nprocs`,
    /// `nmspinning` Ms spinning; `unfenced`: protocol B without its fence (the broken twin).
    #[cfg(all(loom, test))]
    pub(crate) fn for_model(idle_ps: Vec<OwnedP>, nprocs: usize, nmspinning: usize, unfenced: bool) -> Idle {
        Idle {
            npidle: AtomicUsize::new(idle_ps.len()),
            sched: Mutex::new(Synced {
                idle_ps,
                idle_ms: Vec::new(),
                retired: Vec::new(),
            }),
            nmspinning: AtomicUsize::new(nmspinning),
            nprocs,
            unfenced,
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Synced> {
        self.sched.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Idle Ps now (metrics; a relaxed read of a moving count).
    pub(crate) fn idle_p_count(&self) -> usize {
        self.npidle.load(Ordering::Relaxed)
    }

    /// Spinning Ms now (metrics; a relaxed read of a moving count).
    pub(crate) fn spinning_m_count(&self) -> usize {
        self.nmspinning.load(Ordering::Relaxed)
    }

    /// Parked Ms without a P now (metrics).
    pub(crate) fn idle_m_count(&self) -> usize {
        self.lock().idle_ms.len()
    }

    /// `npidle`, SeqCst (sysmon's re-check after it published a long sleep; `Shared::put_idle_p`).
    pub(crate) fn npidle_seqcst(&self) -> usize {
        self.npidle.load(Ordering::SeqCst)
    }

    /// Whether every P is idle. SeqCst: sysmon's sleep re-reads it after publishing that it
    /// sleeps long (pairs with `pidleget` and `SysmonNote::kick`), and an M about to block in
    /// the poller reads it after its own `pidleput`, so the M that idles the last P sees it.
    pub(crate) fn all_ps_idle(&self) -> bool {
        self.npidle.load(Ordering::SeqCst) == self.nprocs
    }

    /// Go's `pidleget`: a P off the idle list, and with it its ownership (p.rs). Caller holds
    /// the sched lock.
    pub(super) fn pidleget(&self, synced: &mut Synced) -> Option<OwnedP> {
        let p = synced.idle_ps.pop()?;
        // SeqCst: protocol A step 3 reads it.
        self.npidle.fetch_sub(1, Ordering::SeqCst);
        Some(p)
    }

    /// Go's `pidleput`: the P and its ownership go back to the idle list. Caller holds the
    /// sched lock.
    pub(super) fn pidleput(&self, ps: &[P], synced: &mut Synced, p: OwnedP) {
        ps[p.id()].set_idle(&p);
        synced.idle_ps.push(p);
        // SeqCst: protocol B step 1; pairs with the submitter's load in `wakep`.
        self.npidle.fetch_add(1, Ordering::SeqCst);
    }

    /// `pidleget` under the sched lock.
    pub(super) fn take(&self) -> Option<OwnedP> {
        self.pidleget(&mut self.lock())
    }

    /// `pidleput` under the sched lock; returns `npidle` after it (SeqCst).
    pub(super) fn put(&self, ps: &[P], p: OwnedP) -> usize {
        let mut synced = self.lock();
        self.pidleput(ps, &mut synced, p);
        drop(synced);
        self.npidle.load(Ordering::SeqCst)
    }

    /// Protocol A step 2, inlined into `wakep`: whether a P may be idle (SeqCst, as in
    /// `claim_spinning_m`, which loads it again).
    #[inline]
    pub(super) fn any_p_idle(&self) -> bool {
        self.npidle.load(Ordering::SeqCst) != 0
    }

    /// Protocol A steps 2–3 (sched/mod.rs), `wakep`'s decision: if a P is idle and nobody
    /// spins, an idle P for the caller to start a spinning M on; the caller then owns the
    /// `nmspinning` count added here (or gives it back with `unclaim_spinner`).
    ///
    /// No fence before the loads: a global-queue push publishes with a SeqCst store, which these
    /// SeqCst loads cannot pass; a task put on the caller's own buffer or P is run by the caller
    /// anyway, so a stale read costs parallelism, never the task (the loom model
    /// `loom_park_submit_vs_park` checks the global-queue case against protocol B).
    pub(crate) fn claim_p_for_spinner(&self) -> Option<OwnedP> {
        if !self.claim_spinning_m() {
            return None;
        }
        let p = self.take();
        if p.is_none() {
            self.unclaim_spinner();
        }
        p
    }

    /// Protocol A steps 2–3 without the P: true if the caller must start a spinning M.
    fn claim_spinning_m(&self) -> bool {
        // SeqCst: pairs with protocol B's `pidleput` and fence.
        if self.npidle.load(Ordering::SeqCst) == 0 {
            return false;
        }
        self.claim_first_spinner()
    }

    /// `nmspinning` 0 → 1, if nobody spins: the caller becomes (starts) the one spinning M. A
    /// load first, so a busy runtime does not write the shared line.
    pub(crate) fn claim_first_spinner(&self) -> bool {
        self.nmspinning.load(Ordering::SeqCst) == 0
            && self
                .nmspinning
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
    }

    /// Gives back a spinner count claimed for an M that will not run.
    pub(crate) fn unclaim_spinner(&self) {
        self.nmspinning.fetch_sub(1, Ordering::SeqCst);
    }

    /// Find step 6's gate: fewer spinning Ms than half the busy Ps.
    fn may_spin(&self) -> bool {
        let busy = self.nprocs - self.npidle.load(Ordering::SeqCst);
        2 * self.nmspinning.load(Ordering::SeqCst) < busy
    }

    fn count_spinning(&self) {
        self.nmspinning.fetch_add(1, Ordering::SeqCst);
    }

    fn uncount_spinning(&self) {
        // SeqCst: protocol B step 2; pairs with `wakep`'s loads.
        self.nmspinning.fetch_sub(1, Ordering::SeqCst);
    }

    /// Protocol B steps 1–2: P `p` goes idle (`pidleput`), then its M, if it was spinning
    /// (`spinning`; the caller cleared its own flag), stops counting. Returns `npidle` after
    /// step 1.
    pub(crate) fn release_p(&self, ps: &[P], p: OwnedP, spinning: bool) -> usize {
        let npidle = self.put(ps, p);
        if spinning {
            self.uncount_spinning();
        }
        npidle
    }

    /// Protocol B step 3: after the fence, look at the global queue and every P's queue once
    /// more; if something arrived, take an idle P back (counted as spinning again if the M
    /// was: `was_spinning`). `None`: nothing there, no idle P left, or `shutdown` is set.
    pub(crate) fn recheck_and_acquire<T: Link>(
        &self,
        ps: &[P],
        global: &GlobalQueue<T>,
        shutdown: &AtomicBool,
        was_spinning: bool,
    ) -> Option<OwnedP> {
        #[cfg(loom)]
        let fenced = !self.unfenced;
        #[cfg(not(loom))]
        let fenced = true;
        if fenced {
            // SeqCst fence: pairs with the global queue's SeqCst length store and `wakep`'s
            // SeqCst loads: either the submitter sees our P idle, or we see its task here.
            fence(Ordering::SeqCst);
        }
        if shutdown.load(Ordering::Acquire) {
            return None;
        }
        let work = !global.is_empty() || ps.iter().any(|p| !p.runq().is_empty());
        if !work {
            return None;
        }
        let p = self.take()?;
        if was_spinning {
            self.count_spinning();
        }
        Some(p)
    }
}

/// The M's own spinning transitions (Go's `mp.spinning` with `sched.nmspinning`).
impl WorkerCx {
    /// Find step 6's gate: spinning already, or become a spinning M if fewer than half the busy
    /// Ps have one. True: this M may steal.
    pub(crate) fn try_spin(&self) -> bool {
        if self.is_spinning() {
            return true;
        }
        if !self.shared.idle.may_spin() {
            return false;
        }
        self.start_spinning();
        true
    }

    /// Becomes a spinning M (counted).
    pub(crate) fn start_spinning(&self) {
        debug_assert!(!self.is_spinning());
        self.set_spinning(true);
        self.shared.idle.count_spinning();
    }

    /// Starts with the spinning state its waker gave it: the count was already added by
    /// `claim_p_for_spinner` (or `claim_first_spinner`) on the waker's side.
    pub(crate) fn adopt_spinning(&self, spinning: bool) {
        self.set_spinning(spinning);
    }

    /// Stops spinning (protocol B step 2); returns whether it was.
    pub(crate) fn stop_spinning(&self) -> bool {
        let was = self.is_spinning();
        if was {
            self.set_spinning(false);
            self.shared.idle.uncount_spinning();
        }
        was
    }

    /// Go's `resetspinning`: a spinning M found work; another may need to start spinning, so a
    /// burst of work brings up Ms one after another.
    pub(crate) fn reset_spinning(&self) {
        if self.stop_spinning() {
            self.shared.wakep();
        }
    }
}
