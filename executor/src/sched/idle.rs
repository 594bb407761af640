//! Idle Ps and Ms, spinning, and waking (Go's `pidleget`/`pidleput`, `wakep`, `startm`,
//! `stopm`). The protocols are written out in sched/mod.rs ("Spinning and parking"): "protocol
//! A/B step N" refers to them, "find step N" to the list "Where an M looks for work".
//!
//! Every change of `nmspinning` is one of the transitions here: an M starts spinning
//! (`WorkerCx::try_spin`, `start_spinning`, or adopts the count its waker claimed:
//! `adopt_spinning`), stops (`stop_spinning`, `reset_spinning`); a waker claims the one
//! spinner slot (`claim_spinning_m`, `claim_first_spinner`) or gives it back
//! (`Shared::unclaim_spinner`).

use super::context::WorkerCx;
use super::m::{M, Wakeup};
use super::p::OwnedP;
use super::shared::{Shared, Synced};
use super::worker;
use crate::loom::atomic::{AtomicUsize, Ordering};
use crate::loom::{Arc, MutexGuard};
use crate::task::Notified;
use crossbeam_deque::Worker;
use std::io;

/// Go's `maxmcount`: more Ms than this is a runaway (Ms blocked in user code, each retaken).
pub(crate) const MAX_THREADS: usize = 10_000;

impl Shared {
    pub(super) fn lock_sched(&self) -> MutexGuard<'_, Synced> {
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

    /// Ms whose thread runs now (metrics): started and not retired.
    pub(crate) fn thread_count(&self) -> usize {
        self.nthreads.load(Ordering::Relaxed)
    }

    /// Parked Ms without a P now (metrics).
    pub(crate) fn idle_m_count(&self) -> usize {
        self.lock_sched().idle_ms.len()
    }

    /// `pidleget` under the sched lock, for callers that need nothing else under it, then
    /// Go's `sysmonwake`: every P that starts running comes from here (`wakep`, an M that
    /// finds work on its re-check, the poller or a timer M taking a P for what it woke), so a
    /// sysmon asleep while every P was idle looks again. (Crate-visible for tests that play an
    /// M's part: the token is the ownership, p.rs.)
    pub(crate) fn take_idle_p(&self) -> Option<OwnedP> {
        let p = self.pidleget(&mut self.lock_sched());
        if p.is_some() {
            self.sysmon_note.kick(crate::sysmon::Why::Started);
        }
        p
    }

    /// `pidleput` under the sched lock. If that leaves one P running, no other M watches it
    /// for sysmon (`sysmon::watch_from_m`): a sysmon sleeping long looks again.
    pub(crate) fn put_idle_p(&self, p: OwnedP) {
        let mut synced = self.lock_sched();
        self.pidleput(&mut synced, p);
        drop(synced);
        if self.npidle.load(Ordering::SeqCst) + 1 == self.ps.len() {
            self.sysmon_note.kick(crate::sysmon::Why::Lone);
        }
    }

    /// `npidle`, SeqCst (sysmon's re-check after it published a long sleep).
    pub(crate) fn npidle_seqcst(&self) -> usize {
        self.npidle.load(Ordering::SeqCst)
    }

