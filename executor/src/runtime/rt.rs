//! `Runtime`: owns the Ps, Ms, sysmon and the blocking pool; shuts them down on drop.
//!
//! # Shutdown
//! Dropping the `Runtime` (or `shutdown_timeout`) stops the Ms and sysmon, drops every task's
//! future, empties the timer heaps and closes the poller, so nothing of the runtime is left
//! once the last `Handle` is gone: no thread, no fd, no `Arc` cycle (a timer's waker holds
//! its task, which holds the runtime). Every handle of a task the shutdown cancelled says the
//! runtime shut down, whatever kind of task it was (spawned, blocking, pinned, or one whose
//! poll outlived `shutdown_timeout`); a pinned thread polls nothing once the shutdown began. The
//! waits (workers, pinned threads, idle blocking threads) share one deadline. A `Handle` used
//! after that:
//! - `spawn`/`spawn_blocking`/`spawn_pinned` return a `JoinHandle` that resolves at once to a
//!   cancelled `JoinError` whose message says the runtime shut down;
//! - a timer polled in `block_on` panics saying the runtime shut down (as tokio does), and a
//!   `block_on` already waiting on a timer when the runtime is dropped wakes up with that panic;
//! - registering a socket is an `io::Error` that names the shutdown, and a socket already
//!   registered fails its next wait the same way;
//! - `block_on` of a future that needs none of these still runs it. Nothing hangs.

use super::{Builder, Config, Handle, Metrics, TaskInfo};
use crate::sched::{Shared, context};
use crate::sysmon::Sysmon;
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::time::{Duration, Instant};

/// A gosched runtime: `maxprocs` Ps, the worker threads (Ms) that run them, sysmon, and the
/// blocking pool.
///
/// # Examples
/// ```
/// use gosched::runtime::Runtime;
///
/// let rt = Runtime::new().unwrap();
/// let sum = rt.block_on(async {
///     let tasks: Vec<_> = (0..10u64).map(|i| gosched::spawn(async move { i * i })).collect();
///     let mut sum = 0;
///     for t in tasks {
///         sum += t.await.unwrap();
///     }
///     sum
/// });
/// assert_eq!(sum, 285);
/// ```
pub struct Runtime {
    handle: Handle,
    sysmon: Option<Sysmon>,
    /// Set once shutdown ran (by `shutdown_timeout` or `drop`).
    done: bool,
}

impl Runtime {
    /// A runtime with the default settings (`Builder::new().build()`).
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A builder for custom settings.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_config(config: Config) -> io::Result<Runtime> {
        let shared = Shared::new(config)?;
        super::report::register(&shared);
        let sysmon = if shared.config.sysmon_thread() {
            Some(Sysmon::start(shared.clone())?)
        } else {
            None
        };
        if !shared.config.sysmon {
            // Without sysmon only an M polls the network, and Ms start with the first spawn:
            // start one now. It finds no work and blocks in the poller (find step 8), so I/O
            // that `block_on`, a pinned task or a signal listener awaits before any spawn
            // still wakes it; from then on the last M to go idle takes its place.
            shared.wakep();
        }
        Ok(Runtime {
            handle: Handle { shared },
            sysmon,
            done: false,
        })
    }

