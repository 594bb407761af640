//! The scheduler's published state: [`SchedSnapshot`], a plain copy of every P's and M's
//! fields and the runtime-wide counts, taken by `take` (here, the only place outside the
//! scheduler's own files that reads `P` and `M`). Everything that shows the scheduler reads
//! this one snapshot: the `SCHED` and `scheddetail` lines (diag/mod.rs: schedtrace, the
//! SIGQUIT dump, `Handle::sched_report`), and the debug page's P and M tables
//! (`Handle::sched_snapshot`).
//!
//! The fields are read one by one with relaxed or acquire loads while the Ms run, so a
//! snapshot is not one instant: a P and its M may disagree for a moment (Go's schedtrace has
//! the same property; it stops no thread).
//!
//! `with_trace_rings` lends the Ms' trace rings (diag/export.rs) to the trace writer; the
//! M's `PollSite` lends the poll path (diag/poll.rs) its diagnostic state, task and ring, and
//! the runtime's `WakeSite` records a wake on the track of the M that made it; so the
//! diagnostics never walk or read the Ms themselves.

use super::Shared;
use super::context::{self, Mode};
use super::m::{M, NO_P};
use super::p::PStatus as Raw;
use crate::diag::export::{Kind, Ring};
use crate::loom::atomic::Ordering;
use crate::task::Id;
use std::time::{Duration, Instant};

/// The scheduler's state at one look: the counts of Go's `SCHED` line, one [`PInfo`] per P
/// and one [`MInfo`] per worker thread (Go's `scheddetail` lines).
///
/// The fields are read one after another while the runtime runs, not at one instant, so the
/// counts may disagree with the tables by a task or a thread. Its `Display` is Go's `SCHED`
/// line (`SCHED 12ms: gomaxprocs=3 idleprocs=3 threads=2 ... runqueue=0 [0 0 0]`).
///
/// # Examples
/// ```
/// use gosched::runtime::{Builder, PStatus};
///
/// let rt = Builder::new().maxprocs(3).build().unwrap();
/// let snap = rt.handle().sched_snapshot();
/// assert_eq!(snap.gomaxprocs, 3);
/// assert_eq!(snap.ps.len(), 3);
/// // Nothing runs: every P is idle and owned by no thread.
/// assert!(snap.ps.iter().all(|p| p.status == PStatus::Idle && p.m.is_none()));
/// assert!(snap.to_string().contains(" gomaxprocs=3 idleprocs=3 "), "{snap}");
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct SchedSnapshot {
    /// Time since the runtime was built.
    pub uptime: Duration,
    /// Number of Ps (`gomaxprocs`).
    pub gomaxprocs: usize,
    /// Ps on the idle list (`idleprocs`).
    pub idle_procs: usize,
    /// Worker threads alive, plus sysmon (`threads`; as [`Metrics::threads`](crate::runtime::Metrics::threads)).
    pub threads: usize,
    /// Threads spinning: looking for work to steal (`spinningthreads`).
    pub spinning_threads: usize,
    /// Go's `needspinning` flag; gosched has no such flag, so always 0.
    pub need_spinning: usize,
    /// Worker threads parked without a P (`idlethreads`).
    pub idle_threads: usize,
    /// Tasks in the global queue (`runqueue`).
    pub global_queue: usize,
    /// Every P, by id.
    pub ps: Vec<PInfo>,
    /// Every worker thread (M) started so far, by id; a retired thread stays listed, idle.
    pub ms: Vec<MInfo>,
}

/// A P's status, in Go's terms.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PStatus {
    /// On the idle list, owned by no thread (Go's `_Pidle`).
    #[default]
    Idle,
    /// Owned by a thread, which runs its tasks or looks for work (Go's `_Prunning`).
    Running,
}

impl PStatus {
    /// Go's number for the status: `_Pidle` 0, `_Prunning` 1 (what `scheddetail` prints).
    pub fn go_code(self) -> u32 {
        match self {
            PStatus::Idle => 0,
            PStatus::Running => 1,
        }
    }
}

/// One P (Go's `scheddetail` line `P0: status=1 schedtick=... m=... runqsize=...`).
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct PInfo {
    /// The P's number, 0 to `gomaxprocs - 1`.
    pub id: usize,
    /// Idle or running.
    pub status: PStatus,
    /// Go's `schedtick`: slices begun on this P (wraps at `u32::MAX`).
    pub schedtick: u32,
    /// The thread that owns it, by [`MInfo::id`]; `None` when idle.
    pub m: Option<usize>,
    /// Tasks in its local run queue, `runnext` included (`runqsize`).
    pub run_queue: usize,
    /// Whether a task waits in its `runnext` slot (runs next, inheriting the time slice).
    pub runnext: bool,
    /// Timers on its heap (`timerslen`).
    pub timers: usize,
}

