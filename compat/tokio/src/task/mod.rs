//! tokio::task on gosched.
//!
//! The mapping: gosched's `JoinHandle`, `JoinError`, `AbortHandle` and `Id` have tokio's API
//! and are re-exported as they are; so are `yield_now`, `id`, `try_id`, `consume_budget`,
//! `unconstrained` and the `coop` module (`poll_proceed`, `RestoreOnPending`,
//! `has_budget_remaining`). `spawn`, `spawn_blocking` and `block_in_place` call gosched's with
//! tokio's generic parameters. `JoinSet` (for `join_next_with_id`, `join_all`, `detach_all`,
//! `FromIterator`) and `task_local!` (tokio's `get` takes `Clone` values, and `scope` returns a
//! named `TaskLocalFuture`) are the facade's own, on gosched tasks. Every task spawned here is
//! a gosched task: `gosched::task::try_id()` is `Some` inside it and the runtime's
//! dump lists it at the caller's line.

mod join_set;
mod task_local;

pub use gosched_executor::task::coop::{Unconstrained, unconstrained};
pub use gosched_executor::task::{
    AbortHandle, Id, JoinError, JoinHandle, consume_budget, coop, id, try_id, yield_now,
};
pub use join_set::JoinSet;
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};

/// Spawns `future` as a gosched task on the current runtime.
///
/// # Panics
/// Outside a runtime.
///
/// # Examples
/// ```
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let v = rt.block_on(async { tokio::spawn(async { 5 }).await.unwrap() });
/// assert_eq!(v, 5);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    gosched_executor::spawn(future)
}

/// Runs `f` on the current runtime's blocking pool.
///
/// # Panics
/// Outside a runtime.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    gosched_executor::spawn_blocking(f)
}

/// Runs `f` on this thread while the runtime hands this worker's P to another thread (Go's
/// `entersyscall`), so the other tasks keep running; gosched's `block_in_place` with tokio's
/// signature. Unlike tokio's, it also works on a current-thread runtime and outside a
/// runtime (where it just runs `f`).
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    gosched_executor::block_in_place(f)
}
