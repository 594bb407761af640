//! Trace export (`GOSCHED_TRACE=path`, `Builder::trace_path`): a Chrome trace-event JSON file
//! of the run, which Perfetto and `chrome://tracing` open.
//!
//! Each M keeps its own bounded ring of events (the newest 65,535 survive; `ring.rs`), written
//! without a lock by the M itself, so recording shares no cache line with other threads. With
//! tracing off the M has no ring and every recording site is one branch.
//! The file is written when the runtime is dropped, and whenever `write_trace` asks for a
//! snapshot (diag/recorder.rs); writing copies the rings, so a snapshot loses nothing.
//!
//! Events: a complete event ("X") per poll, named `task <id>` with the spawn location in its
//! arguments, on the M's track; instant events ("i") for steal, handoff, preempt, netpoll,
//! park (the M parks: `n` 1, or woke: `n` 0) and wake (a task made runnable on the M's
//! thread, or on another thread: then on the first M's track). `benches/waits.py` reads them.

use std::fmt::Write as _;
use std::io;
use std::panic::Location;
use std::path::Path;

pub(crate) use super::ring::Ring;
use super::tsc::Clock;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    /// A task was polled from `ts` for `dur` ns.
    Poll = 1,
    /// `n` tasks were stolen.
    Steal,
    /// The P was taken from this M (sysmon retake or `block_in_place`).
    Handoff,
    /// A task yielded at a preemption request.
    Preempt,
    /// The poller made `n` tasks runnable.
    Netpoll,
    /// Task `task` was made runnable (spawn, wake or requeue) on this M's thread; `n` says
    /// where it went: `wake_source(mode) | (P + 1) << 8` (sched/snapshot.rs, `record_wake`).
    Wake,
    /// This M parks (`n` = 1: `stopm`, or blocks in the poller) or has woken (`n` = 0).
    Park,
}

impl Kind {
    pub(crate) fn from_u64(v: u64) -> Option<Kind> {
        [
            Kind::Poll,
            Kind::Steal,
            Kind::Handoff,
            Kind::Preempt,
            Kind::Netpoll,
            Kind::Wake,
            Kind::Park,
        ]
        .into_iter()
        .find(|k| *k as u64 == v)
    }
}

/// One event, as the rings hand it to the writer.
#[derive(Clone, Copy)]
pub(crate) struct Event {
    pub(crate) kind: Kind,
    /// ns since the runtime started.
    pub(crate) ts: u64,
    pub(crate) dur: u64,
    pub(crate) task: u64,
    pub(crate) at: Option<&'static Location<'static>>,
    pub(crate) n: u64,
}

impl Event {
    pub(crate) fn poll(ts: u64, dur: u64, task: u64, at: &'static Location<'static>) -> Event {
        Event {
            kind: Kind::Poll,
            ts,
            dur,
            task,
            at: Some(at),
            n: 0,
        }
    }

    /// An instant event; `task` is 0 but for `Kind::Wake`.
    pub(crate) fn instant(kind: Kind, ts: u64, n: u64, task: u64) -> Event {
        Event {
            kind,
            ts,
            dur: 0,
            task,
            at: None,
            n,
        }
    }
}

/// Writes every M's events to `path` (`rings[i]` is M `i`'s; `clock` the runtime's
/// diagnostics clock, whose ticks the rings hold).
pub(crate) fn write(path: &Path, rings: &[(usize, &Ring)], clock: &Clock) -> io::Result<()> {
    write_whole(path, render(rings, clock).as_bytes())
}

/// Writes `contents` to `path` whole or not at all: into a temporary file beside it, then
/// renamed over it. Two writers of one path (a signal's trace write and the runtime's last
/// one, say) leave one complete file, never a mix or a truncated one.
pub(crate) fn write_whole(path: &Path, contents: &[u8]) -> io::Result<()> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.{seq}.tmp", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp);
    let written = std::fs::write(&tmp, contents).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Every M's events as Chrome trace-event JSON (`rings[i]` is M `i`'s).
