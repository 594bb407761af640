//! `tokio::runtime::Runtime`: a gosched `Runtime` and the facade's [`Handle`] to it.

use super::{EnterGuard, Handle, RuntimeFlavor};
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

/// A gosched runtime, with tokio's methods.
///
/// # Examples
/// ```
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let task = rt.spawn(async { "hello" });
/// assert_eq!(rt.block_on(task).unwrap(), "hello");
/// ```
pub struct Runtime {
    inner: gosched_executor::runtime::Runtime,
    handle: Handle,
}

impl Runtime {
    /// A multi-thread runtime with the default settings (`Builder::new_multi_thread()`).
    pub fn new() -> io::Result<Runtime> {
        super::Builder::new_multi_thread().enable_all().build()
    }

    pub(super) fn from_gosched(inner: gosched_executor::runtime::Runtime, flavor: RuntimeFlavor) -> Runtime {
        let handle = Handle::from_gosched(inner.handle().clone(), flavor);
        Runtime { inner, handle }
    }

    /// Runs `future` to completion on this thread, inside the runtime.
    ///
    /// # Panics
    /// On one of a runtime's worker threads (from inside a task).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }

    /// Spawns `future` as a gosched task on this runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// Runs `func` on the runtime's blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.spawn_blocking(func)
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this thread "inside the runtime" until the guard drops: `tokio::spawn`, sockets
    /// and timers work there.
    ///
    /// # Examples
    /// ```
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let task = tokio::spawn(async { 1 });
    /// drop(_guard);
    /// assert_eq!(rt.block_on(task).unwrap(), 1);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.inner.enter()
    }

    /// Cancels every task and waits at most `duration` for the worker threads to exit.
    pub fn shutdown_timeout(self, duration: Duration) {
        self.inner.shutdown_timeout(duration)
    }

    /// Cancels every task and returns without waiting for the worker threads.
    pub fn shutdown_background(self) {
        self.inner.shutdown_timeout(Duration::ZERO)
    }

    /// A snapshot of the runtime's counters.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("flavor", &self.handle.runtime_flavor())
            .field("inner", &self.inner)
            .finish()
    }
}

/// A snapshot of a runtime's counters (tokio's stable `RuntimeMetrics` methods), taken from
/// gosched's `Metrics` when it was made.
#[derive(Clone, Debug)]
pub struct RuntimeMetrics {
    inner: gosched_executor::runtime::Metrics,
}

impl RuntimeMetrics {
    pub(super) fn new(inner: gosched_executor::runtime::Metrics) -> RuntimeMetrics {
        RuntimeMetrics { inner }
    }

    /// The number of worker threads: gosched's Ps (`maxprocs`).
    pub fn num_workers(&self) -> usize {
        self.inner.maxprocs
    }

    /// Tasks spawned and not yet finished.
    pub fn num_alive_tasks(&self) -> usize {
        self.inner.live_tasks
    }

    /// Tasks in the global run queue.
    pub fn global_queue_depth(&self) -> usize {
        self.inner.global_queue_depth
    }
}
