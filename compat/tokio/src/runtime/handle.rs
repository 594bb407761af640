//! `tokio::runtime::Handle`, `RuntimeFlavor` and `TryCurrentError`: gosched's `Handle`, with
//! the flavor the facade's `Builder` chose.

use super::{EnterGuard, RuntimeMetrics};
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;

/// A handle to a runtime (tokio's `Handle`): cheap to clone, usable from any thread.
///
/// # Examples
/// ```
/// use tokio::runtime::{Handle, Runtime};
///
/// let rt = Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let seven = std::thread::spawn(move || handle.block_on(handle.spawn(async { 7 })).unwrap())
///     .join()
///     .unwrap();
/// assert_eq!(seven, 7);
/// assert!(Handle::try_current().is_err());
/// ```
#[derive(Clone)]
pub struct Handle {
    inner: gosched_executor::runtime::Handle,
    /// `None` for a handle found by `current()`: the flavor is then read from the runtime.
    flavor: Option<RuntimeFlavor>,
}

/// The scheduler a runtime runs (tokio's `RuntimeFlavor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// One P: built by `Builder::new_current_thread`.
    CurrentThread,
    /// Several Ps: built by `Builder::new_multi_thread`.
    MultiThread,
}

impl Handle {
    pub(super) fn from_gosched(inner: gosched_executor::runtime::Handle, flavor: RuntimeFlavor) -> Handle {
        Handle {
            inner,
            flavor: Some(flavor),
        }
    }

    /// The runtime this thread is inside.
    ///
    /// # Panics
    /// Outside a runtime, with tokio's message.
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        }
    }

    /// The runtime this thread is inside: a worker, a blocking thread, `block_on`, or under
    /// an [`enter`](Handle::enter) guard.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        match gosched_executor::runtime::Handle::try_current() {
            Some(inner) => Ok(Handle { inner, flavor: None }),
            None => Err(TryCurrentError(())),
        }
    }

    /// Makes this thread "inside the runtime" until the guard drops: `tokio::spawn`, sockets
    /// and timers work there.
    ///
    /// # Examples
    /// ```
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// std::thread::spawn(move || {
    ///     let _guard = handle.enter();
    ///     let task = tokio::spawn(async { 2 });
    ///     assert_eq!(handle.block_on(task).unwrap(), 2);
    /// })
    /// .join()
    /// .unwrap();
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.inner.enter()
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

    /// Runs `future` to completion on this thread, inside the runtime.
    ///
    /// # Panics
    /// On a runtime's worker thread (from inside a task).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }

    /// The flavor the runtime was built with. A handle found by [`current`](Handle::current)
    /// reports `CurrentThread` for a runtime with one P and `MultiThread` otherwise.
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        self.flavor
            .unwrap_or_else(|| match self.inner.metrics().maxprocs {
                1 => RuntimeFlavor::CurrentThread,
                _ => RuntimeFlavor::MultiThread,
            })
    }

    /// A snapshot of the runtime's counters.
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.inner.metrics())
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").field("inner", &self.inner).finish()
    }
}

/// [`Handle::try_current`] was called outside a runtime.
pub struct TryCurrentError(());

impl TryCurrentError {
    /// True: the only reason here is that no runtime is entered.
    pub fn is_missing_context(&self) -> bool {
        true
    }

    /// False: gosched's context survives until the thread's runtime state is gone.
    pub fn is_thread_local_destroyed(&self) -> bool {
        false
    }
}

impl fmt::Debug for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TryCurrentError(NoContext)")
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("there is no reactor running, must be called from the context of a Tokio 1.x runtime")
    }
}

impl std::error::Error for TryCurrentError {}
