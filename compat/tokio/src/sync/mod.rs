//! Synchronization for tasks: channels (`mpsc`, `oneshot`, `watch`, `broadcast`) and locks
//! (`Mutex`, `RwLock`, `Semaphore`, `Notify`, `OnceCell`, `Barrier`), with tokio's API.
//!
//! Waiters are served first come, first served. Every operation spends the task's cooperative
//! budget (a poll that finds nothing ready gives it back), so a loop over a ready channel still
//! lets other tasks run. A dropped future (a cancelled `select!` branch) leaves its queue,
//! drops its waker, and hands a notification, permit or slot it had already been given to the
//! next waiter.
//!
//! # Examples
//! ```
//! use tokio::sync::{mpsc, Mutex};
//! futures::executor::block_on(async {
//!     let (tx, mut rx) = mpsc::channel(8);
//!     let total = Mutex::new(0);
//!     tx.send(5).await.unwrap();
//!     drop(tx);
//!     while let Some(v) = rx.recv().await {
//!         *total.lock().await += v;
//!     }
//!     assert_eq!(*total.lock().await, 5);
//! });
//! ```

// How it is built: each primitive parks futures in a FIFO it keeps under its own
// `std::sync::Mutex` (`waitq.rs`), or, for the semaphore's free permits and oneshot, in atomics
// (`sem.rs`, `oneshot.rs`); wakers are woken after the lock is released. All budget spending
// goes through `poll_budget`. Under `--cfg loom` only the lock-free parts (the semaphore core,
// oneshot) and their models are built (`loom_sem.rs`, `loom_oneshot.rs`).
#![cfg_attr(loom, allow(dead_code))]

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::task::{Context, Poll};

pub(crate) mod sem;
pub(crate) mod waitq;

// Under `--cfg loom` only the lock-free core and its models are built.
#[cfg(all(test, loom))]
mod loom_oneshot;
#[cfg(all(test, loom))]
mod loom_sem;

#[cfg(not(loom))]
pub mod broadcast;
#[cfg(not(loom))]
pub mod mpsc;
pub mod oneshot;
#[cfg(not(loom))]
pub mod watch;

/// The named futures of `tokio::sync`.
#[cfg(not(loom))]
pub mod futures {
    pub use super::notify::{Notified, OwnedNotified};
}

#[cfg(not(loom))]
mod barrier;
#[cfg(not(loom))]
mod mutex;
#[cfg(not(loom))]
mod notify;
#[cfg(not(loom))]
mod once_cell;
#[cfg(not(loom))]
mod rwlock;
#[cfg(not(loom))]
mod semaphore;

#[cfg(not(loom))]
pub use self::{
    barrier::{Barrier, BarrierWaitResult},
    mutex::{MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard},
    notify::{Notified, Notify},
    once_cell::{OnceCell, SetError},
    rwlock::{
        OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
        RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
    },
    semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit},
};

/// The unit of budget a poll spent; given back on drop unless `made_progress()` was called.
pub(crate) use gosched_executor::task::coop::RestoreOnPending as Budget;

/// Spends one unit of the polling task's cooperative budget: `Pending` (with the task already
/// woken) once it is spent or sysmon asked the task to yield; otherwise the unit, which a poll
/// that then finds nothing ready gives back (see [`progress`]). Every primitive calls this, and
/// only this.
#[inline]
pub(crate) fn poll_budget(cx: &mut Context<'_>) -> Poll<Budget> {
    gosched_executor::task::coop::poll_proceed(cx)
}

/// Keeps the unit `coop` spent if `poll` is ready; gives it back if it is pending.
#[inline]
pub(crate) fn progress<T>(coop: Budget, poll: Poll<T>) -> Poll<T> {
    if poll.is_ready() {
        coop.made_progress();
    }
    poll
}

/// Spends one unit at the start of an async method (yielding first if none is left).
pub(crate) async fn spend_budget() {
    std::future::poll_fn(poll_budget).await.made_progress();
}

/// Runs `f` to completion on this thread, for the `blocking_*` methods. Panics inside a task
/// (a blocked worker would stall its P), as tokio does inside a runtime.
#[track_caller]
pub(crate) fn block_on<F: Future>(what: &str, f: F) -> F::Output {
    use std::sync::Arc;
    use std::task::Wake;
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    assert!(
        gosched_executor::task::try_id().is_none(),
        "Cannot {what} from within an asynchronous execution context (a gosched task): \
         use the async method, or call it from spawn_blocking"
    );
    let waker = Arc::new(Unpark(std::thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// The error of a failed [`Semaphore::acquire`]: the semaphore was closed.
#[derive(Debug, PartialEq, Eq)]
pub struct AcquireError(pub(crate) ());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl Error for AcquireError {}

/// The error of a failed [`Semaphore::try_acquire`].
#[derive(Debug, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits were free.
    NoPermits,
}

impl TryAcquireError {
    /// Whether the semaphore was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, TryAcquireError::Closed)
    }

    /// Whether there were not enough permits.
    pub fn is_no_permits(&self) -> bool {
        matches!(self, TryAcquireError::NoPermits)
    }
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl Error for TryAcquireError {}

/// The error of a failed `try_lock`/`try_read`/`try_write`: the lock is held.
#[derive(Debug)]
pub struct TryLockError(pub(crate) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl Error for TryLockError {}
