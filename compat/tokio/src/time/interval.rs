//! `tokio::time::Interval` on a gosched `Sleep`, with tokio's three `MissedTickBehavior`s.

use super::{Duration, Instant};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// A tick that fires this little after its deadline is on time, not missed: timers have
/// millisecond granularity (tokio's docs), and a `Delay` interval would otherwise drift by
/// each tick's lateness.
const ON_TIME_SLACK: Duration = Duration::from_millis(5);

/// "Never", for a deadline past what `Instant` holds (an `interval(Duration::MAX)`): about 30
/// years on, as gosched's `sleep` does.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `at + d`, or far in the future when that overflows.
fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d).unwrap_or_else(|| at + FAR_FUTURE)
}

/// Ticks every `period`; the first tick completes at once. Missed ticks burst (tokio's
/// default [`MissedTickBehavior::Burst`]).
///
/// # Panics
/// If `period` is zero.
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
/// If `period` is zero.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    Interval {
        delay: gosched_executor::time::sleep_until(start),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does when ticks were missed (its task was late to call `tick`).
///
/// # Examples
/// With a 10 ms period and a task 35 ms late after the first tick, the next ticks are due at:
/// `Burst` 10, 20, 30 (all at once), then 40; `Delay` 10 (at once), then 45, 55; `Skip` 10
/// (at once), then 40, 50.
/// ```
/// use tokio::time::{self, Duration, Instant, MissedTickBehavior};
///
/// let rt = tokio::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     let mut iv = time::interval(Duration::from_millis(10));
///     iv.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     iv.tick().await;
///     time::advance(Duration::from_millis(35)).await;
///     assert_eq!(iv.tick().await, start + Duration::from_millis(10)); // late, at once
///     assert_eq!(iv.tick().await, start + Duration::from_millis(40)); // 20 and 30 skipped
/// });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissedTickBehavior {
    /// Ticks as fast as possible until caught up: the missed ticks fire at once, one per
    /// `tick`, then the schedule goes on from the start (tokio's default).
    #[default]
    Burst,
    /// The next tick is one period after the late one fired: the schedule shifts.
    Delay,
    /// Missed ticks are dropped: the next tick is the next multiple of `period` from the
    /// start (Go's `Ticker`).
    Skip,
}

impl MissedTickBehavior {
    /// The deadline after a tick due at `due` that fired late, at `now`.
    fn next_timeout(self, due: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => later(due, period),
            MissedTickBehavior::Delay => later(now, period),
            MissedTickBehavior::Skip => {
                let late = (now - due).as_nanos() % period.as_nanos();
                // `late` < period, which is a Duration: it fits.
                later(now, period - Duration::from_nanos(late as u64))
            }
        }
    }
}

/// The ticker of [`interval`] and [`interval_at`].
///
/// # Examples
/// ```
/// use tokio::time::{self, Duration, MissedTickBehavior};
///
/// let rt = tokio::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let mut ticker = time::interval(Duration::from_millis(10));
///     ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     let first = ticker.tick().await; // immediate
///     let second = ticker.tick().await;
///     assert_eq!(second - first, Duration::from_millis(10));
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    delay: gosched_executor::time::Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick; returns the instant it was due.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(Pin::new(&mut self.delay).poll(cx));
        let due = self.delay.deadline();
        let now = Instant::now();
        let next = if now > due + ON_TIME_SLACK {
            self.missed_tick_behavior.next_timeout(due, now, self.period)
        } else {
            later(due, self.period)
        };
        self.delay.reset(next);
        Poll::Ready(due)
    }

    /// The next tick is one period from now.
    pub fn reset(&mut self) {
        self.delay.reset(later(Instant::now(), self.period));
    }

    /// The next tick is now.
    pub fn reset_immediately(&mut self) {
        self.delay.reset(Instant::now());
    }

    /// The next tick is `after` from now.
    pub fn reset_after(&mut self, after: Duration) {
        self.delay.reset(later(Instant::now(), after));
    }

    /// The next tick is at `deadline`.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.delay.reset(deadline);
    }

    /// What this interval does about missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what this interval does about missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }
}
