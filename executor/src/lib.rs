//! # gosched-executor
//!
//! The scheduler behind [gosched](https://docs.rs/gosched): Rust futures scheduled the way Go's
//! runtime schedules goroutines. Each future is a **G** (a task, one allocation); `maxprocs`
//! **P**s each hold a local run queue of 256 plus a `runnext` slot; a global queue takes the
//! overflow; idle **M**s (threads) steal half a victim's queue. A monitor thread (sysmon) asks
//! tasks that run too long to yield. The design is in `src/sched/mod.rs`.
//!
//! ```
//! use gosched::runtime::Runtime;
//!
//! let rt = Runtime::new().unwrap();
//! let answer = rt.block_on(async {
//!     let a = gosched::spawn(async { 40 });
//!     let b = gosched::spawn(async { 2 });
//!     a.await.unwrap() + b.await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    missing_docs,
    missing_debug_implementations
)]

mod blocking;
mod diag;
mod loom;
pub mod netpoll;
pub mod runtime;
pub(crate) mod sched;
pub mod signal;
mod sysmon;
pub mod task;
pub mod time;

#[cfg(test)]
mod tests;

pub use blocking::block_in_place;
pub use task::JoinHandle;
/// The cooperative budget; an alias of [`task::coop`], where it lives.
pub use task::coop;

use std::future::Future;
use std::panic::Location;

/// Spawns a task on the current runtime.
///
/// # Panics
/// Outside a runtime (use `Handle::spawn` with a cloned handle there).
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let v = rt.block_on(async { gosched::spawn(async { 5 }).await.unwrap() });
/// assert_eq!(v, 5);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let at = Location::caller();
    sched::context::with_current(|shared| match shared {
        Some(shared) => shared.spawn(future, at),
        None => panic!("{}", no_runtime("spawn")),
    })
}

/// Runs a blocking closure on the current runtime's blocking pool.
///
/// # Panics
/// Outside a runtime.
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let v = rt.block_on(async { gosched::spawn_blocking(|| 2 + 2).await });
/// assert_eq!(v.unwrap(), 4);
/// ```
#[track_caller]
pub fn spawn_blocking<R, F>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let at = Location::caller();
    sched::context::with_current(|shared| match shared {
        Some(shared) => blocking::spawn_blocking(shared, f, at),
        None => panic!("{}", no_runtime("spawn_blocking")),
    })
}

fn no_runtime(what: &str) -> String {
    format!(
        "gosched::{what} called outside a gosched runtime. Call it from a task, from inside \
         Runtime::block_on or #[gosched::main], or use a Handle: runtime.handle().{what}(...)"
    )
}
