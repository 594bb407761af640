//! `/debug/gosched/metrics`: every `Metrics` field in the Prometheus text exposition format
//! (version 0.0.4).
//!
//! Gauges keep the field's name (`gosched_live_tasks`), counters too (they already end in
//! `_total`: `gosched_polls_total`), `local_queue_depths` is `gosched_local_queue_depth{p="N"}`,
//! and the two latency histograms are `gosched_sched_latency_seconds` and
//! `gosched_poll_duration_seconds`.
//!
//! # Histogram buckets
//! `LatencyHistogram` keeps 8 buckets per power of two; the exposition keeps one per power of
//! two from 1 µs to about 18 minutes (32 `le` bounds and `+Inf`), each bound exactly
//! `2^k - 1` ns, where the histogram's own buckets end, so no count is moved across a bound.
//! `_count` is the `+Inf` bucket (the sum of the buckets read), so the two always agree even
//! when a record was in flight while the snapshot was read.

use crate::runtime::{LatencyHistogram, Metrics};
use std::fmt::Write as _;

/// Smallest exposed bound: `2^LOW_EXP - 1` ns (about 1 µs).
const LOW_EXP: u32 = 10;

/// The exposition of `m`.
pub(super) fn exposition(m: &Metrics) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let gauges: [(&str, usize, &str); 10] = [
        ("maxprocs", m.maxprocs, "Number of Ps (GOMAXPROCS)."),
        ("idle_procs", m.idle_procs, "Ps on the idle list."),
        (
            "threads",
            m.threads,
            "Worker threads (Ms) alive, plus sysmon; blocking-pool threads excluded.",
        ),
        (
            "spinning_threads",
            m.spinning_threads,
            "Ms spinning (looking for work to steal).",
        ),
        ("idle_threads", m.idle_threads, "Ms parked without a P."),
        (
            "blocking_threads",
            m.blocking_threads,
            "Blocking-pool threads alive.",
        ),
        (
            "idle_blocking_threads",
            m.idle_blocking_threads,
            "Blocking-pool threads waiting for work.",
        ),
        (
            "live_tasks",
            m.live_tasks,
            "Tasks spawned and not yet completed or dropped.",
        ),
        (
            "global_queue_depth",
            m.global_queue_depth,
            "Tasks in the global run queue.",
        ),
        (
            "locked_threads",
            m.locked_threads,
            "Threads locked to one pinned task (task::spawn_pinned).",
        ),
    ];
    for (name, v, help) in gauges {
        header(&mut out, name, help, "gauge");
        let _ = writeln!(out, "gosched_{name} {v}");
    }
    header(
        &mut out,
        "local_queue_depth",
        "Tasks in each P's local run queue, runnext included.",
        "gauge",
    );
    for (p, d) in m.local_queue_depths.iter().enumerate() {
        let _ = writeln!(out, "gosched_local_queue_depth{{p=\"{p}\"}} {d}");
    }
    let counters: [(&str, u64, &str); 7] = [
        (
            "spawned_total",
            m.spawned_total,
            "Tasks spawned since the runtime started.",
        ),
        (
            "polls_total",
            m.polls_total,
            "Task polls since the runtime started.",
        ),
        (
            "steals_total",
            m.steals_total,
            "Tasks moved between Ps by stealing.",
        ),
        (
            "handoffs_total",
            m.handoffs_total,
            "Ps moved off an M (sysmon retakes, block_in_place).",
        ),
        (
            "preemptions_total",
            m.preemptions_total,
            "Preemption requests that made a task yield.",
        ),
        (
            "netpoll_wakeups_total",
            m.netpoll_wakeups_total,
            "Tasks made runnable by the netpoller.",
        ),
        (
            "slow_polls_total",
            m.slow_polls_total,
            "Polls that ran at least slow_poll_threshold, or whose P sysmon retook.",
        ),
    ];
    for (name, v, help) in counters {
        header(&mut out, name, help, "counter");
        let _ = writeln!(out, "gosched_{name} {v}");
    }
    histogram(
        &mut out,
        "sched_latency_seconds",
        "Time from runnable to running (sampled: one runnable period in 64).",
        &m.sched_latency,
    );
    histogram(
        &mut out,
        "poll_duration_seconds",
        "Wall time of one poll (recorded only with slow_poll_threshold, the flight recorder or GOSCHED_TRACE).",
        &m.poll_duration,
    );
    out
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP gosched_{name} {help}");
    let _ = writeln!(out, "# TYPE gosched_{name} {kind}");
}

fn histogram(out: &mut String, name: &str, help: &str, h: &LatencyHistogram) {
    header(out, name, help, "histogram");
    let mut buckets = h.buckets().peekable();
    let mut cumulative = 0u64;
    // Bounds 2^k - 1 ns for k in LOW_EXP..=41; the histogram's last bucket ends at 2^41 - 1.
    for k in LOW_EXP..=41 {
        let le = (1u64 << k) - 1;
        while let Some(&(upper, n)) = buckets.peek() {
            if upper.as_nanos() > u128::from(le) {
                break;
            }
            cumulative += n;
            buckets.next();
        }
        let _ = writeln!(
            out,
            "gosched_{name}_bucket{{le=\"{}\"}} {cumulative}",
            le as f64 / 1e9
        );
    }
    // Anything past the last bound (none today; kept in case the histogram grows).
    cumulative += buckets.map(|(_, n)| n).sum::<u64>();
    let _ = writeln!(out, "gosched_{name}_bucket{{le=\"+Inf\"}} {cumulative}");
    let _ = writeln!(out, "gosched_{name}_sum {}", h.sum().as_secs_f64());
    let _ = writeln!(out, "gosched_{name}_count {cumulative}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_histograms_have_every_bound() {
        let text = exposition(&Metrics::default());
        let buckets = text
            .lines()
            .filter(|l| l.starts_with("gosched_poll_duration_seconds_bucket"))
            .count();
        assert_eq!(buckets, 33, "{text}");
        assert!(
            text.contains("gosched_poll_duration_seconds_bucket{le=\"0.000001023\"} 0"),
            "{text}"
        );
        assert!(text.contains("gosched_sched_latency_seconds_count 0"), "{text}");
    }
}
