//! Observability: the text of Go's `SCHED` and `scheddetail` lines (here, formatted from the
//! scheduler's snapshot, sched/snapshot.rs, and the task dump), the trace export
//! (`export.rs`, its per-M rings in `ring.rs`, its clock in `tsc.rs`), the signal- and
//! panic-time writes (`recorder.rs`), what the poll path measures (`poll.rs`: slow polls,
//! latency histograms in `histogram.rs`) and the slow-poll reports (`slowpoll.rs`).
//!
//! The diagnostics read the scheduler only through its snapshot and what the poll path is
//! lent (`poll::PollM`); the runtime joins them to its task dump and trace rings
//! (runtime/report.rs).

pub(crate) mod export;
pub(crate) mod histogram;
pub(crate) mod poll;
pub(crate) mod recorder;
mod ring;
pub(crate) mod slowpoll;
mod tsc;

pub(crate) use slowpoll::Diag;

use crate::runtime::TaskInfo;
use crate::sched::snapshot::SchedSnapshot;
use std::fmt::Write as _;
use std::io::Write as _;

/// Prints Go's `SCHED` line for `snap` to stderr, followed by the `scheddetail` lines when
/// `tasks` is given.
pub(crate) fn schedtrace(snap: &SchedSnapshot, tasks: Option<&[TaskInfo]>) {
    let mut line = sched_line(snap);
    line.push('\n');
    if let Some(tasks) = tasks {
        detail_lines(snap, tasks, &mut line);
    }
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The SCHED line and every scheddetail line of `snap` and `tasks` (SIGQUIT's dump,
/// `Handle::sched_report`).
pub(crate) fn sched_report(snap: &SchedSnapshot, tasks: &[TaskInfo]) -> String {
    let mut out = sched_line(snap);
    out.push('\n');
    detail_lines(snap, tasks, &mut out);
    out
}

impl std::fmt::Display for SchedSnapshot {
    /// Go's `SCHED` line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&sched_line(self))
    }
}

/// `SCHED 1004ms: gomaxprocs=4 idleprocs=0 threads=11 spinningthreads=0 needspinning=0
/// idlethreads=5 runqueue=12 [3 0 1 7]`, exactly Go's format.
pub(crate) fn sched_line(snap: &SchedSnapshot) -> String {
    let mut s = format!(
        "SCHED {}ms: gomaxprocs={} idleprocs={} threads={} spinningthreads={} needspinning={} idlethreads={} runqueue={} [",
        snap.uptime.as_millis(),
        snap.gomaxprocs,
        snap.idle_procs,
        snap.threads,
        snap.spinning_threads,
        snap.need_spinning,
        snap.idle_threads,
        snap.global_queue
    );
    for (i, p) in snap.ps.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{}", p.run_queue);
    }
    s.push(']');
    s
}

/// Go's `scheddetail` lines: one per P, per M and per task. `syscalltick` has no counterpart
/// in gosched and prints as 0; `gfreecnt` is 0 too: no freed task cells are kept (task/raw.rs,
/// `RawTask::new`, says why).
fn detail_lines(snap: &SchedSnapshot, tasks: &[TaskInfo], out: &mut String) {
    let id = |v: Option<usize>| v.map_or(-1, |v| v as i64);
    for p in &snap.ps {
        let _ = writeln!(
            out,
            "  P{}: status={} schedtick={} syscalltick=0 m={} runqsize={} gfreecnt=0 timerslen={}",
            p.id,
            p.status.go_code(),
            p.schedtick,
            id(p.m),
            p.run_queue,
            p.timers
        );
    }
    for m in &snap.ms {
        let _ = writeln!(
            out,
            "  M{}: p={} curg={} spinning={} blocked={}",
            m.id,
            id(m.p),
            m.task.map_or(-1, |t| t.as_u64() as i64),
            m.spinning,
            m.blocked
        );
    }
    for t in tasks {
        let (code, words) = go_status(t);
        let reason = t.wait_reason.map(|r| r.to_string()).unwrap_or_default();
        let m = snap.ms.iter().find(|m| m.task == Some(t.id)).map(|m| m.id);
        let _ = writeln!(
            out,
            "  G{}: status={code}({words}) m={} waitreason={reason}",
            t.id,
            id(m)
        );
    }
}

/// Go's goroutine status number and word for a task.
fn go_status(t: &TaskInfo) -> (u32, String) {
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
        let p = |run_queue| crate::runtime::PInfo {
            id: 0,
            status: crate::runtime::PStatus::Running,
            schedtick: 0,
            m: None,
            run_queue,
            runnext: false,
            timers: 0,
        };
        let snap = SchedSnapshot {
            uptime: std::time::Duration::from_micros(1_004_900),
            gomaxprocs: 4,
            idle_procs: 0,
            threads: 11,
            spinning_threads: 0,
            need_spinning: 0,
            idle_threads: 5,
            global_queue: 12,
            ps: vec![p(3), p(0), p(1), p(7)],
            ms: Vec::new(),
        };
        assert_eq!(
            sched_line(&snap),
            "SCHED 1004ms: gomaxprocs=4 idleprocs=0 threads=11 spinningthreads=0 needspinning=0 idlethreads=5 runqueue=12 [3 0 1 7]"
        );
    }
}
