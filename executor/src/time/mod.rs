//! Timers: `sleep`, `sleep_until`, `timeout`, `interval`.
//!
//! A timer lives in the 4-ary heap of the P it was first polled on (`heap.rs`). The M owning
//! that P runs it each time it looks for work (find step 0, sched/mod.rs); a thief runs its
//! victim's; an M that found no work at all sleeps until the nearest deadline of all Ps and
//! runs them all when it wakes: blocked in the poller while every P is idle (or sysmon is
//! off), else parked (sched/poller.rs); sysmon runs the ones overdue by 1 ms that nobody
//! ran. A timer that becomes the earliest breaks the blocking poll if it would sleep past it
//! (the handshake in `deadlines.rs`, whose `Timekeeper` also holds the runtime's clock, its
//! holds and the earliest deadline over all Ps). A timer never fires early: it fires when the clock has reached its deadline, read
//! as nanoseconds since the runtime started.
//!
//! A `Sleep` is not registered until its first `Pending` poll, so `timeout(d, ready_future)`
//! costs no allocation and no lock.
//!
//! After the runtime shut down (its `Runtime` was dropped), a timer polled through a `Handle`
//! that outlived it panics with a message that says so (tokio does the same), and a
//! `block_on` waiting on a timer when the runtime is dropped wakes up with that panic: waiting
//! would hang, since nothing runs the timers any more. The timer heaps are emptied at shutdown
//! (heap.rs), so no timer keeps the runtime alive.
//!
//! The clock is the runtime's timer clock (time/clock.rs), which tests can pause: [`pause`],
//! [`resume`], [`advance`], `Builder::start_paused`. [`Instant`] is gosched's own type, read
//! from that clock; std instants convert in wherever an `impl Into<Instant>` is taken.
//!
//! # Examples
//! ```
//! use gosched::time::{self, Duration, Instant};
//!
//! let rt = gosched::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let start = Instant::now();
//!     time::sleep(Duration::from_millis(5)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(5));
//!
//!     let slow = time::sleep(Duration::from_secs(60));
//!     assert!(time::timeout(Duration::from_millis(1), slow).await.is_err());
//!
//!     let mut ticker = time::interval(Duration::from_millis(2));
//!     let first = ticker.tick().await; // immediate
//!     let second = ticker.tick().await;
//!     assert_eq!(second - first, Duration::from_millis(2));
//! });
//! ```

pub(crate) mod clock;
pub(crate) mod deadlines;
pub(crate) mod heap;
mod instant;
pub(crate) mod monotonic;
mod pause;

pub use instant::Instant;
pub use pause::{advance, pause, resume};

use crate::loom::Arc;
use crate::sched::Shared;
use heap::Entry;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
pub use std::time::Duration;

/// Waits until `duration` has passed since this call.
///
/// The returned [`Sleep`] can be created anywhere; polling it outside a gosched runtime
/// panics.
pub fn sleep(duration: Duration) -> Sleep {
    let now = Instant::now();
    sleep_until(now.checked_add(duration).unwrap_or_else(|| far_future(now)))
}

/// Waits until `deadline`, on the current runtime's clock (std instants convert in).
///
/// # Examples
/// ```
/// use gosched::time::{self, Duration, Instant};
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(3);
///     time::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
///     // A std instant works too.
///     time::sleep_until(std::time::Instant::now()).await;
/// });
/// ```
pub fn sleep_until(deadline: impl Into<Instant>) -> Sleep {
    Sleep {
        deadline: deadline.into(),
        armed: None,
    }
}

/// A sleep until `ns` on `shared`'s timer clock.
pub(crate) fn sleep_until_ns(shared: &Shared, ns: u64) -> Sleep {
    sleep_until(shared.started + Duration::from_nanos(ns))
}

/// About 30 years from now: "never" for a deadline that overflows `Instant`.
fn far_future(now: Instant) -> Instant {
    now + Duration::from_secs(86_400 * 365 * 30)
}

/// Future returned by [`sleep`] and [`sleep_until`]. `Unpin`; dropping it cancels the timer.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    armed: Option<Armed>,
}

/// A registered timer: where it lives and its entry.
struct Armed {
    shared: Arc<Shared>,
    p: usize,
    entry: std::sync::Arc<Entry>,
}

