//! The Ms: starting them (Go's `wakep`, `startm`, `newm`), parking them (`stopm`), retiring a
//! surplus one, and handing a P on to another M (`handoffp`, sysmon's retake, the lost-buffer
//! sweep). The idle lists and the spinning count these use are idle.rs; the protocols are in
//! sched/mod.rs ("Spinning and parking").

use super::context::WorkerCx;
use super::m::{M, NO_P, Wakeup};
use super::p::OwnedP;
use super::shared::Shared;
use super::worker;
use crate::loom::atomic::{AtomicUsize, Ordering};
use crate::loom::{Arc, Mutex};
use crate::task::Notified;
use crossbeam_deque::Worker;
use std::io;
use std::thread;

/// Go's `maxmcount`: more Ms than this is a runaway (Ms blocked in user code, each retaken).
pub(crate) const MAX_THREADS: usize = 10_000;

/// Every M of a runtime and the threads that run them.
///
/// # Fields
/// - `all`: every M ever started; Ms are never freed before the runtime (their `Arc` stays
///   here, a retired M's too), so `P::m` pointers stay valid and their counters stay in the
///   metrics.
/// - `nthreads`: Ms whose thread runs (started, not retired).
/// - `threads`: the join handles. `new_m` checks the shutdown flag and registers both under
///   the `all` lock, and `Shared::begin_shutdown` sets the flag before it reads `all`, so
///   `take_threads` afterwards holds every M that was told to exit.
pub(crate) struct Ms {
    all: Mutex<Vec<Arc<M>>>,
    nthreads: AtomicUsize,
    threads: Mutex<Vec<thread::JoinHandle<()>>>,
}

impl Ms {
    pub(crate) fn new() -> Ms {
        Ms {
            all: Mutex::new(Vec::new()),
            nthreads: AtomicUsize::new(0),
            threads: Mutex::new(Vec::new()),
        }
    }

