//! # gosched
//!
//! An async executor that schedules Rust futures the way Go's runtime schedules goroutines:
//! each future is a G, `maxprocs` Ps hold local run queues with a `runnext` slot, idle Ms
//! steal half a victim's queue, and sysmon asks long-running tasks to yield.
//!
//! ```
//! #[gosched::main(maxprocs = 2)]
//! async fn main() {
//!     let handles: Vec<_> = (0..10u64).map(|i| gosched::spawn(async move { i * 2 })).collect();
//!     let mut total = 0;
//!     for h in handles {
//!         total += h.await.unwrap();
//!     }
//!     assert_eq!(total, 90);
//! }
//! ```
#![warn(missing_docs)]

pub use gosched_executor::{JoinHandle, block_in_place, spawn, spawn_blocking};
pub use gosched_executor::{coop, netpoll, runtime, signal, task, task_local, time};
pub use gosched_macros::{main, test};

#[cfg(feature = "hyper")]
pub mod hyper;

/// Sockets driven by gosched's netpoller.
pub mod net {
    pub use gosched_net::*;
}
