//! The diagnostics' clock: read around every poll when the slow-poll threshold, the flight
//! recorder or a trace file is on (two reads per poll, so it must be cheap), and for the
//! sampled `sched_latency` periods (two reads per sample) always.
//!
//! Where the kernel itself keeps time with the TSC (x86-64 with
//! `/sys/devices/system/clocksource/clocksource0/current_clocksource` = `tsc`, so the counter
//! is invariant and synchronised across CPUs, or Linux would not trust it), a read is one
//! `rdtsc`, as Go's `cputicks`; ticks become nanoseconds with a multiplier calibrated once per
//! process against `CLOCK_MONOTONIC` over `CALIBRATION`. Everywhere else, and in a runtime
//! that reads it around no poll (no calibration is worth 2 ms for one read in 64 polls), a
//! tick is a nanosecond of `clock_gettime(CLOCK_MONOTONIC)`, read directly (no `Instant`
//! arithmetic).
//!
//! Hot paths keep raw ticks (`ticks`): the trace rings store them and convert when a snapshot
//! is written (`since_start_ns`, nanoseconds since the runtime's `Shared::started`, the time
//! base of every trace event), and a poll's duration is converted once (`ticks_to_ns`) for
//! `poll_duration`; the slow-poll threshold is compared with that.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long the TSC is compared with the monotonic clock to learn its rate: with each end read
/// to within a few tens of ns, 2 ms gives the rate to about 1 part in 10^4 or better; paid
/// once per process and only by a runtime that reads this clock.
const CALIBRATION: Duration = Duration::from_millis(2);
/// Fixed-point shift of `Clock::mult` (ns per tick × 2^SHIFT).
const SHIFT: u32 = 32;

/// A calibrated clock; `Copy`, so each runtime keeps its own copy next to its other settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    /// Read the TSC (else `CLOCK_MONOTONIC` in ns).
    tsc: bool,
    /// ns per tick, in 32.32 fixed point (`1 << SHIFT` for the monotonic clock).
    mult: u64,
    /// The raw reading at `Shared::started`.
    origin: u64,
}

/// TSC rate calibration, once per process: `None` where the TSC is not used.
fn tsc_mult() -> Option<u64> {
    static MULT: OnceLock<Option<u64>> = OnceLock::new();
    *MULT.get_or_init(|| {
        if !kernel_uses_tsc() {
            return None;
        }
        let (m0, t0) = pair();
        while monotonic_ns() - m0 < CALIBRATION.as_nanos() as u64 {
            std::hint::spin_loop();
        }
        let (m1, t1) = pair();
        let ticks = t1.checked_sub(t0).filter(|&t| t > 0)?;
        Some((((m1 - m0) as u128) << SHIFT).div_euclid(u128::from(ticks)) as u64)
    })
}

/// A monotonic-clock reading and the TSC at the same moment: of a few tries, the one whose
/// two TSC reads around it are closest (a thread preempted mid-pair would skew the rate).
fn pair() -> (u64, u64) {
    let mut best = (u64::MAX, 0, 0);
    for _ in 0..PAIR_TRIES {
        let a = raw_tsc();
        let m = monotonic_ns();
        let b = raw_tsc();
        let width = b.wrapping_sub(a);
        if width < best.0 {
            best = (width, m, a + width / 2);
        }
    }
    (best.1, best.2)
}

/// Tries of `pair`.
const PAIR_TRIES: usize = 8;

fn kernel_uses_tsc() -> bool {
    cfg!(target_arch = "x86_64")
        && std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .is_ok_and(|s| s.trim() == "tsc")
}

impl Clock {
    /// The fastest clock there is (the TSC, calibrated: 2 ms once per process), counting
    /// from `started`.
    pub(crate) fn new(started: Instant) -> Clock {
        match tsc_mult() {
            Some(mult) => Clock::with(started, true, mult),
            None => Clock::monotonic(started),
        }
    }

    /// `CLOCK_MONOTONIC` in ns, counting from `started`: no calibration.
    pub(crate) fn monotonic(started: Instant) -> Clock {
        Clock::with(started, false, 1 << SHIFT)
    }

    fn with(started: Instant, tsc: bool, mult: u64) -> Clock {
        let mut c = Clock { tsc, mult, origin: 0 };
        // Read both clocks at one moment and move the origin back by the time since `started`.
        let since = Instant::now().saturating_duration_since(started).as_nanos() as u64;
        let raw = c.ticks();
        let back = ((u128::from(since) << SHIFT) / u128::from(c.mult)) as u64;
        c.origin = raw.saturating_sub(back);
        c
    }

    /// A raw reading, in ticks (convert with `since_start_ns`, differences with `ticks_to_ns`).
    #[inline]
    pub(crate) fn ticks(&self) -> u64 {
        if self.tsc { raw_tsc() } else { monotonic_ticks() }
    }

    /// A reading as nanoseconds since the runtime started.
    pub(crate) fn since_start_ns(&self, ticks: u64) -> u64 {
        self.ticks_to_ns(ticks.saturating_sub(self.origin))
    }

    /// A number of ticks as nanoseconds.
    #[inline]
    pub(crate) fn ticks_to_ns(&self, ticks: u64) -> u64 {
        ((u128::from(ticks) * u128::from(self.mult)) >> SHIFT) as u64
    }

    /// Nanoseconds since the runtime started.
    #[cfg(test)]
    fn now_ns(&self) -> u64 {
        self.since_start_ns(self.ticks())
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn raw_tsc() -> u64 {
    // SAFETY: `rdtsc` exists on every x86-64 CPU and has no preconditions.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn raw_tsc() -> u64 {
    unreachable!("the TSC is only used on x86-64")
}

/// `monotonic_ns` out of line, so a TSC read is the straight path through `Clock::ticks`.
#[cold]
#[inline(never)]
fn monotonic_ticks() -> u64 {
    monotonic_ns()
}

#[inline]
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out pointer and CLOCK_MONOTONIC always exists; on error `ts`
    // stays zero, which only makes a duration read wrong.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_instant() {
        let started = Instant::now();
        let c = Clock::new(started);
        std::thread::sleep(Duration::from_millis(20));
        let (ours, std) = (c.now_ns(), started.elapsed().as_nanos() as u64);
        // Within 1 % (calibration error) plus the few µs between the two reads.
        let diff = ours.abs_diff(std);
        assert!(diff < std / 100 + 50_000, "ours {ours} ns, Instant {std} ns");
        assert!(c.now_ns() >= ours, "monotone");
    }

    #[test]
    fn both_clocks_measure_a_sleep() {
        let started = Instant::now();
        for c in [Clock::new(started), Clock::monotonic(started)] {
            let a = c.ticks();
            std::thread::sleep(Duration::from_millis(2));
            let d = c.ticks_to_ns(c.ticks() - a);
            assert!((2_000_000..1_000_000_000).contains(&d), "{d} ns for a 2 ms sleep");
        }
    }
}