    /// Runs `future` to completion on the calling thread; tasks it spawns run on the workers.
    /// `future` need not be `Send`. A panic in it propagates to the caller.
    ///
    /// # Panics
    /// On a worker thread of any gosched runtime.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        super::block_on(&self.handle.shared, future)
    }

    /// Spawns a task.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.shared.spawn(future, Location::caller())
    }

    /// Runs a blocking closure on the blocking pool.
    #[track_caller]
    pub fn spawn_blocking<R, F>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        crate::blocking::spawn_blocking(&self.handle.shared, f, Location::caller())
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Enters this runtime's context on this thread until the guard drops
    /// ([`Handle::enter`]): `spawn`, sockets and timers made here belong to this runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let task = gosched::spawn(async { "spawned from a plain thread" });
    /// assert_eq!(rt.block_on(task).unwrap(), "spawned from a plain thread");
    /// ```
    pub fn enter(&self) -> super::EnterGuard<'_> {
        self.handle.enter()
    }

    /// A snapshot of the counters.
    pub fn metrics(&self) -> Metrics {
        self.handle.metrics()
    }

    /// Every live task.
    pub fn dump(&self) -> Vec<TaskInfo> {
        self.handle.dump()
    }

    /// Writes a snapshot of the trace recorded so far to `path`; see
    /// [`Handle::write_trace`].
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// let err = rt.write_trace("never-written.json").unwrap_err();
    /// assert!(err.to_string().contains("flight_recorder"));
    /// ```
    pub fn write_trace(&self, path: impl AsRef<std::path::Path>) -> io::Result<()> {
        self.handle.write_trace(path)
    }

    /// Drops every task's future, then waits for the worker threads, the pinned threads (which
    /// drop their tasks' futures) and the idle blocking threads to exit, all within one
    /// deadline `timeout` from now; a thread stuck in a task's poll is left behind.
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    fn shutdown(&mut self, timeout: Option<Duration>) {
        if self.done {
            return;
        }
        self.done = true;
        // One deadline for every wait below: `shutdown_timeout` bounds the whole wait.
        let deadline = timeout.map(|t| Instant::now() + t);
        let shared = &self.handle.shared;
        let on_own_worker =
            context::with_worker(|cx| cx.is_some_and(|cx| crate::loom::Arc::ptr_eq(&cx.shared, shared)));
        assert!(
            !on_own_worker,
            "gosched: a Runtime was dropped on one of its own worker threads, which cannot join \
             itself; drop it from the thread that built it, or from a spawn_blocking closure"
        );
        shared.begin_shutdown();
        // Wakes the M blocked in the poller, and every task waiting on a socket; no socket is
        // registered from now on.
        shared.poller.shutdown();
        // Empties the timer heaps (their wakers hold tasks, which hold `shared`: a cycle that
        // would leak the runtime) and wakes a `block_on` sleeping on one; no timer is added
        // from now on.
        for p in shared.ps.iter() {
            p.timers.close();
        }
        if let Some(sysmon) = self.sysmon.take() {
            sysmon.stop();
        }
        join_threads(shared, deadline);
        cancel_all(shared);
        crate::sched::join_pinned_threads(shared, deadline);
        super::report::unregister(shared);
        shared.diag.flush();
        super::report::write_final_trace(shared);
        shared.blocking.shutdown();
        // Idle blocking threads exit at once; waiting for them means `live_runtimes` no longer
        // counts this runtime through them.
        shared.blocking.wait_for_idle_threads(deadline);
        // The Ms are gone: nobody polls any more. A `Handle` that outlives the runtime keeps
        // `shared`, but not the poller's fds.
        shared.poller.close();
    }
}

/// Joins every M, giving up at the deadline (the rest are detached).
fn join_threads(shared: &Shared, deadline: Option<Instant>) {
    /// How often `shutdown_timeout` looks at threads that have not exited yet.
    const JOIN_POLL: Duration = Duration::from_millis(1);
    for t in shared.ms.take_threads() {
        if let Some(deadline) = deadline {
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(JOIN_POLL);
            }
            if !t.is_finished() {
                continue;
            }
        }
        let _ = t.join();
    }
}

/// Cancels every task (dropping its future here) and empties every queue. Repeats while drops
/// wake or spawn more, so no task's future and no queue entry outlives the runtime.
fn cancel_all(shared: &Shared) {
    loop {
        let tasks = shared.registry.close_and_drain();
        let mut entries = shared.global.drain();
        entries.extend(shared.drain_local_queues());
        if tasks.is_empty() && entries.is_empty() {
            break;
        }
        for t in tasks {
            t.shutdown();
        }
        drop(entries);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("maxprocs", &self.handle.shared.ps.len())
            .finish_non_exhaustive()
    }
}