    /// Every M's shared half, cloned out of the lock.
    pub(crate) fn all(&self) -> Vec<Arc<M>> {
        self.all.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Ms whose thread runs now (metrics): started and not retired.
    pub(crate) fn thread_count(&self) -> usize {
        self.nthreads.load(Ordering::Relaxed)
    }

    /// The join handles of every M started so far (after `begin_shutdown`: of every M).
    pub(crate) fn take_threads(&self) -> Vec<thread::JoinHandle<()>> {
        std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Shared {
    /// `pidleget` under the sched lock, for callers that need nothing else under it, then
    /// Go's `sysmonwake`: every P that starts running comes from here (`wakep`, an M that
    /// finds work on its re-check, the poller or a timer M taking a P for what it woke), so a
    /// sysmon asleep while every P was idle looks again. (Crate-visible for tests that play an
    /// M's part: the token is the ownership, p.rs.)
    pub(crate) fn take_idle_p(&self) -> Option<OwnedP> {
        let p = self.idle.take();
        if p.is_some() {
            self.p_started();
        }
        p
    }

    /// Go's `sysmonwake`, after a P left the idle list.
    pub(super) fn p_started(&self) {
        self.sysmon_note.kick(crate::sysmon::Why::Started);
    }

    /// `pidleput` under the sched lock, then `p_idled`.
    pub(crate) fn put_idle_p(&self, p: OwnedP) {
        let npidle = self.idle.put(&self.ps, p);
        self.p_idled(npidle);
    }

    /// A P went idle, leaving `npidle`: if that leaves one P running, no other M watches it
    /// for sysmon (`sysmon::watch_from_m`): a sysmon sleeping long may look again
    /// (`sysmon::left_alone`).
    pub(super) fn p_idled(&self, npidle: usize) {
        if npidle + 1 == self.ps.len() {
            crate::sysmon::left_alone(self);
        }
    }

    /// Go's `wakep`: if a P is idle and no M is spinning, start one spinning M for it.
    /// Protocol A step 3: called after a task was made runnable. Inlined up to the first
    /// load (every yield calls it, and on a busy runtime no P is idle); the rest is
    /// `wakep_slow`.
    #[inline]
    pub(crate) fn wakep(self: &Arc<Self>) {
        if !self.idle.any_p_idle() {
            return;
        }
        self.wakep_slow();
    }

    /// `wakep` once a P looked idle.
    #[inline(never)]
    fn wakep_slow(self: &Arc<Self>) {
        if let Some(p) = self.idle.claim_p_for_spinner() {
            self.p_started();
            self.startm(p, true);
        }
    }

    /// Go's `startm`: runs P `p` on an idle M, or a new one (a new thread for a retired M's
    /// shared half, if there is one).
    pub(crate) fn startm(self: &Arc<Self>, p: OwnedP, spinning: bool) {
        let (idle, retired) = {
            let mut synced = self.idle.lock();
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
                        self.idle.unclaim_spinner();
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
                self.idle.lock().retired.push(pair);
            }
            (e, p)
        })
    }

    /// `new_m` under the `all` lock (the sched lock is never taken inside it).
    #[allow(clippy::type_complexity)]
    fn new_m_locked(
        self: &Arc<Self>,
        p: OwnedP,
        spinning: bool,
        reuse: Option<(Arc<M>, Worker<Notified>)>,
    ) -> Result<(), (io::Error, OwnedP, Option<(Arc<M>, Worker<Notified>)>)> {
        let shared = self.clone();
        let mut ms = self.ms.all.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_shutdown() {
            // Shutdown has told every M to exit and is joining them: a new one would be missed.
            return Err((io::Error::other("the runtime is shutting down"), p, reuse));
        }
        if self.ms.nthreads.load(Ordering::Relaxed) >= MAX_THREADS {
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
        self.time.hold();
        // The closure takes the buffer, and a failed spawn drops it: a retired M's shared half
        // then stays in `all` only (its stealer has no buffer to steal from any more).
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
        self.ms.nthreads.fetch_add(1, Ordering::Relaxed);
        // Under the `all` lock, so shutdown (which sets its flag, then reads `all`, then takes
        // `threads`) joins every M it told to exit. Handles of retired threads that have
        // exited are dropped here, which lets the system free them.
        let mut threads = self.ms.threads.lock().unwrap_or_else(|e| e.into_inner());
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
        self.idle.lock().idle_ms.push(cx.m.clone());
        if self.is_shutdown() {
            return Wakeup::Exit;
        }
        self.let_go();
        cx.m.trace_instant(&self.diag, crate::diag::export::Kind::Park, 1);
        let wakeup = loop {
            if let Some(wakeup) = cx.m.park_timeout(self.config.m_keep_alive) {
                cx.m.trace_instant(&self.diag, crate::diag::export::Kind::Park, 0);
                break wakeup;
            }
            if self.retire_if_surplus(&cx.m) {
                // No hold: the thread exits (time/clock.rs rule 1 counts awake Ms).
                return Wakeup::Retire;
            }
        };
        self.time.hold();
        wakeup
    }

    /// `m` was parked for the keep-alive: if more Ms are alive than `maxprocs` + 1 and `m` is
    /// still on the idle list (`startm` did not just take it), it leaves the list and the count.
    fn retire_if_surplus(&self, m: &Arc<M>) -> bool {
        let mut synced = self.idle.lock();
        if self.ms.nthreads.load(Ordering::Relaxed) <= self.ps.len() + 1 {
            return false;
        }
        let Some(i) = synced.idle_ms.iter().position(|x| Arc::ptr_eq(x, m)) else {
            // Taken by `startm`: its P is in the park slot.
            return false;
        };
        synced.idle_ms.swap_remove(i);
        self.ms.nthreads.fetch_sub(1, Ordering::Relaxed);
        true
    }

    /// A retired M's thread is exiting: its shared half and spawn buffer wait for the next
    /// `new_m`.
    pub(crate) fn retired(&self, m: Arc<M>, buffer: Worker<Notified>) {
        debug_assert!(buffer.is_empty(), "a retiring M left tasks in its buffer");
        self.idle.lock().retired.push((m, buffer));
    }

    /// `stopm` for at most `timeout`. `None`: it ran out and this M is off the idle list
    /// again (no one can hand it a P any more), still without a P.
    pub(crate) fn stopm_timeout(&self, cx: &WorkerCx, timeout: std::time::Duration) -> Option<Wakeup> {
        debug_assert!(cx.p.get().is_none() && !cx.is_spinning());
        self.idle.lock().idle_ms.push(cx.m.clone());
        if self.is_shutdown() {
            return Some(Wakeup::Exit);
        }
        self.let_go();
        cx.m.trace_instant(&self.diag, crate::diag::export::Kind::Park, 1);
        let woken = cx.m.park_timeout(timeout);
        cx.m.trace_instant(&self.diag, crate::diag::export::Kind::Park, 0);
        self.time.hold();
        if let Some(w) = woken {
            return Some(w);
        }
        let mut synced = self.idle.lock();
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
        if self.idle.claim_first_spinner() {
            return self.startm(p, true);
        }
        self.put_idle_p(p);
    }

    /// Takes P `pid` from the M `m` stuck in poll `seq` (sysmon's retake, or `block_in_place`
    /// on its own M) and hands it to another M (Go's `handoffp`). Tasks the poll spawned so far
    /// move from the M's buffer into the P. False if the poll had ended meanwhile.
    pub(super) fn retake_and_handoff(self: &Arc<Self>, pid: usize, seq: u64, m: &M) -> bool {
        let p = &self.ps[pid];
        let Some(owned) = p.try_retake(seq) else {
            return false;
        };
        let local = p.local(&owned);
        m.drain_buffer(|t| local.put(t, false, &self.global));
        self.handoffs.fetch_add(1, Ordering::Relaxed);
        m.trace_instant(&self.diag, crate::diag::export::Kind::Handoff, pid as u64);
        self.handoffp(owned);
        true
    }

    /// sysmon's sweep of lost buffers: an M whose P was retaken while it polls may still push
    /// a task it spawned or woke into its spawn buffer (it checked ownership just before the
    /// retake). No thief looks there any more, so the task moves to the global queue here.
    /// True if it moved any. (A SeqCst fence after every push would close the window on the
    /// M's side instead, at a cost to every spawn and wake: sched/mod.rs, "Rejected
    /// alternatives".)
    pub(crate) fn rescue_lost_buffers(self: &Arc<Self>) -> bool {
        let mut rescued = Vec::new();
        {
            let ms = self.ms.all.lock().unwrap_or_else(|e| e.into_inner());
            for m in ms.iter() {
                if m.buffer.is_empty() {
                    continue;
                }
                let pid = m.p.load(Ordering::Relaxed);
                if pid == NO_P || self.ps[pid].is_owned_by(m) {
                    continue;
                }
                m.drain_buffer(|t| rescued.push(t));
            }
        }
        if rescued.is_empty() {
            return false;
        }
        use super::runq::Overflow;
        self.global.push_batch(rescued);
        self.wakep();
        true
    }
}
