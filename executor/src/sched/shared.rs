//! `Shared`: the state of one runtime that every M, every task and every `Handle` reaches, as
//! a struct of subsystems, each with its own file and methods: the Ps (p.rs), the global queue
//! (global.rs), the idle Ps and Ms and spinning (`Idle`, idle.rs), the Ms (`Ms`, ms.rs),
//! timekeeping (`Timekeeper`, time/deadlines.rs), diagnostics (`Diag`, diag/), the poller
//! (netpoll/), the blocking pool (blocking/), pinned threads (`LockedThreads`, pinned.rs).
//! Here: spawning, the routing of wakes, shutdown, and the few acts that span subsystems.
//! Starting and parking Ms is the other `impl Shared`, in ms.rs.

use super::context::{self, Mode, WorkerCx};
use super::global::GlobalQueue;
use super::idle::Idle;
use super::m::M;
use super::ms::Ms;
use super::p::{OwnedP, P, PStatus, PView};
use super::pinned::LockedThreads;
use super::runq::Local;
use crate::blocking::BlockingPool;
use crate::loom::Arc;
use crate::loom::atomic::{AtomicBool, AtomicU64, Ordering};
use crate::runtime::Config;
use crate::task::{self, Header, JoinHandle, Notified, Registry, Schedule, SpawnMeta, Task};
use crate::time::deadlines::{AfterAdd, Timekeeper};
use std::future::Future;
use std::panic::Location;
use std::time::Instant;

/// # Fields
/// - `ps`: fixed at build; each P's fields say who touches them (p.rs).
/// - `idle` (idle.rs): the sched lock, the idle Ps and Ms, `npidle` and `nmspinning`.
/// - `ms` (ms.rs): every M ever started and its thread.
/// - `shutdown` (private to `sched/`): set once by `begin_shutdown` (SeqCst).
/// - `registry`: every live task.
/// - `poller`: the netpoller (netpoll/mod.rs); the M's use of it is `poller.rs` here.
/// - `time`: the timer clock, the holds and the poller handshake (time/deadlines.rs); the
///   timer heaps are per P (`P::timers`).
/// - counters for rare events are shared atomics; hot counters are per M (m.rs).
pub(crate) struct Shared {
    pub(crate) ps: Box<[P]>,
    pub(crate) global: GlobalQueue<Notified>,
    pub(crate) idle: Idle,
    pub(crate) ms: Ms,
    pub(crate) registry: Registry,
    pub(crate) config: Config,
    pub(super) shutdown: AtomicBool,
    pub(crate) remote_spawned: AtomicU64,
    pub(crate) handoffs: AtomicU64,
    pub(crate) preemptions: AtomicU64,
    pub(crate) netpoll_wakeups: AtomicU64,
    pub(crate) blocking: BlockingPool,
    pub(crate) poller: crate::netpoll::Poller,
    pub(crate) sysmon_note: crate::sysmon::SysmonNote,
    pub(crate) started: Instant,
    /// Slow-poll accounting and reports (diag/slowpoll.rs).
    pub(crate) diag: crate::diag::Diag,
    /// The timer clock (pausable), the auto-advance holds and the poller handshake.
    pub(crate) time: Timekeeper,
    /// Threads of pinned tasks (Go's locked Ms), pinned.rs.
    pub(crate) locked: LockedThreads,
}

impl Shared {
    /// The runtime's own threads: the running Ms, plus sysmon's whenever it runs
    /// (`Metrics::threads`, the SCHED line's `threads=`).
    pub(crate) fn threads(&self) -> usize {
        self.ms.thread_count() + usize::from(self.config.sysmon_thread())
    }

    pub(crate) fn new(config: Config) -> std::io::Result<Arc<Shared>> {
        let n = config.maxprocs;
        let poller = crate::netpoll::Poller::new()?;
        let started = Instant::now();
        LIVE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (ps, idle_ps) = P::all(n);
        Ok(Arc::new(Shared {
            ps,
            global: GlobalQueue::new(),
            idle: Idle::new(idle_ps),
            ms: Ms::new(),
            registry: Registry::new(n),
            blocking: BlockingPool::new(&config),
            diag: crate::diag::Diag::new(&config, started),
            time: Timekeeper::new(started, config.start_paused),
            config,
            shutdown: AtomicBool::new(false),
            remote_spawned: AtomicU64::new(0),
            handoffs: AtomicU64::new(0),
            preemptions: AtomicU64::new(0),
            netpoll_wakeups: AtomicU64::new(0),
            poller,
            sysmon_note: crate::sysmon::SysmonNote::new(),
            started,
            locked: LockedThreads::new(),
        }))
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// The owner's view of P `p`'s queue (runq.rs, "Who may call what").
    #[inline]
    pub(crate) fn local<'a>(&'a self, p: &'a OwnedP) -> Local<'a, Notified> {
        self.ps[p.id()].local(p)
    }

    /// Every M's shared half, cloned out of the lock (`Ms::all`).
    pub(crate) fn all_ms(&self) -> Vec<Arc<M>> {
        self.ms.all()
    }

    /// sysmon's look at P `pid` this round (`PView::observe`): `None` while it is idle.
    pub(crate) fn observe_p(self: &Arc<Self>, pid: usize) -> Option<PView<'_>> {
        PView::observe(self, pid)
    }

