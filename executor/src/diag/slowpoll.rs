//! Slow-poll reports (`Builder::slow_poll_threshold`, `GOSCHED_DEBUG=slowpoll=MS`): the
//! runtime-wide half, [`Diag`] (a field of `Shared`, handed to the poll path by reference). The M measures the poll and decides it
//! was slow (diag/poll.rs); this file counts it, remembers it per task for the dump, and
//! prints the line, rate-limited:
//!
//! `gosched: slow poll: task 42 spawned at src/main.rs:10:5 ran 52.1 ms in one poll (blocked in the kernel); P1 handed to another thread`
//!
//! Everything here runs only after a slow poll (or at a dump), so it may take locks.

use crate::loom::atomic::{AtomicU64, Ordering};
use crate::runtime::Config;
use crate::task::Registry;
use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::panic::Location;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most this many report lines in any `WINDOW` (the documented limit; then one "N more
/// suppressed" line).
const MAX_LINES: usize = 10;
const WINDOW: Duration = Duration::from_secs(1);
/// Per-task records kept before the table is pruned of finished tasks (the bound then
/// doubles while that many tasks with slow polls are alive).
const TASK_TABLE_PRUNE_AT: usize = 4096;

/// One slow poll, as the M saw it.
pub(crate) struct SlowPoll {
    pub(crate) task: u64,
    /// Where the task was spawned (known when the poll was clocked, always when `report`).
    pub(crate) at: Option<&'static Location<'static>>,
    /// How long it ran, in ns.
    pub(crate) ran: u64,
    /// sysmon's CPU-clock verdict: blocked in the kernel (else computing).
    pub(crate) blocked: bool,
    /// The P sysmon retook during the poll.
    pub(crate) handed_off: Option<usize>,
    /// Over the threshold: print a line (a retake under the threshold is only counted).
    pub(crate) report: bool,
}

/// Per task: slow polls and the longest of them (ns).
#[derive(Clone, Copy, Default)]
pub(crate) struct TaskSlow {
    pub(crate) count: u32,
    pub(crate) longest: u64,
}

/// The runtime-wide diagnostic state.
///
/// # Fields
/// - `clock`, `clocked`, `clocked_word`, `threshold_ns`: fixed at build.
/// - `total`: shared counter, bumped once per slow poll (rare by definition).
/// - `limiter`, `tasks`: under their locks, taken only after a slow poll, at a dump, and at
///   shutdown.
pub(crate) struct Diag {
    /// The clock of the diagnostics: the TSC when `clocked`, else `CLOCK_MONOTONIC`
    /// (diag/tsc.rs).
    pub(crate) clock: super::tsc::Clock,
    /// The M reads `clock` around every poll (a threshold, the flight recorder or a trace
    /// file).
    pub(crate) clocked: bool,
    /// `u64::MAX` when `clocked`, else 0: or-ed into the header's `runnable_at`, so one test
    /// in `poll::begin` covers both of its rare cases. The same fact as `clocked`, kept twice on
    /// purpose: with `poll::end` testing this word too, LLVM kept it live across the poll and
    /// `begin` grew (`benches/diag_cost.sh` counts it).
    pub(crate) clocked_word: u64,
    /// The threshold in ns, `u64::MAX` without one (compared on every clocked poll).
    threshold_ns: u64,
    /// The runtime's time base (`Shared::started`), for `now_ns`.
    started: Instant,
    total: AtomicU64,
    limiter: Mutex<Limiter>,
    tasks: Mutex<Tasks>,
}

#[derive(Default)]
struct Tasks {
    map: HashMap<u64, TaskSlow>,
    prune_at: usize,
}

/// The last `MAX_LINES` lines' times (a sliding window, so no 1 s span ever holds more), and
/// how many reports were dropped since the last line.
#[derive(Default)]
struct Limiter {
    recent: VecDeque<Instant>,
    suppressed: u64,
}

impl Limiter {
    /// Whether a line may be printed now, and how many were suppressed before it.
    fn admit(&mut self, now: Instant) -> Option<u64> {
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= MAX_LINES {
            self.suppressed += 1;
            return None;
        }
        self.recent.push_back(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

impl Diag {
    /// `started`: the runtime's time base (`Shared::started`).
    pub(crate) fn new(config: &Config, started: Instant) -> Diag {
        let clocked = config.slow_poll.is_some() || config.flight_recorder || config.trace.is_some();
        let clock = if clocked {
            super::tsc::Clock::new(started)
        } else {
            super::tsc::Clock::monotonic(started)
        };
        Diag {
            clock,
            clocked,
            clocked_word: if clocked { u64::MAX } else { 0 },
            threshold_ns: config
                .slow_poll
                .map_or(u64::MAX, |t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX)),
            started,
            total: AtomicU64::new(0),
            limiter: Mutex::new(Limiter::default()),
            tasks: Mutex::new(Tasks {
                map: HashMap::new(),
                prune_at: TASK_TABLE_PRUNE_AT,
            }),
        }
    }

    /// The threshold in ns; `u64::MAX` without one, which no poll reaches.
    #[inline]
    pub(crate) fn threshold_ns(&self) -> u64 {
        self.threshold_ns
    }

    /// ns since the runtime started, by the process clock (what sysmon's poll starts are in).
    pub(crate) fn now_ns(&self) -> u64 {
        let since = Instant::now().saturating_duration_since(self.started);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX - 1)
    }

    /// `Metrics::slow_polls_total`.
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Counts, remembers and (over the threshold, within the rate limit) reports a slow poll.
    /// `registry` holds the runtime's live tasks (to prune the table of finished ones).
    pub(crate) fn slow_poll(&self, registry: &Registry, s: SlowPoll) {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.remember(registry, &s);
        if !s.report {
            return;
        }
        let admitted = self.lock_limiter().admit(Instant::now());
        let Some(suppressed) = admitted else {
            return;
        };
        let mut out = String::new();
        if suppressed > 0 {
            out.push_str(&suppressed_line(suppressed));
        }
        out.push_str(&line(&s));
        let _ = std::io::stderr().lock().write_all(out.as_bytes());
    }

    fn remember(&self, registry: &Registry, s: &SlowPoll) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if tasks.map.len() >= tasks.prune_at && !tasks.map.contains_key(&s.task) {
            let mut live = std::collections::HashSet::new();
            registry.for_each(|h| {
                live.insert(h.id.as_u64());
            });
            tasks.map.retain(|id, _| live.contains(id));
            tasks.prune_at = (tasks.map.len() * 2).max(TASK_TABLE_PRUNE_AT);
        }
        let t = tasks.map.entry(s.task).or_default();
        t.count = t.count.saturating_add(1);
        t.longest = t.longest.max(s.ran);
    }

    /// The slow-poll records of tasks, for the dump (empty when there were none).
    pub(crate) fn task_table(&self) -> HashMap<u64, TaskSlow> {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if tasks.map.is_empty() {
            HashMap::new()
        } else {
            tasks.map.clone()
        }
    }

    /// At shutdown: the count of reports still suppressed, if any.
    pub(crate) fn flush(&self) {
        let n = std::mem::take(&mut self.lock_limiter().suppressed);
        if n > 0 {
            let _ = std::io::stderr().lock().write_all(suppressed_line(n).as_bytes());
        }
    }

    fn lock_limiter(&self) -> std::sync::MutexGuard<'_, Limiter> {
        self.limiter.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The report line, newline included.
fn line(s: &SlowPoll) -> String {
    let what = if s.blocked {
        "blocked in the kernel"
    } else {
        "computing"
    };
    let mut out = format!("gosched: slow poll: task {}", s.task);
    if let Some(at) = s.at {
        out.push_str(&format!(" spawned at {at}"));
    }
    out.push_str(&format!(" ran {:.1} ms in one poll ({what})", s.ran as f64 / 1e6));
    if let Some(p) = s.handed_off {
        out.push_str(&format!("; P{p} handed to another thread"));
    }
    out.push('\n');
    out
}

fn suppressed_line(n: u64) -> String {
    format!("gosched: slow poll: {n} more suppressed\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_matches_api_md() {
        let at = Location::caller();
        let mut s = SlowPoll {
            task: 42,
            at: Some(at),
            ran: 52_140_000,
            blocked: true,
            handed_off: Some(1),
            report: true,
        };
        let want = format!(
            "gosched: slow poll: task 42 spawned at {at} ran 52.1 ms in one poll (blocked in the kernel); P1 handed to another thread\n"
        );
        assert_eq!(line(&s), want);
        s.blocked = false;
        s.handed_off = None;
        assert!(line(&s).ends_with("ran 52.1 ms in one poll (computing)\n"));
    }

    #[test]
    fn limiter_allows_ten_per_sliding_second() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..10 {
            assert_eq!(l.admit(t0 + Duration::from_millis(i * 50)), Some(0));
        }
        for _ in 0..5 {
            assert_eq!(l.admit(t0 + Duration::from_millis(900)), None);
        }
        // The first line left the window: one more, carrying the count.
        assert_eq!(l.admit(t0 + Duration::from_millis(1000)), Some(5));
        assert_eq!(l.admit(t0 + Duration::from_millis(1001)), None);
    }
}
