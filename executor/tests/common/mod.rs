//! Helpers shared by the executor's integration tests: the workspace's test kit (watchdog,
//! `LIMIT`, the wait helpers) and a paused-clock runtime.
#![allow(dead_code, unused_imports)]

pub use gosched_testkit::*;

/// A runtime with `maxprocs` Ps whose clock starts paused (`Builder::start_paused`).
pub fn paused(maxprocs: usize) -> gosched_executor::runtime::Runtime {
    gosched_executor::runtime::Builder::new()
        .maxprocs(maxprocs)
        .start_paused(true)
        .build()
        .unwrap()
}
