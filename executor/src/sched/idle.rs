//! Idle Ps and Ms, spinning, and waking (Go's `pidleget`/`pidleput`, `wakep`, `startm`,
//! `stopm`). The protocol is written out in sched/mod.rs; step numbers refer to it.

use super::context::WorkerCx;
use super::m::{M, Wakeup};
use super::shared::{Shared, Synced};
use super::worker;
use crate::loom::atomic::Ordering;
use crate::loom::{Arc, MutexGuard};
use crossbeam_deque::Worker;
use std::io;

/// Go's `maxmcount`: more Ms than this is a runaway (Ms blocked in user code, each retaken).
pub(crate) const MAX_THREADS: usize = 10_000;

impl Shared {
    pub(crate) fn lock_sched(&self) -> MutexGuard<'_, Synced> {
        self.sched.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Go's `pidleget`. Caller holds the sched lock.
    pub(crate) fn pidleget(&self, synced: &mut Synced) -> Option<usize> {
        let p = synced.idle_ps.pop()?;
        // SeqCst: protocol A step 3 reads it.
        self.npidle.fetch_sub(1, Ordering::SeqCst);
        Some(p)
    }

    /// Go's `pidleput`. Caller holds the sched lock and owns the P.
    pub(crate) fn pidleput(&self, synced: &mut Synced, p: usize) {
        self.ps[p].set_idle();
        synced.idle_ps.push(p);
        // SeqCst: protocol B step 1; pairs with the submitter's load in `wakep`.
        self.npidle.fetch_add(1, Ordering::SeqCst);
    }

    /// Go's `wakep`: if a P is idle and no M is spinning, start one spinning M for it.
    /// Protocol A step 3: called after a task was made runnable.
    pub(crate) fn wakep(self: &Arc<Self>) {
        // No fence here (protocol A step 2 in sched/mod.rs): a global-queue push publishes
        // with a SeqCst store, which the SeqCst loads below cannot pass; a task put on this
        // M's own buffer or P is run by this M anyway, so a stale read costs parallelism,
        // never the task.
        if self.npidle.load(Ordering::SeqCst) == 0 {
            return;
        }
        if self.nmspinning.load(Ordering::SeqCst) != 0
            || self
                .nmspinning
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
        {
            return;
        }
        let p = {
            let mut synced = self.lock_sched();
            self.pidleget(&mut synced)
        };
        match p {
            Some(p) => self.startm(p, true),
            None => {
                self.nmspinning.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Go's `startm`: runs P `p` on an idle M, or a new one.
    pub(crate) fn startm(self: &Arc<Self>, p: usize, spinning: bool) {
        self.sysmon_note.kick();
        let idle = self.lock_sched().idle_ms.pop();
        match idle {
            Some(m) => m.start(p, spinning),
            None => {
                if let Err(e) = self.new_m(p, spinning) {
                    eprintln!("gosched: cannot start a worker thread: {e}");
                    let mut synced = self.lock_sched();
                    self.pidleput(&mut synced, p);
                    if spinning {
                        self.nmspinning.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            }
        }
    }

    /// Go's `newm`: a new worker thread that starts with P `p`.
    fn new_m(self: &Arc<Self>, p: usize, spinning: bool) -> io::Result<()> {
        let shared = self.clone();
        let mut ms = self.ms.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_shutdown() {
            // Shutdown has told every M to exit and is joining them: a new one would be missed.
            return Err(io::Error::other("the runtime is shutting down"));
        }
        if ms.len() >= MAX_THREADS {
            return Err(io::Error::other(format!(
                "thread limit reached ({MAX_THREADS} Ms, like Go's maxmcount)"
            )));
        }
        let buffer = Worker::new_fifo();
        let m = Arc::new(M::new(ms.len(), buffer.stealer(), self.config.trace.is_some()));
        let mut builder = std::thread::Builder::new().name(self.config.thread_name.clone());
        if let Some(size) = self.config.stack_size {
            builder = builder.stack_size(size);
        }
        let m2 = m.clone();
        // Auto-advance hold (clock.rs rule 1): the new M is awake from its start.
        self.hold();
        let handle = builder
            .spawn(move || worker::m_main(shared, m2, buffer, p, spinning))
            .inspect_err(|_| self.let_go())?;
        ms.push(m);
        // Under the `ms` lock, so shutdown (which sets its flag, then reads `ms`, then takes
        // `threads`) joins every M it told to exit.
        self.threads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(handle);
        drop(ms);
        Ok(())
    }

    /// Go's `stopm`: parks this M until it is handed a P (or the runtime exits).
    pub(crate) fn stopm(&self, cx: &WorkerCx) -> Wakeup {
        debug_assert!(cx.p.get().is_none() && !cx.is_spinning());
        self.lock_sched().idle_ms.push(cx.m.clone());
        if self.is_shutdown() {
            return Wakeup::Exit;
        }
        self.let_go();
        let wakeup = cx.m.park();
        self.hold();
        wakeup
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
        let woken = cx.m.park_timeout(timeout);
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
    pub(crate) fn trace_instant(&self, m: &M, kind: crate::trace::export::Kind, n: u64) {
        if let Some(ring) = m.trace() {
            ring.instant(kind, self.now_ns(), n);
        }
    }

    /// Takes P `pid` from the M `m` stuck in poll `seq` (sysmon's retake, or `block_in_place`
    /// on its own M) and hands it to another M. Tasks the poll spawned so far move from the M's
    /// buffer into the P. False if the poll had ended meanwhile.
    pub(crate) fn retake_and_handoff(self: &Arc<Self>, pid: usize, seq: u64, m: &M) -> bool {
        let p = &self.ps[pid];
        if !p.try_retake(seq) {
            return false;
        }
        loop {
            match m.buffer.steal() {
                crossbeam_deque::Steal::Success(t) => p.runq.put(t, false, &self.global),
                crossbeam_deque::Steal::Empty => break,
                crossbeam_deque::Steal::Retry => crate::loom::spin_loop(),
            }
        }
        self.handoffs.fetch_add(1, Ordering::Relaxed);
        self.trace_instant(m, crate::trace::export::Kind::Handoff, pid as u64);
        self.handoffp(pid);
        true
    }

    /// Go's `handoffp`: a P whose M cannot run it (retaken, or entering `block_in_place`) goes
    /// to another M if there is work for it, else to the idle list.
    pub(crate) fn handoffp(self: &Arc<Self>, p: usize) {
        let has_work = !self.ps[p].runq.is_empty() || !self.global.is_empty();
        if has_work || self.is_shutdown() {
            return self.startm(p, false);
        }
        // No local work: start a spinning M if none spins, so other Ps' work still gets stolen.
        if self.nmspinning.load(Ordering::SeqCst) == 0
            && self
                .nmspinning
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            return self.startm(p, true);
        }
        let mut synced = self.lock_sched();
        self.pidleput(&mut synced, p);
    }
}
