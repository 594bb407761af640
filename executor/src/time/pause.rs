//! Paused time for tests (Go's `testing/synctest`, tokio's `start_paused`): `pause`, `resume`,
//! `advance`. The clock and the auto-advance rule are in time/clock.rs; the M that jumps the clock
//! is in sched/poller.rs.

use super::{Duration, sleep_until_ns};
use crate::loom::Arc;
use crate::sched::Shared;
use std::future::poll_fn;
use std::task::Poll;

/// The runtime this thread is inside, or a panic naming `what` and the fix.
fn current(what: &str) -> Arc<Shared> {
    crate::sched::context::with_current(|s| s.cloned()).unwrap_or_else(|| {
        panic!(
            "gosched::time::{what} called outside a gosched runtime: the clock it moves is a \
             runtime's. Call it inside a task, inside Runtime::block_on or #[gosched::test]"
        )
    })
}

/// Stops the current runtime's clock.
///
/// While paused, [`Instant::now`](super::Instant::now) stands still and timers fire only when
/// the clock moves: by [`advance`], or by *auto-advance*: when no task is runnable or running
/// on any P, `block_on`'s future is not being polled, and no blocking-pool job or
/// `block_in_place` is in flight, the clock jumps to the next timer's deadline. So
/// `sleep(3600 s)` returns at once in real time, while the task sees an hour pass. I/O
/// readiness still arrives in real time (the runtime polls the network once before each jump).
/// Works on any `maxprocs`; the clock is per runtime.
///
/// # Panics
/// Outside a gosched runtime, or if the clock is already paused.
///
/// # Examples
/// ```
/// use gosched::time::{self, Duration, Instant};
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let real = std::time::Instant::now();
/// rt.block_on(async {
///     time::pause();
///     let start = Instant::now();
///     time::sleep(Duration::from_secs(3600)).await; // auto-advance: no real hour
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
///     time::resume();
/// });
/// assert!(real.elapsed() < Duration::from_secs(60));
/// ```
pub fn pause() {
    let shared = current("pause");
    assert!(
        shared.time.clock.pause(),
        "gosched::time::pause: the clock is already paused (by an earlier pause(), or by \
         Builder::start_paused / #[gosched::test(start_paused)]); call resume() first"
    );
}

/// Starts the current runtime's clock again, from the time it stood at.
///
/// Instants taken while paused stay comparable with later ones: the clock resumes from where
/// it stood, not from the real time.
///
/// # Panics
/// Outside a gosched runtime, or if the clock is not paused.
///
/// # Examples
/// ```
/// use gosched::time::{self, Duration, Instant};
///
/// let rt = gosched::runtime::Builder::new().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let t0 = Instant::now();
///     time::advance(Duration::from_secs(10)).await;
///     time::resume();
///     time::sleep(Duration::from_millis(1)).await; // real time again
///     assert!(t0.elapsed() >= Duration::from_millis(10_001));
/// });
/// ```
pub fn resume() {
    let shared = current("resume");
    assert!(
        shared.time.clock.resume(),
        "gosched::time::resume: the clock is not paused; resume() must follow a pause() (or \
         Builder::start_paused)"
    );
    // The blocking poller may wait on the paused clock: let it take the real deadline now.
    shared.poller.break_poll();
}

/// Moves the paused clock forward by `d`, firing the timers due by then in deadline order.
///
/// The clock steps from deadline to deadline as auto-advance does: each step once the tasks
/// the previous one woke have run and blocked again, so every task sees `Instant::now()` equal
/// to its own deadline. It returns with the clock exactly `d` later, after the tasks woken by
/// timers due by then have run until they blocked; timers due later have not fired.
/// While the runtime is busy (a task computing, a blocking-pool job running) the clock waits
/// for it, as auto-advance does.
///
/// # Panics
/// Outside a gosched runtime, or if the clock is not paused.
///
/// # Examples
/// ```
/// use gosched::time::{self, Duration};
/// use std::sync::{Arc, Mutex};
///
/// let rt = gosched::runtime::Builder::new().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let fired = Arc::new(Mutex::new(Vec::new()));
///     for secs in [3u64, 1, 2, 5, 4] {
///         let fired = fired.clone();
///         gosched::spawn(async move {
///             time::sleep(Duration::from_secs(secs)).await;
///             fired.lock().unwrap().push(secs);
///         });
///     }
///     time::advance(Duration::from_millis(3500)).await;
///     assert_eq!(*fired.lock().unwrap(), [1, 2, 3]);
/// });
/// ```
pub async fn advance(d: Duration) {
    let shared = current("advance");
    assert!(
        shared.time.clock.is_paused(),
        "gosched::time::advance: the clock is not paused; call time::pause() first (or build \
         the runtime with Builder::start_paused(true))"
    );
    let target = shared
        .time
        .timer_now()
        .saturating_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .min(crate::time::clock::MAX_PAUSED_NS);
    // The steps up to `target` are auto-advance's; this task's own timer is the last.
    sleep_until_ns(&shared, target).await;
    // Then wait until the tasks woken at `target` have run (the checker wakes idle waiters
    // before it jumps again; `resume` wakes them too).
    let mut ticket = None;
    poll_fn(|cx| {
        if !shared.time.clock.is_paused() || shared.time.clock.poll_idle(&mut ticket, cx.waker()) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}
