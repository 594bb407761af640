//! Latency histograms (`Metrics::sched_latency`, `Metrics::poll_duration`): log-scale buckets
//! in the shape of HdrHistogram and Go's `timeHistogram`, one per M, summed on read.
//!
//! A value `v` in nanoseconds falls in bucket:
//! - `v` itself when `v < SUB_BUCKETS` (exact), else
//! - `(e - SUB_BITS + 1) * SUB_BUCKETS + m`, where `e` is the index of `v`'s highest set bit
//!   and `m` the `SUB_BITS` bits below it: each power of two is split into `SUB_BUCKETS`
//!   equal parts, so a bucket is at most 1/`SUB_BUCKETS` (12.5 %) wider than its lower bound.
//!
//! Values of `2^MAX_EXP` ns (about 18 minutes) and more go to the last bucket.
//!
//! # Fields
//! [`Histogram`] is written only by the M that owns it (a relaxed load + store per counter, as
//! the other per-M counters in `sched/m.rs`), and read by `Metrics::read`; no cache line is
//! shared on the hot path. A read concurrent with a record may see the bucket before the sum
//! (or the other way round): the snapshot is a diagnostic, off by at most the polls in flight.

use crate::loom::atomic::{AtomicU64, Ordering};
use std::fmt;
use std::time::Duration;

/// Bits of mantissa kept per power of two (Go's `timeHistSubBucketBits` is 4; 3 keeps the
/// per-M footprint at 2.6 KiB per histogram for a 12.5 % bucket width).
const SUB_BITS: u32 = 3;
const SUB_BUCKETS: usize = 1 << SUB_BITS;
/// Highest power of two with buckets of its own: 2^40 ns ≈ 18.3 min.
const MAX_EXP: u32 = 40;
/// Number of buckets: the exact ones below `SUB_BUCKETS`, then `SUB_BUCKETS` per power of two
/// from `2^SUB_BITS` to `2^MAX_EXP`.
const BUCKETS: usize = (MAX_EXP - SUB_BITS + 2) as usize * SUB_BUCKETS;

/// The last bucket's upper bound; larger values are counted in it too.
#[cfg(test)]
const MAX_VALUE: u64 = (1 << (MAX_EXP + 1)) - 1;

/// The bucket of `ns`, without a branch: with `e` the highest set bit of `ns | SUB_BUCKETS`
/// (at least `SUB_BITS`), `ns >> (e - SUB_BITS)` is `SUB_BUCKETS + m` for `ns >= SUB_BUCKETS`
/// and `ns` itself below, so adding `(e - SUB_BITS) * SUB_BUCKETS` gives both cases of the
/// module doc. Values over `MAX_VALUE` give indexes past the last bucket, and the `min` (which
/// also tells the compiler the index is in bounds) puts them in it.
#[inline]
fn bucket(ns: u64) -> usize {
    let e = 63 - (ns | SUB_BUCKETS as u64).leading_zeros();
    let i = (e - SUB_BITS) as usize * SUB_BUCKETS + (ns >> (e - SUB_BITS)) as usize;
    i.min(BUCKETS - 1)
}

/// The largest value that falls in bucket `i`.
fn upper_bound(i: usize) -> u64 {
    if i < SUB_BUCKETS {
        return i as u64;
    }
    let e = (i / SUB_BUCKETS) as u32 + SUB_BITS - 1;
    let m = (i % SUB_BUCKETS) as u64;
    ((SUB_BUCKETS as u64 + m + 1) << (e - SUB_BITS)) - 1
}

/// One M's histogram. No count: it is the buckets' sum, added up on read.
pub(crate) struct Histogram {
    /// A fixed-size array: `bucket` is below `BUCKETS`, so the index needs no bounds check.
    buckets: Box<[AtomicU64; BUCKETS]>,
    sum: AtomicU64,
    max: AtomicU64,
}

impl Histogram {
    pub(crate) fn new() -> Histogram {
        Histogram {
            buckets: Box::new(std::array::from_fn(|_| AtomicU64::new(0))),
            sum: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }

    /// Records one value. Only the owning M calls this.
    #[inline]
    pub(crate) fn record(&self, ns: u64) {
        // Relaxed load + store: one writer; readers want a recent value (see the module doc).
        let add =
            |c: &AtomicU64, n: u64| c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
        add(&self.buckets[bucket(ns)], 1);
        add(&self.sum, ns);
        if ns > self.max.load(Ordering::Relaxed) {
            self.max.store(ns, Ordering::Relaxed);
        }
    }

    /// Adds this M's counts into `into`.
    pub(crate) fn add_to(&self, into: &mut LatencyHistogram) {
        if into.buckets.is_empty() {
            into.buckets = vec![0; BUCKETS];
        }
        for (sum, b) in into.buckets.iter_mut().zip(self.buckets.iter()) {
            let n = b.load(Ordering::Relaxed);
            *sum += n;
            into.count += n;
        }
        into.sum += self.sum.load(Ordering::Relaxed);
        into.max = into.max.max(self.max.load(Ordering::Relaxed));
    }
}

/// A latency distribution over log-scale buckets (each at most 12.5 % wide), summed over the
/// runtime's threads when [`Metrics`](crate::runtime::Metrics) was read.
///
/// [`quantile`](LatencyHistogram::quantile) answers with the upper bound of the bucket the
/// quantile falls in (never more than the largest value recorded), so it may overstate a
/// latency by up to 12.5 % and never understates it.
///
/// # Examples
/// ```
/// use gosched::runtime::Builder;
/// use std::time::Duration;
///
/// let rt = Builder::new().slow_poll_threshold(Duration::from_secs(5)).build().unwrap();
/// rt.block_on(async {
///     for _ in 0..100 {
///         gosched::spawn(async {}).await.unwrap();
///     }
/// });
/// // With a threshold set, every poll's duration is recorded, just after the poll: a task
/// // that finished has woken the awaiter already, and its M may not have recorded it yet.
/// let deadline = std::time::Instant::now() + Duration::from_secs(10);
/// let mut m = rt.metrics();
/// while m.poll_duration.count() < 100 && std::time::Instant::now() < deadline {
///     std::thread::sleep(Duration::from_millis(1));
///     m = rt.metrics();
/// }
/// assert_eq!(m.poll_duration.count(), 100);
/// assert!(m.poll_duration.quantile(0.5) <= m.poll_duration.quantile(0.99));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// Counts per bucket (empty when nothing was ever summed in).
    buckets: Vec<u64>,
    count: u64,
    sum: u64,
    max: u64,
}

