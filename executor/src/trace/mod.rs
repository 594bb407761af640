//! Observability: the schedtrace line (Go's `schedtrace`).

use crate::runtime::Metrics;
use crate::sched::Shared;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

/// Prints Go's `SCHED` line for `shared` to stderr.
pub(crate) fn schedtrace(shared: &Shared, now: Instant) {
    let m = Metrics::read(shared);
    let mut line = sched_line(&m, now.duration_since(shared.started).as_millis());
    line.push('\n');
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `SCHED 1004ms: gomaxprocs=4 idleprocs=0 threads=11 spinningthreads=0 needspinning=0
/// idlethreads=5 runqueue=12 [3 0 1 7]`, exactly Go's format.
pub(crate) fn sched_line(m: &Metrics, ms: u128) -> String {
    let mut s = format!(
        "SCHED {ms}ms: gomaxprocs={} idleprocs={} threads={} spinningthreads={} needspinning={} idlethreads={} runqueue={} [",
        m.maxprocs, m.idle_procs, m.threads, m.spinning_threads, 0, m.idle_threads, m.global_queue_depth
    );
    for (i, d) in m.local_queue_depths.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{d}");
    }
    s.push(']');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sched_line_matches_go() {
        let m = Metrics {
            maxprocs: 4,
            idle_procs: 0,
            threads: 11,
            spinning_threads: 0,
            idle_threads: 5,
            global_queue_depth: 12,
            local_queue_depths: vec![3, 0, 1, 7],
            ..Metrics::default()
        };
        assert_eq!(
            sched_line(&m, 1004),
            "SCHED 1004ms: gomaxprocs=4 idleprocs=0 threads=11 spinningthreads=0 needspinning=0 idlethreads=5 runqueue=12 [3 0 1 7]"
        );
    }
}
