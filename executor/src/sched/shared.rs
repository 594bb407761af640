//! `Shared`: the state of one runtime that every M, every task and every `Handle` reaches.
//! Spawning and the routing of wakes live here; idle Ps/Ms and `wakep` in `idle.rs`.

use super::context::{self, Mode, WorkerCx};
use super::global::GlobalQueue;
use super::m::M;
use super::p::{OwnedP, P};
use super::runq::Local;
use crate::blocking::BlockingPool;
use crate::loom::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::loom::{Arc, Mutex};
use crate::runtime::Config;
use crate::task::{self, Header, JoinHandle, Notified, Registry, Schedule, SpawnMeta, Task};
use std::future::Future;
use std::panic::Location;
use std::thread;
use std::time::Instant;

/// Data under the sched lock (Go's `sched.lock`).
pub(crate) struct Synced {
    /// Idle Ps, as a stack (Go's `pidle`), with their ownership (p.rs).
    pub(super) idle_ps: Vec<OwnedP>,
    /// Parked Ms without a P (Go's `midle`).
    pub(super) idle_ms: Vec<Arc<M>>,
    /// Ms whose thread exited as surplus (idle.rs, `stopm`), with their spawn buffers: the
    /// next M to start reuses one (`new_m`), so `ms` does not grow with every burst.
    pub(super) retired: Vec<(Arc<M>, crossbeam_deque::Worker<Notified>)>,
}

/// # Fields
/// - `ps`: fixed at build; each P's fields say who touches them (p.rs).
/// - `sched`, `npidle`, `nmspinning` (private to `sched/`): the sched lock; `npidle` mirrors
///   the length of its idle-P list for lock-free reads and changes only with it (`pidleget`,
///   `pidleput`); `nmspinning` changes only through the spinning transitions of idle.rs
///   (protocols A and B in mod.rs). Read from outside through `idle_p_count` and
///   `spinning_m_count`.
/// - `ms`, `threads`, `shutdown` (private to `sched/`): every M ever started and its join
///   handle; Ms are never freed before the runtime (their `Arc` stays here, a retired M's
///   too), so `P::m` pointers stay valid and their counters stay in the metrics. `nthreads`:
///   Ms whose thread runs (started, not retired). `new_m` checks `shutdown` and registers both under the `ms` lock, and
///   `begin_shutdown` sets the flag before it reads `ms`, so `take_threads` afterwards holds
///   every M that was told to exit.
/// - `registry`: every live task.
/// - `poller`: the netpoller (netpoll/mod.rs); the M's use of it is `poller.rs` here.
/// - counters for rare events are shared atomics; hot counters are per M (m.rs).
pub(crate) struct Shared {
    pub(crate) ps: Box<[P]>,
    pub(crate) global: GlobalQueue<Notified>,
    pub(super) sched: Mutex<Synced>,
    pub(super) npidle: AtomicUsize,
    pub(super) nmspinning: AtomicUsize,
    pub(super) ms: Mutex<Vec<Arc<M>>>,
    pub(super) nthreads: AtomicUsize,
    pub(super) threads: Mutex<Vec<thread::JoinHandle<()>>>,
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
    /// The timer clock (pausable) and the auto-advance holds: time/clock.rs.
    pub(crate) clock: crate::time::clock::Clock,
    /// Threads of pinned tasks (Go's locked Ms), `task/pinned.rs`.
    pub(crate) locked: task::LockedThreads,
}

impl Shared {
    pub(crate) fn new(config: Config) -> std::io::Result<Arc<Shared>> {
        let n = config.maxprocs;
        let poller = crate::netpoll::Poller::new()?;
        let started = Instant::now();
        LIVE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (ps, mut idle_ps) = P::all(n);
        // Idle stack: P0 on top, so a lone runtime keeps using P0.
        idle_ps.reverse();
        Ok(Arc::new(Shared {
            ps,
            global: GlobalQueue::new(),
            sched: Mutex::new(Synced {
                idle_ps,
                idle_ms: Vec::new(),
                retired: Vec::new(),
            }),
            npidle: AtomicUsize::new(n),
            nmspinning: AtomicUsize::new(0),
            ms: Mutex::new(Vec::new()),
            nthreads: AtomicUsize::new(0),
            threads: Mutex::new(Vec::new()),
            registry: Registry::new(n),
            blocking: BlockingPool::new(&config),
            diag: crate::diag::Diag::new(&config, started),
            clock: crate::time::clock::Clock::new(started, config.start_paused),
            config,
            shutdown: AtomicBool::new(false),
            remote_spawned: AtomicU64::new(0),
            handoffs: AtomicU64::new(0),
            preemptions: AtomicU64::new(0),
            netpoll_wakeups: AtomicU64::new(0),
            poller,
            sysmon_note: crate::sysmon::SysmonNote::new(),
            started,
            locked: task::LockedThreads::new(),
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

    /// Shutdown's first step: no M starts from now on, and every M is told to exit (a parked
    /// one at once, a running one when it next looks for work).
    pub(crate) fn begin_shutdown(&self) {
        // SeqCst: every M's `find_runnable` and `stopm` check it after their own SeqCst ops.
        self.shutdown.store(true, Ordering::SeqCst);
        for m in self.all_ms() {
            m.exit();
        }
    }

    /// The join handles of every M started so far (after `begin_shutdown`: of every M).
    pub(crate) fn take_threads(&self) -> Vec<thread::JoinHandle<()>> {
        std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()))
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
        if self.npidle.load(Ordering::SeqCst) == 0 {
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

    /// Every M's shared half, cloned out of the lock.
    pub(crate) fn all_ms(&self) -> Vec<Arc<M>> {
        self.ms.lock().unwrap_or_else(|e| e.into_inner()).clone()
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