impl Sleep {
    /// When this sleep ends.
    ///
    /// # Examples
    /// ```
    /// use gosched::time::{self, Duration, Instant};
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(time::sleep_until(deadline).deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Moves the deadline (earlier or later); the sleep is pending again until then. Takes
    /// gosched's or std's `Instant`.
    ///
    /// # Examples
    /// ```
    /// use gosched::time::{self, Duration, Instant};
    /// let mut s = time::sleep(Duration::from_secs(60));
    /// let sooner = Instant::now() + Duration::from_millis(1);
    /// s.reset(sooner);
    /// assert_eq!(s.deadline(), sooner);
    /// s.reset(std::time::Instant::now());
    /// ```
    pub fn reset(&mut self, deadline: impl Into<Instant>) {
        self.disarm();
        self.deadline = deadline.into();
    }

    /// Whether the deadline has passed (without polling).
    pub fn is_elapsed(&self) -> bool {
        match &self.armed {
            Some(a) => a.entry.is_fired(),
            None => Instant::now() >= self.deadline,
        }
    }

    fn disarm(&mut self) {
        if let Some(a) = self.armed.take() {
            if a.entry.cancel() {
                a.shared.ps[a.p].timers.note_cancelled();
            }
        }
    }

    /// Polls without spending budget (for `Timeout`, whose inner future already did).
    fn poll_unbudgeted(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(a) = &self.armed {
            if a.entry.is_fired() {
                return Poll::Ready(());
            }
            a.entry.register(cx.waker());
            if a.entry.is_fired() {
                return Poll::Ready(());
            }
            if a.entry.is_shut_down() {
                return shut_down(&a.shared);
            }
            crate::task::set_current_wait(crate::task::WAIT_SLEEP);
            return Poll::Pending;
        }
        let shared = crate::sched::context::with_current(|s| s.cloned()).unwrap_or_else(|| {
            panic!(
                "gosched: a timer (sleep, timeout or interval) was polled outside a gosched \
                 runtime. Await it inside a task, inside Runtime::block_on or #[gosched::main]"
            )
        });
        let when = shared.time.instant_to_ns(self.deadline.into_std());
        if shared.time.timer_now() >= when {
            return Poll::Ready(());
        }
        let p = crate::sched::context::current_p(&shared).unwrap_or(0);
        let entry = std::sync::Arc::new(Entry::new());
        entry.register(cx.waker());
        match shared.ps[p].timers.add(when, entry.clone()) {
            Ok(true) => shared.timer_added(when),
            Ok(false) => {}
            Err(heap::Closed) => return shut_down(&shared),
        }
        self.armed = Some(Armed { shared, p, entry });
        crate::task::set_current_wait(crate::task::WAIT_SLEEP);
        Poll::Pending
    }
}

/// A timer polled after its runtime shut down. On a worker or a pinned thread of that runtime
/// (a task still running while the runtime shuts down, which is about to cancel it) the timer
/// just never fires; anywhere else (`Handle::block_on` on a dropped runtime) it panics, as tokio does:
/// waiting would hang, since nobody runs the timers any more.
#[track_caller]
fn shut_down(shared: &Arc<Shared>) -> Poll<()> {
    let own_worker =
        crate::sched::context::with_worker(|cx| cx.is_some_and(|cx| Arc::ptr_eq(&cx.shared, shared)));
    if own_worker || crate::sched::on_pinned_thread_of(shared) {
        return Poll::Pending;
    }
    panic!(
        "gosched: a timer (sleep, timeout or interval) was polled after its runtime shut down \
         (the Runtime was dropped); nothing will ever fire it. Keep the Runtime alive while \
         its Handles use timers"
    )
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        ready!(crate::coop::spend(cx));
        self.poll_unbudgeted(cx)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.disarm();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("armed", &self.armed.is_some())
            .finish()
    }
}

/// Runs `future` for at most `duration`: `Err(Elapsed)` if it has not finished by then.
///
/// The inner future is polled first, and the clock is read only when it first returns
/// `Pending`: the deadline is `duration` after that first poll (for the usual
/// `timeout(d, f).await`, the same instant as the call), so a future that is ready at once
/// costs neither a clock read nor a timer.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        duration,
        sleep: None,
    }
}

/// Runs `future` until `deadline` at most (gosched's or std's `Instant`).
///
/// # Examples
/// ```
/// use gosched::time::{self, Duration, Instant};
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(1);
///     assert!(time::timeout_at(deadline, std::future::pending::<()>()).await.is_err());
/// });
/// ```
pub fn timeout_at<F: Future>(deadline: impl Into<Instant>, future: F) -> Timeout<F> {
    Timeout {
        future,
        duration: Duration::ZERO,
        sleep: Some(sleep_until(deadline)),
    }
}

/// Future returned by [`timeout`]. `Unpin` when `F` is.
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Timeout<F> {
    future: F,
    /// Used to make `sleep` at the first `Pending` (for `timeout`).
    duration: Duration,
    sleep: Option<Sleep>,
}

impl<F> Timeout<F> {
    /// The inner future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Gives the inner future back.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of `future`: it is never moved out while pinned (no method
        // takes it out of a pinned `Timeout`, and `Drop` is not implemented), and `Timeout` is
        // `Unpin` only when `F` is. `sleep` is `Unpin` and is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(v) = future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        // The inner future spent the budget if it touched a gosched resource; the deadline is
        // checked regardless, or a busy inner future could never time out.
        let duration = this.duration;
        let sleep = this.sleep.get_or_insert_with(|| sleep(duration));
        sleep.poll_unbudgeted(cx).map(|()| Err(Elapsed))
    }
}

/// The error of a [`Timeout`] whose deadline passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

/// Ticks every `period`; the first tick is immediate.
///
/// Missed ticks are dropped, as Go's `Ticker` does: after a late tick the next one is the next
/// multiple of `period` from the start, never a burst.
///
/// # Panics
/// If `period` is zero.
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Like [`interval`], with the first tick at `start` (gosched's or std's `Instant`).
///
/// # Panics
/// If `period` is zero.
pub fn interval_at(start: impl Into<Instant>, period: Duration) -> Interval {
    let start = start.into();
    assert!(
        !period.is_zero(),
        "gosched::time::interval: the period must be longer than zero"
    );
    Interval {
        period,
        start,
        next: start,
        sleep: sleep_until(start),
    }
}

/// Returned by [`interval`].
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    start: Instant,
    next: Instant,
    sleep: Sleep,
}

impl Interval {
    /// Waits for the next tick; returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.sleep.deadline() != self.next {
            self.sleep.reset(self.next);
        }
        ready!(Pin::new(&mut self.sleep).poll(cx));
        let scheduled = self.next;
        let mut next = scheduled + self.period;
        let now = Instant::now();
        if next <= now {
            // Late: skip to the next multiple of the period after now.
            let behind = now.duration_since(self.start).as_nanos();
            let k = behind / self.period.as_nanos() + 1;
            next = self.start + self.period.saturating_mul(u32::try_from(k).unwrap_or(u32::MAX));
        }
        self.next = next;
        Poll::Ready(scheduled)
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the ticker: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.start = Instant::now() + self.period;
        self.next = self.start;
    }
}
