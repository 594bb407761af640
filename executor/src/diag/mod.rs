//! Observability: the schedtrace line (Go's `schedtrace`), the trace export (`export.rs`) and
//! its flight-recorder snapshot and signal-time writes (`recorder.rs`), what the poll path
//! measures (`poll.rs`: slow polls, latency histograms in `histogram.rs`) and the slow-poll
//! reports (`slowpoll.rs`).

pub(crate) mod export;
pub(crate) mod histogram;
pub(crate) mod poll;
pub(crate) mod recorder;
mod ring;
pub(crate) mod slowpoll;
mod tsc;

pub(crate) use slowpoll::Diag;

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
    if shared.config.scheddetail {
        detail_lines(shared, &mut line);
    }
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The SCHED line and every scheddetail line, now (SIGQUIT's dump).
pub(crate) fn sched_report(shared: &Shared) -> String {
    let m = Metrics::read(shared);
    let mut out = sched_line(&m, Instant::now().duration_since(shared.started).as_millis());
    out.push('\n');
    detail_lines(shared, &mut out);
    out
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

/// Go's `scheddetail` lines: one per P, per M and per task.
fn detail_lines(shared: &Shared, out: &mut String) {
    use crate::loom::atomic::Ordering;
    use crate::sched::p::PStatus;
    for p in shared.ps.iter() {
        // Go's status numbers: _Pidle 0, _Prunning 1, _Psyscall 2.
        let status = match p.status() {
            PStatus::Idle => 0,
            PStatus::Owned | PStatus::InPoll(_) => 1,
        };
        let m = p.m().map_or(-1, |m| m.id as i64);
        // `gfreecnt` is 0: no freed task cells are kept (task/raw.rs, `RawTask::new`, says why).
        let _ = writeln!(
            out,
            "  P{}: status={status} schedtick={} syscalltick=0 m={m} runqsize={} gfreecnt=0 timerslen={}",
            p.id,
            p.schedtick(),
            p.runq().len(),
            p.timers.len()
        );
    }
    let ms = shared.all_ms();
    for m in ms.iter() {
        let p = m.p.load(Ordering::Relaxed);
        let p = if p == crate::sched::m::NO_P { -1 } else { p as i64 };
        let curg = m.curg.load(Ordering::Relaxed);
        let curg = if curg == 0 { -1 } else { curg as i64 };
        let _ = writeln!(
            out,
            "  M{}: p={p} curg={curg} spinning={} blocked={}",
            m.id,
            m.spinning.load(Ordering::Relaxed),
            m.blocked.load(Ordering::Relaxed)
        );
    }
    for t in crate::runtime::dump::dump(shared) {
        let (code, words) = go_status(&t);
        let reason = t.wait_reason.map(|r| r.to_string()).unwrap_or_default();
        let m = ms
            .iter()
            .find(|m| m.curg.load(Ordering::Relaxed) == t.id.as_u64())
            .map_or(-1, |m| m.id as i64);
        let _ = writeln!(
            out,
            "  G{}: status={code}({words}) m={m} waitreason={reason}",
            t.id
        );
    }
}

/// Go's goroutine status number and word for a task.
fn go_status(t: &crate::runtime::TaskInfo) -> (u32, String) {
    use crate::runtime::TaskState;
    match t.state {
        TaskState::Runnable | TaskState::Preempted => (1, "runnable".into()),
        TaskState::Running => (2, "running".into()),
        TaskState::Syscall => (3, "syscall".into()),
        TaskState::Waiting => (4, t.wait_reason.map_or("waiting".into(), |r| r.to_string())),
    }
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
