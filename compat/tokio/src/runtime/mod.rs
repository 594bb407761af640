//! tokio::runtime on gosched: [`Builder`], [`Runtime`], [`Handle`].
//!
//! The mapping to gosched is in two places: `Builder::to_gosched` (builder.rs) turns tokio's
//! settings into gosched's, and `Runtime`/`Handle` (rt.rs, handle.rs) wrap gosched's
//! runtime and handle one call each. A runtime built here is a gosched runtime; a task spawned
//! through it is a gosched task.

mod builder;
mod handle;
mod rt;

pub use builder::Builder;
pub use gosched_executor::runtime::EnterGuard;
pub use handle::{Handle, RuntimeFlavor, TryCurrentError};
pub use rt::{Runtime, RuntimeMetrics};