    /// Shutdown's first step: no M starts from now on, and every M is told to exit (a parked
    /// one at once, a running one when it next looks for work).
    pub(crate) fn begin_shutdown(&self) {
        // SeqCst: every M's `find_runnable` and `stopm` check it after their own SeqCst ops.
        self.shutdown.store(true, Ordering::SeqCst);
        for m in self.all_ms() {
            m.exit();
        }
    }

    /// Shutdown's `cancel_all` (runtime/rt.rs): empties the local queues, each through its
    /// owner's view, so it first collects the tokens it can reach once the Ms were told to exit
    /// and joined (or given up on, by `shutdown_timeout`): the idle list, Ps handed to an M that
    /// never picked them up (`M::unstart`), and Ps of an M stuck in a poll (retaken as sysmon
    /// would). The Ps go back to the idle list. A P held by an M still running between polls
    /// stays that M's: it empties the queue itself when it sees the shutdown (find.rs).
    pub(crate) fn drain_local_queues(&self) -> Vec<Notified> {
        let mut owned = Vec::new();
        {
            let mut synced = self.idle.lock();
            owned.extend(std::iter::from_fn(|| self.idle.pidleget(&mut synced)));
        }
        owned.extend(self.all_ms().iter().filter_map(|m| m.unstart()));
        for p in self.ps.iter() {
            if let PStatus::InPoll(seq) = p.status() {
                owned.extend(p.try_retake(seq));
            }
        }
        let tasks = owned.iter().flat_map(|p| self.local(p).drain()).collect();
        let mut synced = self.idle.lock();
        for p in owned {
            self.idle.pidleput(&self.ps, &mut synced, p);
        }
        tasks
    }

    /// Lets go of an auto-advance hold (`Timekeeper::let_go`). The last one while the clock
    /// is paused breaks the blocking poll, so the M there checks whether the clock may jump.
    pub(crate) fn let_go(&self) {
        if self.time.let_go() {
            self.poller.break_poll();
        }
    }

    /// Go's `wakeNetPoller`: a timer at `when` became some P's earliest (the adder's half of
    /// the handshake in time/deadlines.rs, after `Timers::add`). Break the blocking poll if it
    /// would sleep past it; with nobody in the poller, make sure an M looks.
    pub(crate) fn timer_added(self: &Arc<Self>, when: u64) {
        match self.time.timer_added(when) {
            AfterAdd::WakeM => self.wakep(),
            AfterAdd::BreakPoll => self.poller.break_poll(),
            AfterAdd::Nothing => {}
        }
    }

    /// The earliest timer over all Ps, or `NO_TIMER`.
    pub(crate) fn next_timer(&self) -> u64 {
        self.time.next_timer(self.ps.iter().map(|p| &p.timers))
    }

    /// The clock, if P `p` has a timer due by now (the clock is read only if it has one).
    #[inline]
    pub(crate) fn timers_due(&self, p: usize) -> Option<u64> {
        self.time.due(&self.ps[p].timers)
    }

