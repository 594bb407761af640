//! The runtime: [`Runtime`], its [`Builder`] and [`Handle`], and what it reports
//! ([`Metrics`], [`TaskInfo`], [`verify_no_leaks`]).

pub(crate) mod block_on;
mod builder;
pub(crate) mod dump;
mod handle;
mod metrics;
mod rt;

pub use builder::Builder;
pub use dump::{LeakError, TaskInfo, TaskState, WaitReason, format_dump, verify_no_leaks};
pub use handle::{EnterGuard, Handle};
pub use metrics::{LatencyHistogram, Metrics};
pub use rt::Runtime;

pub(crate) use block_on::block_on;
pub(crate) use builder::Config;

/// How many runtimes' state is still allocated in this process: each `Runtime` counts from
/// its build until it is dropped and the last `Handle`, task, timer and socket of it is gone.
/// A leak check for tests (the count is back where it started once every runtime a test built
/// was dropped, together with its handles).
///
/// # Examples
/// ```
/// use gosched::runtime::{Runtime, live_runtimes};
///
/// let before = live_runtimes();
/// let rt = Runtime::new().unwrap();
/// assert!(live_runtimes() >= 1);
/// rt.block_on(async {
///     gosched::spawn(gosched::time::sleep(std::time::Duration::from_secs(3600)));
/// });
/// drop(rt); // its sleeping task and timer go with it
/// assert_eq!(live_runtimes(), before);
/// ```
pub fn live_runtimes() -> usize {
    crate::sched::shared::live()
}
