//! The M: a worker thread's shared half (the parker, the stealer of its spawn buffer, flags and
//! counters). The thread-local half is `context::WorkerCx`.

use super::p::OwnedP;
use crate::loom::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::loom::{Condvar, Mutex};
use crate::task::Notified;
use crossbeam_deque::{Steal, Stealer};

/// `M::p` when the M holds no P.
pub(crate) const NO_P: usize = usize::MAX;

/// Why a parked M woke up.
pub(crate) enum Wakeup {
    /// It was handed this P; `spinning` says whether it counts in `nmspinning`.
    Run { p: OwnedP, spinning: bool },
    /// The runtime is shutting down.
    Exit,
    /// A surplus M parked for the keep-alive: its thread exits (`Shared::stopm`).
    Retire,
}

/// Parking state, guarded by `M::park`.
struct Park {
    /// Set by `startm` (Go's `mp.nextp`).
    next: Option<(OwnedP, bool)>,
    exit: bool,
}

/// # Fields
/// - `park`/`cv`: the parker; `next` is written by whoever starts this M, under the mutex.
/// - `buffer`: steals from the M's spawn buffer (the `Worker` lives in the thread's context).
/// - `spinning`, `p`, `curg`, `blocked`: written by the M's thread, read by metrics/schedtrace.
/// - `preempt`: the poll sysmon asks to yield, by its identity (`p::poll_id`; 0: none). Set
///   by sysmon (`PView::request_preempt`, `PView::retake` in p.rs) for the poll it saw; never
///   cleared: a poll honours only a request that names it (`coop::reset`), so a request that
///   arrives after its poll ended does not touch the next one.
/// - counters: written by the M's thread only (load + store), summed by `metrics()`.
///
/// Aligned to 128 bytes for the same reason as `P`: the M's thread writes its counters on
/// every poll, and two Ms' allocations may otherwise share a line.
#[repr(align(128))]
pub(crate) struct M {
    pub(crate) id: usize,
    park: Mutex<Park>,
    cv: Condvar,
    pub(super) buffer: Stealer<Notified>,
    pub(crate) spinning: AtomicBool,
    pub(crate) p: AtomicUsize,
    pub(crate) curg: AtomicU64,
    pub(crate) blocked: AtomicBool,
    pub(super) preempt: AtomicU64,
    pub(crate) polls: AtomicU64,
    pub(crate) spawned: AtomicU64,
    pub(crate) steals: AtomicU64,
    /// The thread's CPU-time clock (`pthread_getcpuclockid`), tagged with `CLOCK_SET`; 0 until
    /// the thread has started.
    cpu_clock: AtomicU64,
    /// The thread's kernel id (`gettid`), 0 until the thread has started.
    tid: AtomicU64,
    /// This M's trace events, when the runtime records a trace (read through `trace()`).
    trace: Option<crate::diag::export::Ring>,
    /// Latency histograms and what sysmon saw of the current poll (diag/poll.rs).
    pub(crate) diag: crate::diag::poll::MDiag,
}

/// Tag bit of `M::cpu_clock`: clock ids are negative numbers, so "set" needs its own bit.
const CLOCK_SET: u64 = 1 << 63;

impl M {
    pub(crate) fn new(id: usize, buffer: Stealer<Notified>, trace: bool) -> M {
        M {
            id,
            park: Mutex::new(Park {
                next: None,
                exit: false,
            }),
            cv: Condvar::new(),
            buffer,
            spinning: AtomicBool::new(false),
            p: AtomicUsize::new(NO_P),
            curg: AtomicU64::new(0),
            blocked: AtomicBool::new(false),
            preempt: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            spawned: AtomicU64::new(0),
            steals: AtomicU64::new(0),
            cpu_clock: AtomicU64::new(0),
            tid: AtomicU64::new(0),
            trace: trace.then(crate::diag::export::Ring::new),
            diag: crate::diag::poll::MDiag::new(),
        }
    }

    /// This M's trace ring, if the runtime records a trace. Built with
    /// `RUSTFLAGS="--cfg gosched_no_trace"`, always `None`, so every recording site compiles
    /// away (to measure what tracing costs when it is off).
    #[inline]
    pub(crate) fn trace(&self) -> Option<&crate::diag::export::Ring> {
        if cfg!(gosched_no_trace) {
            None
        } else {
            self.trace.as_ref()
        }
    }

    /// Records an instant trace event on this M's track (one branch when tracing is off).
    pub(crate) fn trace_instant(&self, diag: &crate::diag::Diag, kind: crate::diag::export::Kind, n: u64) {
        if let Some(ring) = self.trace() {
            ring.instant(kind, diag.clock.ticks(), n);
        }
    }

    /// Called on the M's own thread at start: publishes its CPU clock for sysmon.
    pub(crate) fn publish_cpu_clock(&self) {
        let mut clock: libc::clockid_t = 0;
        // SAFETY: `pthread_self()` is this live thread; `clock` is a valid out pointer.
        let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
        if rc == 0 {
            self.cpu_clock
                .store(CLOCK_SET | u64::from(clock as u32), Ordering::Release);
        }
        #[cfg(target_os = "linux")]
        {
            // SAFETY: `gettid` takes no arguments and cannot fail.
            let tid = unsafe { libc::syscall(libc::SYS_gettid) };
            self.tid.store(tid as u64, Ordering::Release);
        }
    }

