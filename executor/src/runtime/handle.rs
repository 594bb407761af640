//! `Handle`: a cloneable reference to a runtime, usable from any thread.

use super::{Metrics, TaskInfo};
use crate::loom::Arc;
use crate::sched::{Shared, context};
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;

/// A cloneable reference to a runtime: spawn on it from any thread, read its metrics.
///
/// # After the runtime is dropped
/// A `Handle` may outlive its `Runtime`; it then keeps only the runtime's bookkeeping (no
/// thread, no fd). `spawn` and `spawn_blocking` give a `JoinHandle` that resolves at once to
/// a cancelled [`JoinError`](crate::task::JoinError) saying the runtime shut down; a timer
/// polled in `block_on` panics saying so; registering a socket is an `io::Error` naming the
/// shutdown. Nothing waits forever.
///
/// ```
/// use gosched::runtime::Runtime;
///
/// let rt = Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// drop(rt);
/// let err = handle.block_on(handle.spawn(async { 1 })).unwrap_err();
/// assert!(err.is_cancelled() && err.to_string().contains("shut down"));
/// ```
///
/// # Examples
/// ```
/// use gosched::runtime::{Handle, Runtime};
///
/// let rt = Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let from_thread = std::thread::spawn(move || handle.block_on(handle.spawn(async { 1 + 1 })))
///     .join()
///     .unwrap();
/// assert_eq!(from_thread.unwrap(), 2);
/// assert!(Handle::try_current().is_none());
/// rt.block_on(async { assert!(Handle::try_current().is_some()) });
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Handle {
    /// The runtime this thread is inside (a worker, a blocking thread, or `block_on`).
    ///
    /// # Panics
    /// Outside a runtime, with a message naming the fix.
    #[track_caller]
    pub fn current() -> Handle {
        Handle::try_current().expect(
            "gosched: no runtime here. Call this from a task, from inside Runtime::block_on, \
             or from a spawn_blocking closure; from a plain thread, use a cloned Handle \
             (runtime.handle().clone()) instead",
        )
    }

    /// The runtime this thread is inside, if any.
    pub fn try_current() -> Option<Handle> {
        context::with_current(|s| {
            s.map(|shared| Handle {
                shared: shared.clone(),
            })
        })
    }

    /// Enters this runtime's context on this thread until the returned guard drops: from then
    /// on [`Handle::current`] returns this runtime, and `spawn`, `spawn_blocking`, sockets and
    /// timers created on this thread belong to it. On a worker thread of another runtime, the
    /// entered runtime is the current one while the guard lives.
    ///
    /// Guards nest; dropping one restores what was current before it.
    ///
    /// # Panics
    /// When a guard is dropped while a guard created after it on the same thread is still
    /// alive (out of order), as tokio does: that drop leaves the context as it is (restoring
    /// its saved context would undo the newer guard's) and panics, or, if the thread is
    /// already panicking, only leaves the context as it is.
    ///
    /// # Examples
    /// ```
    /// use gosched::runtime::{Handle, Runtime};
    ///
    /// let rt = Runtime::new().unwrap();
    /// assert!(Handle::try_current().is_none());
    /// {
    ///     let _guard = rt.handle().enter();
    ///     // Inside the runtime: spawn works from this plain thread.
    ///     let task = gosched::spawn(async { 6 * 7 });
    ///     assert_eq!(rt.block_on(task).unwrap(), 42);
    ///     assert!(Handle::try_current().is_some());
    /// }
    /// assert!(Handle::try_current().is_none());
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _entered: context::enter(self.shared.clone()),
            _handle: PhantomData,
        }
    }

    /// Spawns a task on this runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future, Location::caller())
    }

    /// Runs a blocking closure on the blocking pool.
    #[track_caller]
    pub fn spawn_blocking<R, F>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        crate::blocking::spawn_blocking(&self.shared, f, Location::caller())
    }

    /// Runs `future` to completion on this thread.
    ///
    /// # Panics
    /// On a gosched worker thread.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        super::block_on(&self.shared, future)
    }

    /// A snapshot of the runtime's counters.
    pub fn metrics(&self) -> Metrics {
        Metrics::read(&self.shared)
    }

    /// Every live task.
    pub fn dump(&self) -> Vec<TaskInfo> {
        super::dump::dump(&self.shared)
    }

    /// Writes what the trace rings hold now (the newest 65,535 events per worker thread) to
    /// `path` as Chrome trace-event JSON, which Perfetto opens; recording goes on (Go's
    /// `FlightRecorder.WriteTo`). Needs [`Builder::flight_recorder`](super::Builder::flight_recorder)
    /// or `GOSCHED_TRACE`; without either it fails with `ErrorKind::Unsupported` naming them.
    ///
    /// # Examples
    /// ```
    /// use gosched::runtime::Builder;
    ///
    /// let rt = Builder::new().flight_recorder(true).build().unwrap();
    /// rt.block_on(async {
    ///     gosched::spawn(async {}).await.unwrap();
    ///     let path = std::env::temp_dir().join(format!("gosched-wt-{}.json", std::process::id()));
    ///     // Mid-run, from inside a task.
    ///     gosched::runtime::Handle::current().write_trace(&path).unwrap();
    ///     assert!(std::fs::read_to_string(&path).unwrap().starts_with('{'));
    ///     std::fs::remove_file(path).unwrap();
    /// });
    /// ```
    pub fn write_trace(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        super::report::write_trace(&self.shared, path.as_ref())
    }

    /// What [`write_trace`](Handle::write_trace) writes, as a string (the debug endpoint's
    /// `/debug/gosched/trace`); fails the same way when nothing is recorded.
    ///
    /// # Examples
    /// ```
    /// use gosched::runtime::Builder;
    ///
    /// let rt = Builder::new().flight_recorder(true).build().unwrap();
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// assert!(rt.handle().trace_json().unwrap().contains("traceEvents"));
    ///
    /// let off = Builder::new().build().unwrap();
    /// assert_eq!(off.handle().trace_json().unwrap_err().kind(), std::io::ErrorKind::Unsupported);
    /// ```
    pub fn trace_json(&self) -> std::io::Result<String> {
        super::report::trace_json(&self.shared)
    }

    /// Whether this runtime keeps trace rings ([`Builder::flight_recorder`](super::Builder::flight_recorder)
    /// or `GOSCHED_TRACE`), that is whether [`trace_json`](Handle::trace_json) and
    /// [`write_trace`](Handle::write_trace) can succeed. Reads the runtime's settings only.
    ///
    /// # Examples
    /// ```
    /// use gosched::runtime::Builder;
    ///
    /// let rt = Builder::new().flight_recorder(true).build().unwrap();
    /// assert!(rt.handle().trace_recording());
    /// ```
    pub fn trace_recording(&self) -> bool {
        super::report::recording(&self.shared)
    }

    /// Go's `SCHED` line followed by every `scheddetail` line (one per P, per M and per task),
    /// as `GOSCHED_DEBUG=schedtrace=MS,scheddetail=1` prints them, taken now.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Builder::new().maxprocs(2).build().unwrap();
    /// let text = rt.handle().sched_report();
    /// assert!(text.starts_with("SCHED ") && text.contains("gomaxprocs=2"), "{text}");
    /// assert!(text.contains("  P1: status="), "{text}");
    /// ```
    pub fn sched_report(&self) -> String {
        super::report::sched_report(&self.shared)
    }

    /// The scheduler's state now, as data: the counts of the `SCHED` line and one row per P
    /// and per worker thread (what [`sched_report`](Handle::sched_report) prints, and the debug
    /// page's P and M tables).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Builder::new().maxprocs(2).build().unwrap();
    /// let snap = rt.handle().sched_snapshot();
    /// assert_eq!((snap.gomaxprocs, snap.ps.len()), (2, 2));
    /// assert_eq!(snap.ps[1].id, 1);
    /// ```
    pub fn sched_snapshot(&self) -> super::SchedSnapshot {
        crate::sched::snapshot::take(&self.shared)
    }
}

/// The guard of [`Handle::enter`] and [`Runtime::enter`](super::Runtime::enter): this thread
/// is inside the runtime until it drops. Not `Send`: it describes the thread that made it.
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let guard = rt.enter();
/// assert!(gosched::runtime::Handle::try_current().is_some());
/// drop(guard);
/// assert!(gosched::runtime::Handle::try_current().is_none());
/// ```
///
/// It cannot move to another thread:
/// ```compile_fail
/// fn is_send<T: Send>(_: T) {}
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// is_send(rt.enter());
/// ```
#[must_use = "the thread leaves the runtime as soon as the guard drops"]
pub struct EnterGuard<'a> {
    _entered: context::Entered,
    _handle: PhantomData<&'a Handle>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("maxprocs", &self.shared.ps.len())
            .finish_non_exhaustive()
    }
}