    /// Spawns a task on this runtime (Go's `newproc`).
    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        future: F,
        at: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = SpawnMeta {
            id: task::Id::next(),
            spawned_at: at,
        };
        let (task, notified, raw) = task::new_task(future, self.clone(), meta);
        let handle = JoinHandle::new(raw);
        if let Err(task) = self.registry.insert(task) {
            // Shut down: the task never runs; its handle reports it cancelled.
            drop(notified);
            task.shutdown();
            return handle;
        }
        let counted = context::with_worker(|cx| match cx {
            Some(cx) if Arc::ptr_eq(&cx.shared, self) => {
                M::bump(&cx.m.spawned, 1);
                true
            }
            _ => false,
        });
        if !counted {
            self.remote_spawned.fetch_add(1, Ordering::Relaxed);
        }
        self.schedule_task(notified);
        handle
    }

    /// Routes a runnable task: a wake or spawn made on one of this runtime's Ms goes to that M
    /// (its buffer while polling, its P between polls); anything else to the global queue.
    pub(crate) fn schedule_task(self: &Arc<Self>, task: Notified) {
        let rest = context::with_worker(|cx| match cx {
            Some(cx) if Arc::ptr_eq(&cx.shared, self) => {
                crate::diag::poll::runnable(&**self, Some(&cx.sample), task.header());
                self.schedule_local(cx, task)
            }
            _ => {
                crate::diag::poll::runnable(&**self, None, task.header());
                Err(task)
            }
        });
        match rest {
            Ok(true) => self.wakep(),
            // Collected: the poller injects the whole batch and wakes Ps once.
            Ok(false) => {}
            Err(task) => {
                self.global.push(task);
                self.wakep();
                self.kick_sysmon_if_no_p_is_idle();
            }
        }
    }

    /// Work went to the global queue from outside a P: if no P is idle, every M may be stuck in
    /// a poll, and a sysmon in a long sleep looks now (it may have to retake a P for it). After
    /// the queue's SeqCst push, pairs with the re-check in `SysmonNote::sleep`.
    fn kick_sysmon_if_no_p_is_idle(&self) {
        if self.idle.npidle_seqcst() == 0 {
            self.sysmon_note.kick(crate::sysmon::Why::Work);
        }
    }

    /// `Ok(wake a P)` if the task landed on this M, `Err(task)` if it must go to the global
    /// queue after all.
    fn schedule_local(&self, cx: &WorkerCx, task: Notified) -> Result<bool, Notified> {
        match cx.mode.get() {
            Mode::Polling => {
                let p = cx.p.get().expect("a polling M has a P");
                if !self.ps[p].is_owned_by(&cx.m) {
                    // The P was taken from this M during the poll: never hand it more work.
                    return Err(task);
                }
                // The poll's first new task will run next on this M (the hand-off slot or
                // `runnext`): waking another M for it would only make it spin (tokio's LIFO
                // slot rule). From the second on, there is work to steal.
                let first = cx.buffer.is_empty();
                cx.buffer.push(task);
                Ok(!first)
            }
            // Between polls the P's token is on the scheduling loop's stack, out of reach
            // here (p.rs), and nothing the loop does there wakes a task: the global queue.
            Mode::Owning => Err(task),
            Mode::Collecting => {
                cx.collected.borrow_mut().push(task);
                Ok(false)
            }
            Mode::NoP => Err(task),
        }
    }

    /// A task woken during its own poll: it is requeued by the M after the poll (never two
    /// copies in queues: the task still holds RUNNING until then).
    pub(crate) fn requeue_after_poll(self: &Arc<Self>, task: Notified) {
        let rest = context::with_worker(|cx| match cx {
            Some(cx) if Arc::ptr_eq(&cx.shared, self) && cx.mode.get() == Mode::Polling => {
                crate::diag::poll::runnable(&**self, Some(&cx.sample), task.header());
                let old = cx.requeue.replace(Some(task));
                debug_assert!(old.is_none(), "two requeues in one poll");
                None
            }
            _ => {
                crate::diag::poll::runnable(&**self, None, task.header());
                Some(task)
            }
        });
        if let Some(task) = rest {
            self.global.push(task);
            self.wakep();
            self.kick_sysmon_if_no_p_is_idle();
        }
    }
}

/// `Shared`s alive in the process (`runtime::live_runtimes`). A plain std static: loom models
/// never build a `Shared`.
static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many runtimes' state is still allocated (see `runtime::live_runtimes`).
pub(crate) fn live() -> usize {
    LIVE.load(std::sync::atomic::Ordering::Relaxed)
}

impl Drop for Shared {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        if self.is_shutdown() {
            // Every task is being cancelled through the registry; a wake now only drops its
            // entry (NOTIFIED stays set, which shutdown ignores).
            drop(task);
            return;
        }
        self.schedule_task(task);
    }

    fn yield_now(&self, task: Notified) {
        self.requeue_after_poll(task);
    }

    fn is_shut_down(&self) -> bool {
        self.is_shutdown()
    }

    fn release(&self, task: &Header) -> Option<Task> {
        self.registry.remove(task)
    }
}
