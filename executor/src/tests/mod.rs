//! Internal tests (loom models, raw-task tests under miri).
//!
//! - `loom_blocking.rs`, `loom_state.rs`, `loom_runq.rs`, `loom_handoff.rs`, `loom_park.rs`,
//!   `loom_netpoll.rs`, `loom_break.rs`, `loom_clock.rs`, `loom_timer.rs`: loom models, built
//!   only with `--cfg loom` and debug assertions on: `RUSTFLAGS="--cfg loom -C
//!   debug-assertions" cargo test -p gosched-executor --lib --release -- loom` (as `.ci/run`
//!   does).
//! - `task_raw.rs`: the raw task's unsafe paths, for miri;
//!   `cargo +nightly miri test -p gosched-executor --lib -- task_raw`.
//! - `sysmon_kick.rs`: sysmon's kicks, one wake per long sleep.
//! - `support.rs`: the test scheduler and counting futures both use.

#[cfg(all(loom, not(debug_assertions)))]
compile_error!("the loom models check debug assertions too: RUSTFLAGS=\"--cfg loom -C debug-assertions\"");

mod support;

#[cfg(loom)]
mod loom_blocking;
#[cfg(loom)]
mod loom_break;
#[cfg(loom)]
mod loom_clock;
#[cfg(loom)]
mod loom_handoff;
#[cfg(loom)]
mod loom_netpoll;
#[cfg(loom)]
mod loom_park;
#[cfg(loom)]
mod loom_runq;
#[cfg(loom)]
mod loom_state;
#[cfg(loom)]
mod loom_timer;
#[cfg(not(loom))]
mod sysmon_kick;
#[cfg(not(loom))]
mod task_raw;