impl LatencyHistogram {
    /// The number of values recorded.
    ///
    /// # Examples
    /// ```
    /// let m = gosched::runtime::Runtime::new().unwrap().metrics();
    /// assert_eq!(m.poll_duration.count(), 0); // no threshold, no flight recorder
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q`-quantile (`q` in 0..=1, clamped; NaN counts as 0): the upper bound of the
    /// bucket holding the `ceil(q * count)`-th smallest value, capped at the largest value.
    /// `Duration::ZERO` when nothing was recorded. Non-decreasing in `q`.
    ///
    /// # Examples
    /// ```
    /// let m = gosched::runtime::Runtime::new().unwrap().metrics();
    /// assert_eq!(m.sched_latency.quantile(0.99), std::time::Duration::ZERO);
    /// ```
    pub fn quantile(&self, q: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Duration::from_nanos(upper_bound(i).min(self.max));
            }
        }
        // Counts read while records were in flight may fall short of `count`.
        Duration::from_nanos(self.max)
    }

    /// The sum of all recorded values.
    ///
    /// # Examples
    /// ```
    /// let m = gosched::runtime::Runtime::new().unwrap().metrics();
    /// assert_eq!(m.poll_duration.sum(), std::time::Duration::ZERO);
    /// ```
    pub fn sum(&self) -> Duration {
        Duration::from_nanos(self.sum)
    }

    /// Every bucket in ascending order, as `(upper bound, count)`: `count` values `v` with
    /// `previous upper bound < v <= upper bound` (whole nanoseconds) were recorded. The last
    /// bucket also holds every larger value (about 18 minutes and up). Empty when nothing was
    /// ever summed in. Counts are per bucket, not cumulative; they add up to
    /// [`count`](LatencyHistogram::count).
    ///
    /// # Examples
    /// ```
    /// use gosched::runtime::Builder;
    /// use std::time::Duration;
    ///
    /// let rt = Builder::new().slow_poll_threshold(Duration::from_secs(5)).build().unwrap();
    /// rt.block_on(async {
    ///     for _ in 0..100 {
    ///         gosched::spawn(async {}).await.unwrap();
    ///     }
    /// });
    /// let h = rt.metrics().poll_duration;
    /// let bounds: Vec<Duration> = h.buckets().map(|(le, _)| le).collect();
    /// assert!(bounds.windows(2).all(|w| w[0] < w[1]));
    /// assert!(h.buckets().map(|(_, n)| n).sum::<u64>() >= 50);
    /// ```
    pub fn buckets(&self) -> impl Iterator<Item = (Duration, u64)> + '_ {
        self.buckets
            .iter()
            .enumerate()
            .map(|(i, &n)| (Duration::from_nanos(upper_bound(i)), n))
    }
}

impl fmt::Debug for LatencyHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LatencyHistogram")
            .field("count", &self.count)
            .field("p50", &self.quantile(0.5))
            .field("p99", &self.quantile(0.99))
            .field("max", &Duration::from_nanos(self.max))
            .field("sum", &self.sum())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_narrow() {
        // Every value lands in a bucket whose bounds contain it, and bucket bounds meet.
        let mut prev_upper = None;
        for i in 0..BUCKETS - 1 {
            let up = upper_bound(i);
            if let Some(p) = prev_upper {
                assert_eq!(bucket(p + 1), i, "value {} after bucket {}", p + 1, i - 1);
                let lower = p + 1;
                assert!(
                    up - lower <= lower / SUB_BUCKETS as u64,
                    "bucket {i}: {lower}..={up}"
                );
            }
            assert_eq!(bucket(up), i);
            prev_upper = Some(up);
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
        assert_eq!(bucket(MAX_VALUE), BUCKETS - 1);
        assert_eq!(bucket(MAX_VALUE + 1), BUCKETS - 1);
        assert_eq!(upper_bound(BUCKETS - 1), MAX_VALUE);
        assert_eq!(bucket(1 << MAX_EXP), bucket((1 << MAX_EXP) + 1));
    }

    #[test]
    fn quantiles_are_monotone_and_close() {
        let h = Histogram::new();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let mut snap = LatencyHistogram::default();
        h.add_to(&mut snap);
        assert_eq!(snap.count(), 10_000);
        let mut last = Duration::ZERO;
        for i in 0..=100 {
            let q = snap.quantile(i as f64 / 100.0);
            assert!(q >= last, "quantile {i}% went down");
            last = q;
        }
        let p50 = snap.quantile(0.5).as_nanos() as f64;
        assert!((5e6..=5e6 * 1.125).contains(&p50), "{p50}");
        assert_eq!(snap.quantile(1.0), Duration::from_millis(10));
    }
}
