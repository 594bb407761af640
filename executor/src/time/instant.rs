//! `Instant`: a point on the current runtime's timer clock (tokio's shape).

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

/// A measurement of the current runtime's clock, which stops while the runtime's time is
/// paused ([`pause`](super::pause), `Builder::start_paused`).
///
/// Inside a gosched runtime (a task, `block_on`, a blocking-pool thread) [`now`](Instant::now)
/// reads that runtime's timer clock: std's monotonic clock while it runs, the frozen time while
/// it is paused. Anywhere else it is std's clock. It wraps a [`std::time::Instant`], and std
/// instants convert in (`From`, or any `impl Into<Instant>` argument such as
/// [`sleep_until`](super::sleep_until)'s) and out ([`into_std`](Instant::into_std)).
///
/// # Examples
/// ```
/// use gosched::time::{self, Duration, Instant};
///
/// let rt = gosched::runtime::Builder::new().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     time::sleep(Duration::from_secs(5)).await;
///     assert_eq!(Instant::now() - start, Duration::from_secs(5));
///     assert_eq!(start.elapsed(), Duration::from_secs(5));
///     let std_start: std::time::Instant = start.into_std();
///     assert_eq!(Instant::from(std_start), start);
///     assert!(start + Duration::from_secs(1) > start);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    std: std::time::Instant,
}

impl Instant {
    /// The current runtime's clock now (paused-aware); std's clock outside a runtime.
    ///
    /// # Examples
    /// ```
    /// let a = gosched::time::Instant::now();
    /// let b = gosched::time::Instant::now();
    /// assert!(b >= a);
    /// ```
    pub fn now() -> Instant {
        let std = crate::sched::context::with_current(|s| s.map(|s| s.time.clock.now_instant()))
            .unwrap_or_else(std::time::Instant::now);
        Instant { std }
    }

    /// Wraps a std instant.
    ///
    /// # Examples
    /// ```
    /// let std_now = std::time::Instant::now();
    /// let now = gosched::time::Instant::from_std(std_now);
    /// assert_eq!(now.into_std(), std_now);
    /// ```
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant { std }
    }

    /// The std instant this wraps.
    ///
    /// # Examples
    /// ```
    /// let now = gosched::time::Instant::now();
    /// let std_now: std::time::Instant = now.into_std();
    /// assert_eq!(gosched::time::Instant::from(std_now), now);
    /// ```
    pub fn into_std(self) -> std::time::Instant {
        self.std
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later (as std's since Rust 1.60).
    ///
    /// # Examples
    /// ```
    /// use gosched::time::{Duration, Instant};
    /// let a = Instant::now();
    /// let b = a + Duration::from_millis(3);
    /// assert_eq!(b.duration_since(a), Duration::from_millis(3));
    /// assert_eq!(a.duration_since(b), Duration::ZERO);
    /// ```
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// Time from `earlier` to `self`, or `None` if `earlier` is later.
    ///
    /// # Examples
    /// ```
    /// use gosched::time::{Duration, Instant};
    /// let a = Instant::now();
    /// let b = a + Duration::from_millis(3);
    /// assert_eq!(b.checked_duration_since(a), Some(Duration::from_millis(3)));
    /// assert_eq!(a.checked_duration_since(b), None);
    /// ```
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.std.checked_duration_since(earlier.std)
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    ///
    /// # Examples
    /// ```
    /// use gosched::time::{Duration, Instant};
    /// let a = Instant::now();
    /// assert_eq!(a.saturating_duration_since(a + Duration::from_secs(1)), Duration::ZERO);
    /// ```
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// Time passed since `self` on the current runtime's clock (paused-aware).
    ///
    /// # Examples
    /// ```
    /// use gosched::time::{self, Duration, Instant};
    /// let rt = gosched::runtime::Builder::new().start_paused(true).build().unwrap();
    /// rt.block_on(async {
    ///     let start = Instant::now();
    ///     std::thread::sleep(Duration::from_millis(2)); // real time: the paused clock stands
    ///     assert_eq!(start.elapsed(), Duration::ZERO);
    ///     time::advance(Duration::from_millis(7)).await;
    ///     assert_eq!(start.elapsed(), Duration::from_millis(7));
    /// });
    /// ```
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }

    /// `self + d`, or `None` if that does not fit.
    ///
    /// # Examples
    /// ```
    /// use gosched::time::{Duration, Instant};
    /// let now = Instant::now();
    /// assert_eq!(now.checked_add(Duration::from_secs(1)), Some(now + Duration::from_secs(1)));
    /// assert_eq!(now.checked_add(Duration::MAX), None);
    /// ```
    pub fn checked_add(&self, d: Duration) -> Option<Instant> {
        self.std.checked_add(d).map(Instant::from_std)
    }

    /// `self - d`, or `None` if that does not fit.
    ///
    /// # Examples
    /// ```
    /// use gosched::time::{Duration, Instant};
    /// let now = Instant::now();
    /// assert_eq!(now.checked_sub(Duration::MAX), None);
    /// ```
    pub fn checked_sub(&self, d: Duration) -> Option<Instant> {
        self.std.checked_sub(d).map(Instant::from_std)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant { std }
    }
}

impl From<Instant> for std::time::Instant {
    fn from(i: Instant) -> std::time::Instant {
        i.std
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// # Panics
    /// If the result does not fit (as std's).
    fn add(self, d: Duration) -> Instant {
        Instant { std: self.std + d }
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        self.std += d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        Instant { std: self.std - d }
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, d: Duration) {
        self.std -= d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Zero if `rhs` is later (as std's).
    fn sub(self, rhs: Instant) -> Duration {
        self.duration_since(rhs)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.std.fmt(f)
    }
}