    /// Called on the M's own thread as it exits for good or retires: the clock and tid name a
    /// thread that is about to be gone (and whose ids the kernel may reuse).
    pub(crate) fn unpublish_cpu_clock(&self) {
        self.cpu_clock.store(0, Ordering::Release);
        self.tid.store(0, Ordering::Release);
    }

    /// Whether the kernel says the thread is running or waiting for a CPU (state `R` in
    /// `/proc/self/task/<tid>/stat`); `None` where that cannot be read. A thread whose CPU
    /// clock stands still because the machine is oversubscribed is runnable, not blocked.
    pub(crate) fn kernel_runnable(&self) -> Option<bool> {
        let tid = self.tid.load(Ordering::Acquire);
        if tid == 0 {
            return None;
        }
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
        // "tid (comm) S ...": the state follows the last ')' (comm may contain one).
        let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
        Some(state == 'R')
    }

    /// CPU time this M's thread has used, in ns; `None` if it has no CPU clock (then sysmon
    /// treats a stuck poll as computing, Go's running case).
    pub(crate) fn cpu_time(&self) -> Option<u64> {
        let tagged = self.cpu_clock.load(Ordering::Acquire);
        if tagged & CLOCK_SET == 0 {
            return None;
        }
        let clock = tagged as u32 as libc::clockid_t;
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid out pointer; the clock id names this M's thread, unpublished
        // before the thread retires (a reader that loaded it just before gets at worst the
        // reading of a gone or reused thread id: an error return or a wrong time, no UB).
        let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
        (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
    }

    /// Go's `notesleep(&mp.park)`: blocks until `start` or `exit`.
    pub(crate) fn park(&self) -> Wakeup {
        let mut park = self.park.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some((p, spinning)) = park.next.take() {
                return Wakeup::Run { p, spinning };
            }
            if park.exit {
                return Wakeup::Exit;
            }
            park = self.cv.wait(park).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// `park` for at most `timeout`; `None` if it ran out first. A timeout past what an
    /// `Instant` can hold (a huge keep-alive) parks without one.
    pub(crate) fn park_timeout(&self, timeout: std::time::Duration) -> Option<Wakeup> {
        let Some(deadline) = std::time::Instant::now().checked_add(timeout) else {
            return Some(self.park());
        };
        let mut park = self.park.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some((p, spinning)) = park.next.take() {
                return Some(Wakeup::Run { p, spinning });
            }
            if park.exit {
                return Some(Wakeup::Exit);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            park = self
                .cv
                .wait_timeout(park, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Go's `mp.nextp = pp; notewakeup(&mp.park)`.
    pub(crate) fn start(&self, p: OwnedP, spinning: bool) {
        let mut park = self.park.lock().unwrap_or_else(|e| e.into_inner());
        debug_assert!(park.next.is_none(), "M started twice");
        park.next = Some((p, spinning));
        drop(park);
        self.cv.notify_one();
    }

    /// Takes back a P handed to this M that it has not picked up: its thread failed to start,
    /// or exited without looking (shutdown, after the thread was joined).
    pub(crate) fn unstart(&self) -> Option<OwnedP> {
        let mut park = self.park.lock().unwrap_or_else(|e| e.into_inner());
        park.next.take().map(|(p, _)| p)
    }

    /// Shutdown: makes `park` return `Exit`.
    pub(crate) fn exit(&self) {
        let mut park = self.park.lock().unwrap_or_else(|e| e.into_inner());
        park.exit = true;
        drop(park);
        self.cv.notify_one();
    }

    /// Takes every task out of this M's spawn buffer, oldest first (a retake, the lost-buffer
    /// sweep: p.rs).
    pub(super) fn drain_buffer(&self, mut f: impl FnMut(Notified)) {
        loop {
            match self.buffer.steal() {
                Steal::Success(t) => f(t),
                Steal::Empty => break,
                Steal::Retry => crate::loom::spin_loop(),
            }
        }
    }

    /// sysmon's request that a poll yield, as a flag (any poll named), for tests that play
    /// sysmon's or the M's part by hand.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn preempt_flag(&self) -> PreemptFlag<'_> {
        PreemptFlag(&self.preempt)
    }

    /// Adds `n` to a counter this M's thread owns; returns the new value.
    pub(crate) fn bump(counter: &AtomicU64, n: u64) -> u64 {
        // Relaxed load + store: only the owning thread writes; readers want a recent value.
        let v = counter.load(Ordering::Relaxed) + n;
        counter.store(v, Ordering::Relaxed);
        v
    }
}

/// `M::preempt` seen as a flag (tests only): set means some poll was named.
#[cfg(all(test, not(loom)))]
pub(crate) struct PreemptFlag<'a>(&'a AtomicU64);

#[cfg(all(test, not(loom)))]
impl PreemptFlag<'_> {
    pub(crate) fn load(&self, order: Ordering) -> bool {
        self.0.load(order) != 0
    }

    /// Only clears (`false`): a request names a poll, which a test makes with `PView`.
    pub(crate) fn store(&self, on: bool, order: Ordering) {
        assert!(!on, "set a request through PView");
        self.0.store(0, order);
    }

    /// The identity of the poll named (`p::poll_id`), 0 for none.
    pub(crate) fn poll(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}