    /// Whether every P is idle. SeqCst: sysmon's sleep re-reads it after publishing that it
    /// sleeps long (pairs with `pidleget` and `SysmonNote::kick`), and an M about to block in
    /// the poller reads it after its own `pidleput`, so the M that idles the last P sees it.
    pub(crate) fn all_ps_idle(&self) -> bool {
        self.npidle.load(Ordering::SeqCst) == self.ps.len()
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
    pub(super) fn pidleput(&self, synced: &mut Synced, p: OwnedP) {
        self.ps[p.id()].set_idle(&p);
        synced.idle_ps.push(p);
        // SeqCst: protocol B step 1; pairs with the submitter's load in `wakep`.
        self.npidle.fetch_add(1, Ordering::SeqCst);
    }

    /// Go's `wakep`: if a P is idle and no M is spinning, start one spinning M for it.
    /// Protocol A step 3: called after a task was made runnable. Inlined up to the first
    /// load (every yield calls it, and on a busy runtime no P is idle); the rest is
    /// `wakep_slow`.
    #[inline]
    pub(crate) fn wakep(self: &Arc<Self>) {
        // SeqCst: protocol A step 2, as in `claim_spinning_m` (which loads it again).
        if self.npidle.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.wakep_slow();
    }

    /// `wakep` once a P looked idle.
    #[inline(never)]
    fn wakep_slow(self: &Arc<Self>) {
        if !claim_spinning_m(&self.npidle, &self.nmspinning) {
            return;
        }
        match self.take_idle_p() {
            Some(p) => self.startm(p, true),
            None => self.unclaim_spinner(),
        }
    }

    /// Gives back a spinner count claimed by `claim_spinning_m` for an M that will not run.
    fn unclaim_spinner(&self) {
        self.nmspinning.fetch_sub(1, Ordering::SeqCst);
    }

    /// Go's `startm`: runs P `p` on an idle M, or a new one (a new thread for a retired M's
    /// shared half, if there is one).
    pub(crate) fn startm(self: &Arc<Self>, p: OwnedP, spinning: bool) {
        let (idle, retired) = {
            let mut synced = self.lock_sched();
            match synced.idle_ms.pop() {
                Some(m) => (Some(m), None),
                None => (None, synced.retired.pop()),
            }
        };
        match idle {
            Some(m) => m.start(p, spinning),
            None => {
                if let Err((e, p)) = self.new_m(p, spinning, retired) {
                    // During shutdown no M is needed (and none may start): no message then.
                    if !self.is_shutdown() {
                        eprintln!("gosched: cannot start a worker thread: {e}");
                    }
                    self.put_idle_p(p);
                    if spinning {
                        self.unclaim_spinner();
                    }
                }
            }
        }
    }

    /// Go's `newm`: a new worker thread that starts with P `p` (handed over through its park
    /// slot, as to an idle M), for a retired M's shared half if `reuse` has one, else a new
    /// one. On failure the P comes back (and `reuse` goes back to the retired list).
    fn new_m(
        self: &Arc<Self>,
        p: OwnedP,
        spinning: bool,
        reuse: Option<(Arc<M>, Worker<Notified>)>,
    ) -> Result<(), (io::Error, OwnedP)> {
        let result = self.new_m_locked(p, spinning, reuse);
        result.map_err(|(e, p, reuse)| {
            if let Some(pair) = reuse {
                self.lock_sched().retired.push(pair);
            }
            (e, p)
        })
    }

    /// `new_m` under the `ms` lock (the sched lock is never taken inside it).
    #[allow(clippy::type_complexity)]
    fn new_m_locked(
        self: &Arc<Self>,
        p: OwnedP,
        spinning: bool,
        reuse: Option<(Arc<M>, Worker<Notified>)>,
    ) -> Result<(), (io::Error, OwnedP, Option<(Arc<M>, Worker<Notified>)>)> {
        let shared = self.clone();
        let mut ms = self.ms.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_shutdown() {
            // Shutdown has told every M to exit and is joining them: a new one would be missed.
            return Err((io::Error::other("the runtime is shutting down"), p, reuse));
        }
        if self.nthreads.load(Ordering::Relaxed) >= MAX_THREADS {
            let e = io::Error::other(format!(
                "thread limit reached ({MAX_THREADS} Ms, like Go's maxmcount)"
            ));
            return Err((e, p, reuse));
        }
        let fresh = reuse.is_none();
        let (m, buffer) = reuse.unwrap_or_else(|| {
            let buffer = Worker::new_fifo();
            let m = Arc::new(M::new(
                ms.len(),
                buffer.stealer(),
                self.config.trace.is_some() || self.config.flight_recorder,
            ));
            (m, buffer)
        });
        let mut builder = std::thread::Builder::new().name(self.config.thread_name.clone());
        if let Some(size) = self.config.stack_size {
            builder = builder.stack_size(size);
        }
        let m2 = m.clone();
        m.start(p, spinning);
        // Auto-advance hold (time/clock.rs rule 1): the new M is awake from its start.
        self.hold();
        // The closure takes the buffer, and a failed spawn drops it: a retired M's shared half
        // then stays in `ms` only (its stealer has no buffer to steal from any more).
        let spawned = builder.spawn(move || worker::m_main(shared, m2, buffer));
        let handle = match spawned {
            Ok(handle) => handle,
            Err(e) => {
                self.let_go();
                return Err((e, m.unstart().expect("a thread that never ran took its P"), None));
            }
        };
        if fresh {
            ms.push(m);
        }
        self.nthreads.fetch_add(1, Ordering::Relaxed);
        // Under the `ms` lock, so shutdown (which sets its flag, then reads `ms`, then takes
        // `threads`) joins every M it told to exit. Handles of retired threads that have
        // exited are dropped here, which lets the system free them.
        let mut threads = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        threads.retain(|h| !h.is_finished());
        threads.push(handle);
        drop(threads);
        drop(ms);
        Ok(())
    }

    /// Go's `stopm`: parks this M until it is handed a P (or the runtime exits). Unlike Go's,
    /// an M that stays parked for the keep-alive (`Config::m_keep_alive`) while more Ms are
    /// alive than the Ps and the poller need (`maxprocs` + 1) retires: `Wakeup::Retire`, and
    /// its thread exits (worker.rs).
    pub(crate) fn stopm(&self, cx: &WorkerCx) -> Wakeup {
        debug_assert!(cx.p.get().is_none() && !cx.is_spinning());
        self.lock_sched().idle_ms.push(cx.m.clone());
        if self.is_shutdown() {
            return Wakeup::Exit;
        }
        self.let_go();
        self.trace_instant(&cx.m, crate::diag::export::Kind::Park, 1);
        let wakeup = loop {
            if let Some(wakeup) = cx.m.park_timeout(self.config.m_keep_alive) {
                self.trace_instant(&cx.m, crate::diag::export::Kind::Park, 0);
                break wakeup;
            }
            if self.retire_if_surplus(&cx.m) {
                // No hold: the thread exits (time/clock.rs rule 1 counts awake Ms).
                return Wakeup::Retire;
            }
        };
        self.hold();
        wakeup
    }

    /// `m` was parked for the keep-alive: if more Ms are alive than `maxprocs` + 1 and `m` is
    /// still on the idle list (`startm` did not just take it), it leaves the list and the count.
    fn retire_if_surplus(&self, m: &Arc<M>) -> bool {
        let mut synced = self.lock_sched();
        if self.nthreads.load(Ordering::Relaxed) <= self.ps.len() + 1 {
            return false;
        }
        let Some(i) = synced.idle_ms.iter().position(|x| Arc::ptr_eq(x, m)) else {
            // Taken by `startm`: its P is in the park slot.
            return false;
        };
        synced.idle_ms.swap_remove(i);
        self.nthreads.fetch_sub(1, Ordering::Relaxed);
        true
    }

    /// A retired M's thread is exiting: its shared half and spawn buffer wait for the next
    /// `new_m`.
    pub(crate) fn retired(&self, m: Arc<M>, buffer: Worker<Notified>) {
        debug_assert!(buffer.is_empty(), "a retiring M left tasks in its buffer");
        self.lock_sched().retired.push((m, buffer));
    }

    /// `stopm` for at most `timeout`. `None`: it ran out and this M is off the idle list
    /// again (no one can hand it a P any more), still without a P.
    pub(crate) fn stopm_timeout(&self, cx: &WorkerCx, timeout: std::time::Duration) -> Option<Wakeup> {
        debug_assert!(cx.p.get().is_none() && !cx.is_spinning());
        self.lock_sched().idle_ms.push(cx.m.clone());
        if self.is_shutdown() {
            return Some(Wakeup::Exit);
        }
        self.let_go();
        self.trace_instant(&cx.m, crate::diag::export::Kind::Park, 1);
        let woken = cx.m.park_timeout(timeout);
        self.trace_instant(&cx.m, crate::diag::export::Kind::Park, 0);
        self.hold();
        if let Some(w) = woken {
            return Some(w);
        }
        let mut synced = self.lock_sched();
        match synced.idle_ms.iter().position(|m| Arc::ptr_eq(m, &cx.m)) {
            Some(i) => {
                synced.idle_ms.swap_remove(i);
                None
            }
            // `startm` took this M off the list just now: its P is on the way.
            None => {
                drop(synced);
                Some(cx.m.park())
            }
        }
    }

    /// Records an instant trace event on `m`'s track (one branch when tracing is off).
    pub(crate) fn trace_instant(&self, m: &M, kind: crate::diag::export::Kind, n: u64) {
        if let Some(ring) = m.trace() {
            ring.instant(kind, self.diag.clock.ticks(), n);
        }
    }

    /// Go's `handoffp`: a P whose M cannot run it (retaken, or entering `block_in_place`) goes
    /// to another M if there is work for it, else to the idle list.
    pub(crate) fn handoffp(self: &Arc<Self>, p: OwnedP) {
        if self.is_shutdown() {
            // Every M is being told to exit and every task cancelled: the P stays idle.
            return self.put_idle_p(p);
        }
        let has_work = !self.ps[p.id()].runq().is_empty() || !self.global.is_empty();
        if has_work {
            return self.startm(p, false);
        }
        // No local work: start a spinning M if none spins, so other Ps' work still gets stolen.
        if claim_first_spinner(&self.nmspinning) {
            return self.startm(p, true);
        }
        self.put_idle_p(p);
    }
}

impl Shared {
    /// Shutdown's `cancel_all` (runtime/rt.rs): empties the local queues, each through its
    /// owner's view, so it first collects the tokens it can reach once the Ms were told to exit
    /// and joined (or given up on, by `shutdown_timeout`): the idle list, Ps handed to an M that
    /// never picked them up (`M::unstart`), and Ps of an M stuck in a poll (retaken as sysmon
    /// would). The Ps go back to the idle list. A P held by an M still running between polls
    /// stays that M's: it empties the queue itself when it sees the shutdown (find.rs).
    pub(crate) fn drain_local_queues(&self) -> Vec<Notified> {
        let mut owned = Vec::new();
        {
            let mut synced = self.lock_sched();
            owned.extend(std::iter::from_fn(|| self.pidleget(&mut synced)));
        }
        owned.extend(self.all_ms().iter().filter_map(|m| m.unstart()));
        for p in self.ps.iter() {
            if let super::p::PStatus::InPoll(seq) = p.status() {
                owned.extend(p.try_retake(seq));
            }
        }
        let tasks = owned.iter().flat_map(|p| self.local(p).drain()).collect();
        let mut synced = self.lock_sched();
        for p in owned {
            self.pidleput(&mut synced, p);
        }
        tasks
    }
}

/// Protocol A steps 2–3 (sched/mod.rs), the decision half of `wakep`: true if the caller must
/// start a spinning M, and then owns the `nmspinning` count it added.
///
/// No fence before the loads: a global-queue push publishes with a SeqCst store, which these
/// SeqCst loads cannot pass; a task put on the caller's own buffer or P is run by the caller
/// anyway, so a stale read costs parallelism, never the task (the loom model
/// `loom_park_submit_vs_park` checks the global-queue case against protocol B).
pub(crate) fn claim_spinning_m(npidle: &AtomicUsize, nmspinning: &AtomicUsize) -> bool {
    // SeqCst: pairs with protocol B's `pidleput` and fence.
    if npidle.load(Ordering::SeqCst) == 0 {
        return false;
    }
    claim_first_spinner(nmspinning)
}

/// `nmspinning` 0 → 1, if nobody spins: the caller becomes (starts) the one spinning M. A
/// load first, so a busy runtime does not write the shared line.
pub(crate) fn claim_first_spinner(nmspinning: &AtomicUsize) -> bool {
    nmspinning.load(Ordering::SeqCst) == 0
        && nmspinning
            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
}

/// The M's own spinning transitions (Go's `mp.spinning` with `sched.nmspinning`).
impl WorkerCx {
    /// Find step 6's gate: spinning already, or become a spinning M if fewer than half the busy
    /// Ps have one. True: this M may steal.
    pub(crate) fn try_spin(&self) -> bool {
        if self.is_spinning() {
            return true;
        }
        let shared = &self.shared;
        let busy = shared.ps.len() - shared.npidle.load(Ordering::SeqCst);
        if 2 * shared.nmspinning.load(Ordering::SeqCst) >= busy {
            return false;
        }
        self.start_spinning();
        true
    }

    /// Becomes a spinning M (counted).
    pub(crate) fn start_spinning(&self) {
        debug_assert!(!self.is_spinning());
        self.set_spinning(true);
        self.shared.nmspinning.fetch_add(1, Ordering::SeqCst);
    }

    /// Starts with the spinning state its waker gave it: the count was already added by
    /// `claim_spinning_m` (or `claim_first_spinner`) on the waker's side.
    pub(crate) fn adopt_spinning(&self, spinning: bool) {
        self.set_spinning(spinning);
    }

    /// Stops spinning (protocol B step 2); returns whether it was.
    pub(crate) fn stop_spinning(&self) -> bool {
        let was = self.is_spinning();
        if was {
            self.set_spinning(false);
            // SeqCst: protocol B step 2; pairs with `wakep`'s loads.
            self.shared.nmspinning.fetch_sub(1, Ordering::SeqCst);
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
