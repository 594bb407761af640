//! The process's monotonic clocks, shared by every runtime in the process:
//!
//! - `coarse_now_ns`: a cheap clock for diagnostics (task age in dumps):
//!   `CLOCK_MONOTONIC_COARSE` on Linux, a few nanoseconds to read and a few milliseconds of
//!   resolution, so a spawn does not pay for a precise clock read.
//! - `precise_now_ns`: the precise monotonic clock, for sysmon and the poller.
//!
//! A runtime's timer clock, which tests can pause, is `time/clock.rs`; the diagnostics'
//! cycle counter is `diag/tsc.rs`.

/// Nanoseconds on a coarse monotonic clock (only differences are meaningful).
#[inline]
pub(crate) fn coarse_now_ns() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid out pointer and CLOCK_MONOTONIC_COARSE exists on every Linux
        // since 2.6.32; on error `ts` stays zero, which only makes an age read long.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
    #[cfg(not(target_os = "linux"))]
    {
        use std::sync::OnceLock;
        use std::time::Instant;
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

/// The coarse clock's resolution in nanoseconds (one kernel tick, 1–10 ms), read once.
pub(crate) fn coarse_resolution_ns() -> u64 {
    use std::sync::OnceLock;
    static RES: OnceLock<u64> = OnceLock::new();
    *RES.get_or_init(|| {
        #[cfg(target_os = "linux")]
        {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `ts` is a valid out pointer; the clock exists (see `coarse_now_ns`).
            let rc = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
            let ns = ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
            if rc == 0 && ns > 0 { ns } else { 10_000_000 }
        }
        #[cfg(not(target_os = "linux"))]
        {
            1
        }
    })
}

/// Time since `then` (a `coarse_now_ns` reading), rounded up by one tick of the coarse clock:
/// an upper bound of the real time, and never zero (a task spawned within the current tick
/// has existed for some time all the same).
pub(crate) fn coarse_since(then: u64) -> std::time::Duration {
    let d = coarse_now_ns().saturating_sub(then) + coarse_resolution_ns();
    std::time::Duration::from_nanos(d)
}

/// Nanoseconds on the precise monotonic clock (only differences are meaningful).
#[inline]
pub(crate) fn precise_now_ns() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

#[cfg(test)]
mod tests {
    #[test]
    fn coarse_clock_moves_forward() {
        let a = super::coarse_now_ns();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = super::coarse_now_ns();
        assert!(b > a && b - a >= 10_000_000, "{a} {b}");
    }

    #[test]
    fn coarse_since_is_never_zero() {
        let now = super::coarse_now_ns();
        assert!(super::coarse_since(now) > std::time::Duration::ZERO);
        // A reading from the future (another thread's later tick) still gives a positive age.
        assert!(super::coarse_since(now + 1_000_000_000) > std::time::Duration::ZERO);
    }
}