/// One worker thread (Go's `scheddetail` line `M0: p=... curg=... spinning=... blocked=...`).
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct MInfo {
    /// The thread's number, in start order.
    pub id: usize,
    /// The P it holds, by [`PInfo::id`]; `None` without one.
    pub p: Option<usize>,
    /// The task it is polling (Go's `curg`); `None` between polls.
    pub task: Option<Id>,
    /// Looking for work to steal.
    pub spinning: bool,
    /// Parked, or inside `block_in_place`.
    pub blocked: bool,
}

/// Takes `shared`'s snapshot now.
pub(crate) fn take(shared: &Shared) -> SchedSnapshot {
    let ms = shared.all_ms();
    let mut snap = SchedSnapshot {
        uptime: Instant::now().saturating_duration_since(shared.started),
        gomaxprocs: shared.ps.len(),
        idle_procs: shared.idle.idle_p_count(),
        threads: shared.threads(),
        spinning_threads: shared.idle.spinning_m_count(),
        need_spinning: 0,
        idle_threads: shared.idle.idle_m_count(),
        global_queue: shared.global.len(),
        ps: Vec::with_capacity(shared.ps.len()),
        ms: Vec::with_capacity(ms.len()),
    };
    for p in shared.ps.iter() {
        let runq = p.runq();
        snap.ps.push(PInfo {
            id: p.id,
            status: match p.status() {
                Raw::Idle => PStatus::Idle,
                Raw::Owned | Raw::InPoll(_) => PStatus::Running,
            },
            schedtick: p.schedtick(),
            m: p.m().map(|m| m.id),
            run_queue: runq.len(),
            runnext: runq.has_runnext(),
            timers: p.timers.len(),
        });
    }
    for m in ms.iter() {
        let p = m.p.load(Ordering::Relaxed);
        let curg = m.curg.load(Ordering::Relaxed);
        snap.ms.push(MInfo {
            id: m.id,
            p: (p != NO_P).then_some(p),
            task: Id::from_u64(curg),
            spinning: m.spinning.load(Ordering::Relaxed),
            blocked: m.blocked.load(Ordering::Relaxed),
        });
    }
    snap
}

/// Calls `f` with every M's trace ring and the M's id (empty when the runtime records no
/// trace); the Ms stay alive meanwhile.
pub(crate) fn with_trace_rings<R>(shared: &Shared, f: impl FnOnce(&[(usize, &Ring)]) -> R) -> R {
    let ms = shared.all_ms();
    let rings: Vec<(usize, &Ring)> = ms.iter().filter_map(|m| m.trace().map(|r| (m.id, r))).collect();
    f(&rings)
}

impl crate::diag::poll::PollSite for M {
    #[inline(always)]
    fn diag(&self) -> &crate::diag::poll::MDiag {
        &self.diag
    }

    #[inline(always)]
    fn task(&self) -> u64 {
        self.curg.load(Ordering::Relaxed)
    }

    #[inline(always)]
    fn ring(&self) -> Option<&Ring> {
        self.trace()
    }
}

impl crate::diag::poll::WakeSite for Shared {
    #[inline(always)]
    fn diag(&self) -> &crate::diag::Diag {
        &self.diag
    }

    /// The wake's source (`Kind::Wake`'s `n`): the mode of the M that made it, 1 to 4, and
    /// the P it held plus one in the next byte; `WAKE_OFF_M` from any other thread.
    fn record_wake(&self, ticks: u64, task: u64) {
        let on_m = context::with_worker(|cx| match cx {
            Some(cx) if std::ptr::eq(&*cx.shared, self) => {
                let src = match cx.mode.get() {
                    Mode::NoP => 1,
                    Mode::Owning => 2,
                    Mode::Polling => 3,
                    Mode::Collecting => 4,
                };
                let p = cx.p.get().map_or(0, |p| p as u64 + 1);
                if let Some(ring) = cx.m.trace() {
                    ring.instant_of(Kind::Wake, ticks, src | p << 8, task);
                }
                true
            }
            _ => false,
        });
        if !on_m {
            if let Some(m) = self.all_ms().first() {
                if let Some(ring) = m.trace() {
                    ring.instant_of(Kind::Wake, ticks, crate::diag::poll::WAKE_OFF_M, task);
                }
            }
        }
    }
}
