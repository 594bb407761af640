//! Trace export (`GOSCHED_TRACE=path`, `Builder::trace_path`): a Chrome trace-event JSON file
//! of the run, which Perfetto and `chrome://tracing` open.
//!
//! Each M keeps its own bounded ring of events (the newest `RING_CAPACITY` survive), written
//! only by code that runs for that M, so recording costs an uncontended lock and no shared
//! cache line. With tracing off the M has no ring and every recording site is one branch.
//! The file is written when the runtime is dropped, and whenever `write_trace` asks for a
//! snapshot (trace/recorder.rs); writing copies the rings, so a snapshot loses nothing.
//!
//! Events: a complete event ("X") per poll, named `task <id>` with the spawn location in its
//! arguments, on the M's track; instant events ("i") for steal, handoff, preempt and netpoll.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io;
use std::panic::Location;
use std::path::Path;
use std::sync::Mutex;

/// Events kept per M (the oldest are dropped beyond this).
const RING_CAPACITY: usize = 1 << 16;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A task was polled from `ts` for `dur` ns.
    Poll,
    /// `n` tasks were stolen.
    Steal,
    /// The P was taken from this M (sysmon retake or `block_in_place`).
    Handoff,
    /// A task yielded at a preemption request.
    Preempt,
    /// The poller made `n` tasks runnable.
    Netpoll,
}

#[derive(Clone, Copy)]
pub(crate) struct Event {
    kind: Kind,
    /// ns since the runtime started.
    ts: u64,
    dur: u64,
    task: u64,
    at: Option<&'static Location<'static>>,
    n: u64,
}

/// One M's events.
pub(crate) struct Ring {
    events: Mutex<VecDeque<Event>>,
}

impl Ring {
    /// The ring's memory is reserved at once (the pages are touched only as events arrive),
    /// so recording never copies the ring to grow it.
    pub(crate) fn new() -> Ring {
        Ring {
            events: Mutex::new(VecDeque::with_capacity(RING_CAPACITY)),
        }
    }

    fn push(&self, e: Event) {
        let mut q = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() == RING_CAPACITY {
            q.pop_front();
        }
        q.push_back(e);
    }

    /// A poll of task `task` (spawned at `at`) from `ts` to `end`.
    pub(crate) fn poll(&self, ts: u64, end: u64, task: u64, at: &'static Location<'static>) {
        self.push(Event {
            kind: Kind::Poll,
            ts,
            dur: end.saturating_sub(ts),
            task,
            at: Some(at),
            n: 0,
        });
    }

    /// An instant event.
    pub(crate) fn instant(&self, kind: Kind, ts: u64, n: u64) {
        self.push(Event {
            kind,
            ts,
            dur: 0,
            task: 0,
            at: None,
            n,
        });
    }

    /// A copy of the events so far (the M keeps recording once the copy is made).
    fn snapshot(&self) -> Vec<Event> {
        let q = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let (a, b) = q.as_slices();
        let mut out = Vec::with_capacity(q.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b);
        out
    }
}

/// Writes every M's events to `path` (`rings[i]` is M `i`'s).
pub(crate) fn write(path: &Path, rings: &[(usize, &Ring)]) -> io::Result<()> {
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
        for e in ring.snapshot() {
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
                kind => {
                    let name = match kind {
                        Kind::Steal => "steal",
                        Kind::Handoff => "handoff",
                        Kind::Preempt => "preempt",
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
    std::fs::write(path, out)
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

    #[test]
    fn ring_keeps_the_newest() {
        let r = Ring::new();
        for i in 0..(RING_CAPACITY as u64 + 10) {
            r.instant(Kind::Steal, i, 1);
        }
        let ev = r.snapshot();
        assert_eq!(ev.len(), RING_CAPACITY);
        assert_eq!(ev[0].ts, 10);
    }
}
