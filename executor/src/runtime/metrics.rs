//! `Metrics`: a snapshot of a runtime's state and counters, summed from per-M counters on read.

use crate::diag::histogram::Histogram;
use crate::loom::atomic::Ordering;
use crate::sched::Shared;
use crate::sched::m::M;

pub use crate::diag::histogram::LatencyHistogram;

/// One histogram summed over every M.
fn summed(ms: &[crate::loom::Arc<M>], f: fn(&M) -> &Histogram) -> LatencyHistogram {
    let mut h = LatencyHistogram::default();
    for m in ms {
        f(m).add_to(&mut h);
    }
    h
}

/// A snapshot of a runtime's state and counters (Go's schedtrace fields and more).
///
/// Reading it takes a few locks briefly and sums per-M counters; the hot paths keep no shared
/// counter. Totals only grow.
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Builder::new().maxprocs(2).build().unwrap();
/// rt.block_on(rt.spawn(async {})).unwrap();
/// let m = rt.metrics();
/// assert_eq!(m.maxprocs, 2);
/// assert_eq!(m.local_queue_depths.len(), 2);
/// assert!(m.spawned_total >= 1 && m.polls_total >= 1);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Number of Ps.
    pub maxprocs: usize,
    /// Ps on the idle list.
    pub idle_procs: usize,
    /// Worker Ms alive, plus the sysmon thread when it runs (also one started only for
    /// schedtrace); blocking-pool threads, pinned threads and `block_on` callers excluded.
    pub threads: usize,
    /// Ms spinning (looking for work to steal).
    pub spinning_threads: usize,
    /// Ms parked without a P.
    pub idle_threads: usize,
    /// Blocking-pool threads alive.
    pub blocking_threads: usize,
    /// Blocking-pool threads waiting for work.
    pub idle_blocking_threads: usize,
    /// Tasks spawned and not yet completed or dropped.
    pub live_tasks: usize,
    /// Tasks in the global queue.
    pub global_queue_depth: usize,
    /// Tasks in each P's local queue, `runnext` included.
    pub local_queue_depths: Vec<usize>,
    /// Tasks spawned since the runtime started.
    pub spawned_total: u64,
    /// Polls since the runtime started (pinned tasks' included).
    pub polls_total: u64,
    /// Tasks moved between Ps by stealing.
    pub steals_total: u64,
    /// Ps moved off an M (sysmon retakes, `block_in_place`).
    pub handoffs_total: u64,
    /// Preemption requests that made a task yield.
    pub preemptions_total: u64,
    /// Tasks made runnable by the netpoller.
    pub netpoll_wakeups_total: u64,
    /// Polls that ran at least `slow_poll_threshold`, or whose P sysmon retook.
    pub slow_polls_total: u64,
    /// How long tasks waited from runnable to running (Go's `/sched/latencies:seconds`),
    /// sampled: one runnable period in 64.
    pub sched_latency: LatencyHistogram,
    /// How long one poll ran (wall time). Recorded only with `slow_poll_threshold`, the flight
    /// recorder or `GOSCHED_TRACE` (else `count()` is 0), so by default no poll reads a clock.
    pub poll_duration: LatencyHistogram,
    /// Threads of pinned tasks alive (`task::spawn_pinned`; Go's locked Ms). Not in `threads`.
    pub locked_threads: usize,
}

impl Metrics {
    pub(crate) fn read(shared: &Shared) -> Metrics {
        let ms = shared.all_ms();
        let sum = |f: fn(&crate::sched::m::M) -> u64| ms.iter().map(|m| f(m)).sum::<u64>();
        let idle_threads = shared.idle.idle_m_count();
        let (blocking_threads, idle_blocking_threads) = shared.blocking.thread_counts();
        Metrics {
            maxprocs: shared.ps.len(),
            idle_procs: shared.idle.idle_p_count(),
            threads: shared.threads(),
            spinning_threads: shared.idle.spinning_m_count(),
            idle_threads,
            blocking_threads,
            idle_blocking_threads,
            live_tasks: shared.registry.len(),
            global_queue_depth: shared.global.len(),
            local_queue_depths: shared.ps.iter().map(|p| p.runq().len()).collect(),
            spawned_total: sum(|m| m.spawned.load(Ordering::Relaxed))
                + shared.remote_spawned.load(Ordering::Relaxed),
            polls_total: sum(|m| m.polls.load(Ordering::Relaxed)) + shared.locked.polls(),
            steals_total: sum(|m| m.steals.load(Ordering::Relaxed)),
            handoffs_total: shared.handoffs.load(Ordering::Relaxed),
            preemptions_total: shared.preemptions.load(Ordering::Relaxed),
            netpoll_wakeups_total: shared.netpoll_wakeups.load(Ordering::Relaxed),
            slow_polls_total: shared.diag.total(),
            sched_latency: summed(&ms, |m| &m.diag.sched_latency),
            poll_duration: summed(&ms, |m| &m.diag.poll_duration),
            locked_threads: shared.locked.live(),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::runtime::Builder;
    use std::time::Duration;

    /// `threads` less the Ms: the sysmon thread, when it runs. Read between two equal M counts,
    /// so an M starting meanwhile cannot skew it.
    fn sysmon_threads(builder: Builder) -> usize {
        let rt = builder.maxprocs(1).build().unwrap();
        let shared = &rt.handle().shared;
        for _ in 0..1000 {
            let before = shared.ms.thread_count();
            let threads = rt.metrics().threads;
            if shared.ms.thread_count() == before {
                return threads - before;
            }
        }
        panic!("the M count never held still");
    }

    /// A sysmon started only to print schedtrace (`sysmon(false)` with `schedtrace`) is a
    /// thread of the runtime too, and `threads` (the schedtrace line's `threads=`) counts it.
    #[test]
    fn threads_count_the_sysmon_thread_whenever_it_runs() {
        assert_eq!(sysmon_threads(Builder::new()), 1);
        assert_eq!(sysmon_threads(Builder::new().sysmon(false)), 0);
        let schedtrace_only = Builder::new().sysmon(false).schedtrace(Duration::from_secs(3600));
        assert_eq!(sysmon_threads(schedtrace_only), 1);
    }
}