pub(crate) fn render(rings: &[(usize, &Ring)], clock: &Clock) -> String {
    let mut out = String::from("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !first {
            out.push_str(",\n");
        }
        first = false;
    };
    for &(m, _) in rings {
        sep(&mut out);
        let _ = write!(
            out,
            r#"{{"name":"thread_name","ph":"M","pid":1,"tid":{m},"args":{{"name":"M{m}"}}}}"#
        );
    }
    for &(m, ring) in rings {
        for e in ring.snapshot(clock) {
            sep(&mut out);
            let ts = e.ts as f64 / 1000.0;
            match e.kind {
                Kind::Poll => {
                    let at = e.at.map(|l| l.to_string()).unwrap_or_default();
                    let _ = write!(
                        out,
                        r#"{{"name":"task {}","cat":"poll","ph":"X","pid":1,"tid":{m},"ts":{ts:.3},"dur":{:.3},"args":{{"task":{},"spawned_at":"{}"}}}}"#,
                        e.task,
                        e.dur as f64 / 1000.0,
                        e.task,
                        escape(&at)
                    );
                }
                Kind::Wake => {
                    let _ = write!(
                        out,
                        r#"{{"name":"wake","cat":"sched","ph":"i","s":"t","pid":1,"tid":{m},"ts":{ts:.3},"args":{{"task":{},"n":{}}}}}"#,
                        e.task, e.n
                    );
                }
                kind => {
                    let name = match kind {
                        Kind::Steal => "steal",
                        Kind::Handoff => "handoff",
                        Kind::Preempt => "preempt",
                        Kind::Park => "park",
                        _ => "netpoll",
                    };
                    let _ = write!(
                        out,
                        r#"{{"name":"{name}","cat":"sched","ph":"i","s":"t","pid":1,"tid":{m},"ts":{ts:.3},"args":{{"n":{}}}}}"#,
                        e.n
                    );
                }
            }
        }
    }
    out.push_str("\n]}\n");
    out
}

/// JSON string escaping.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_json() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("x\ny"), "x\\u000ay");
    }

    /// A trace file is replaced whole: a reader (or a process killed while a write is under
    /// way: the signal thread's write and the runtime's last one race at a SIGTERM) never
    /// sees it empty or cut short, and two writers leave one of their files.
    #[cfg(not(loom))]
    #[test]
    fn a_trace_file_is_replaced_whole() {
        let dir = std::env::temp_dir().join(format!("gosched-write-whole-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("trace.json");
        let a = vec![b'a'; 4 << 20];
        let b = vec![b'b'; 3 << 20];
        write_whole(&path, &a).unwrap();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let reader = s.spawn(|| {
                let mut reads = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) || reads == 0 {
                    let got = std::fs::read(&path).unwrap();
                    assert!(got == a || got == b, "a reader saw {} bytes", got.len());
                    reads += 1;
                }
            });
            for i in 0..20 {
                std::thread::scope(|w| {
                    w.spawn(|| write_whole(&path, if i % 2 == 0 { &b } else { &a }).unwrap());
                    w.spawn(|| write_whole(&path, &a).unwrap());
                });
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            reader.join().unwrap();
        });
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "temporary files left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ring_keeps_the_newest() {
        use super::super::ring::{CAPACITY, KEPT};
        // A clock of 1 ns ticks from a start long ago: a tick converts to itself plus the
        // time since `origin`, so compare differences.
        let clock = Clock::monotonic(std::time::Instant::now());
        let r = Ring::new();
        r.claim();
        let at = Location::caller();
        let base = clock.ticks();
        for i in 0..(CAPACITY as u64 + 10) {
            r.poll(base + i, base + i + 1 + i % 3, i, at);
        }
        // Another thread's events go to the side queue, and are kept too.
        std::thread::scope(|s| {
            s.spawn(|| r.instant(Kind::Handoff, base + 7, 1));
        });
        // The owner's instants go to the ring, between the polls.
        r.instant(Kind::Steal, base + CAPACITY as u64 + 20, 3);
        let ev = r.snapshot(&clock);
        // The newest KEPT of the ring's CAPACITY + 11 events (polls 12 on, then the steal),
        // then the other thread's.
        assert_eq!(ev.len(), KEPT + 1);
        let t0 = ev[0].ts;
        assert_eq!((ev[0].task, ev[0].at, ev[0].dur), (12, Some(at), 1));
        assert_eq!(ev[KEPT - 2].task, CAPACITY as u64 + 9);
        assert_eq!(ev[KEPT - 2].ts - t0, CAPACITY as u64 + 9 - 12);
        assert_eq!((ev[KEPT - 1].kind, ev[KEPT - 1].n), (Kind::Steal, 3));
        assert_eq!(ev[KEPT - 1].ts - t0, CAPACITY as u64 + 20 - 12);
        assert_eq!((ev[KEPT].kind, ev[KEPT].n), (Kind::Handoff, 1));
        assert_eq!(t0 - ev[KEPT].ts, 12 - 7);
    }
}
