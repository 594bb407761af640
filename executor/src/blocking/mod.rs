//! The blocking pool (`spawn_blocking`) and `block_in_place` (Go's entersyscall/exitsyscall;
//! the P's hand-off itself is `WorkerCx::hand_off_p_in_poll`, sched/p.rs).
//!
//! A `spawn_blocking` closure becomes a task with its own scheduler (no registry, so it is not in
//! `live_tasks`) that runs once on a pool thread. Up to `max_blocking_threads` threads; idle
//! ones exit after `blocking_keep_alive`; closures beyond the cap wait in FIFO order. A thread
//! is counted idle exactly while it waits, whatever woke it (`pool.rs`, checked by the loom
//! model `loom_blocking`). Runtime drop cancels queued closures, waits (within the shutdown's
//! deadline) for the idle threads to exit and let go of the runtime, and does not wait for
//! running ones.

mod pool;

use crate::loom::Arc;
use crate::loom::atomic::Ordering;
use crate::runtime::Config;
use crate::sched::{Shared, context};
use crate::task::{self, Header, JoinHandle, Notified, RawTask, Schedule, SpawnMeta, Task};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

pub(crate) use pool::{Pool, Submit};

/// The runtime's pool: the accounting (`pool.rs`) over raw blocking tasks.
pub(crate) struct BlockingPool {
    inner: std::sync::Arc<Pool<Notified>>,
}

/// The scheduler of a blocking task: it never needs one after the first run.
struct BlockingSchedule;

impl Schedule for BlockingSchedule {
    fn schedule(&self, _task: Notified) {
        unreachable!("a blocking task is never woken: it runs once, start to finish");
    }
    fn yield_now(&self, _task: Notified) {
        unreachable!("a blocking task never returns Pending");
    }
    fn release(&self, _task: &Header) -> Option<Task> {
        None
    }
}

/// The closure as a future that finishes in its first poll.
struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<R, F: FnOnce() -> R> Future for BlockingTask<F> {
    type Output = R;
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.0.take().expect("blocking task polled after it finished");
        Poll::Ready(f())
    }
}

impl BlockingPool {
    pub(crate) fn new(config: &Config) -> BlockingPool {
        BlockingPool {
            inner: std::sync::Arc::new(Pool::new(config.max_blocking_threads, config.blocking_keep_alive)),
        }
    }

    /// `(threads alive, idle threads)`.
    pub(crate) fn thread_counts(&self) -> (usize, usize) {
        self.inner.counts()
    }

    /// Cancels queued closures and tells idle threads to exit; running ones finish detached.
    pub(crate) fn shutdown(&self) {
        for t in self.inner.shutdown() {
            // SAFETY: the entry's reference is handed to `shutdown`, which consumes it.
            unsafe { RawTask::from_raw(t.into_raw()).shutdown() };
        }
    }

    /// After `shutdown`: waits until every thread not running a closure has exited and let go
    /// of the runtime (so `live_runtimes` no longer counts it through them), or `deadline`.
    pub(crate) fn wait_for_idle_threads(&self, deadline: Option<std::time::Instant>) {
        self.inner.wait_for_idle_threads(deadline);
    }
}

/// Runs `f` on the blocking pool of `shared`.
pub(crate) fn spawn_blocking<R, F>(
    shared: &Arc<Shared>,
    f: F,
    at: &'static Location<'static>,
) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let meta = SpawnMeta {
        id: task::Id::next(),
        spawned_at: at,
    };
    let (notified, raw) = task::new_unregistered_task(BlockingTask(Some(f)), BlockingSchedule, meta);
    let handle = JoinHandle::new(raw);
    // Auto-advance hold (time/clock.rs rule 3) until the job has run: `run_thread` lets go.
    shared.time.hold();
    match shared.blocking.inner.submit(notified) {
        Submit::Queued => {}
        Submit::StartThread => {
            if let Err(e) = start_thread(shared) {
                eprintln!("gosched: cannot start a blocking thread: {e}");
                shared.blocking.inner.start_failed();
            }
        }
        Submit::Rejected(notified) => {
            shared.let_go();
            // SAFETY: as in `BlockingPool::shutdown`.
            unsafe { RawTask::from_raw(notified.into_raw()).shutdown() };
        }
    }
    handle
}

fn start_thread(shared: &Arc<Shared>) -> std::io::Result<()> {
    let shared = shared.clone();
    let mut b = std::thread::Builder::new().name("gosched-blocking".into());
    if let Some(size) = shared.config.stack_size {
        b = b.stack_size(size);
    }
    b.spawn(move || {
        let pool = shared.blocking.inner.clone();
        {
            let _enter = context::enter(shared.clone());
            if let Some(f) = &shared.config.on_thread_start {
                f();
            }
            pool.run_thread(|task| {
                task.run();
                // After the run, which woke the `JoinHandle` (time/clock.rs rule 3).
                shared.let_go();
            });
            if let Some(f) = &shared.config.on_thread_stop {
                f();
            }
        }
        // Last: the runtime's drop waits for this (`wait_for_idle_threads`).
        drop(shared);
        pool.thread_gone();
    })?;
    Ok(())
}

/// Runs `f`, which may block, on this thread after handing this M's P to another M
/// (Go's `entersyscall` made eager, since the caller says it will block). Outside a worker it
/// just calls `f`.
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Builder::new().maxprocs(1).build().unwrap();
/// let v = rt.block_on(rt.spawn(async {
///     gosched::block_in_place(|| {
///         std::thread::sleep(std::time::Duration::from_millis(10));
///         7
///     })
/// }));
/// assert_eq!(v.unwrap(), 7);
/// assert!(rt.metrics().handoffs_total >= 1);
/// ```
pub fn block_in_place<R>(f: impl FnOnce() -> R) -> R {
    let handed_off = context::with_worker(|cx| {
        let cx = cx?;
        // The rest of this poll runs without the P (sched/p.rs).
        if !cx.hand_off_p_in_poll() {
            return None;
        }
        cx.m.blocked.store(true, Ordering::Relaxed);
        Some(cx.m.clone())
    });
    task::set_current_wait(task::WAIT_SYSCALL);
    // Undone on the way out, also when `f` panics (the task may catch it and go on).
    let _exit = ExitSyscall(handed_off);
    f()
}

/// Go's `exitsyscall` bookkeeping for `block_in_place`: the task's wait reason and the M's
/// `blocked` flag go back when the closure returns or unwinds.
struct ExitSyscall(Option<Arc<crate::sched::m::M>>);

impl Drop for ExitSyscall {
    fn drop(&mut self) {
        task::set_current_wait(task::WAIT_OTHER);
        if let Some(m) = &self.0 {
            m.blocked.store(false, Ordering::Relaxed);
        }
    }
}
