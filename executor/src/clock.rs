//! A cheap clock for diagnostics (task age in dumps): `CLOCK_MONOTONIC_COARSE` on Linux, a
//! few nanoseconds to read and a few milliseconds of resolution, so a spawn does not pay for a
//! precise clock read. Timers use `Instant`, which is precise.

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
}
