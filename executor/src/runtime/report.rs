//! What the diagnostics print of a runtime, joined here from the scheduler's snapshot
//! (sched/snapshot.rs), the task dump (dump.rs) and the Ms' trace rings, and formatted by
//! `diag`: the schedtrace lines, `Handle::sched_report`, the trace JSON, and the runtime as
//! the recorder's signal and panic handlers see it (`Recorded`).

use crate::diag::recorder::Recorded;
use crate::loom::Arc;
use crate::sched::Shared;
use crate::sched::snapshot;
use std::io;
use std::path::Path;

/// Go's `SCHED` line and `scheddetail` lines for `shared`, now (SIGQUIT's dump,
/// `Handle::sched_report`).
pub(crate) fn sched_report(shared: &Shared) -> String {
    crate::diag::sched_report(&snapshot::take(shared), &super::dump::dump(shared))
}

/// schedtrace's print (sysmon, every `schedtrace` period): the `SCHED` line, and with
/// `scheddetail` the lines of every P, M and task.
pub(crate) fn schedtrace(shared: &Shared) {
    let tasks = shared.config.scheddetail.then(|| super::dump::dump(shared));
    crate::diag::schedtrace(&snapshot::take(shared), tasks.as_deref());
}

/// Whether the Ms keep trace rings.
pub(crate) fn recording(shared: &Shared) -> bool {
    !cfg!(gosched_no_trace) && (shared.config.flight_recorder || shared.config.trace.is_some())
}

/// A Chrome-JSON snapshot of `shared`'s trace rings.
pub(crate) fn trace_json(shared: &Shared) -> io::Result<String> {
    if !recording(shared) {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "gosched: write_trace: this runtime records no trace; build it with \
             Builder::flight_recorder(true), or set GOSCHED_TRACE=path",
        ));
    }
    let clock = &shared.diag.clock;
    Ok(snapshot::with_trace_rings(shared, |rings| {
        crate::diag::export::render(rings, clock)
    }))
}

/// Writes a Chrome-JSON snapshot of `shared`'s trace rings to `path`.
pub(crate) fn write_trace(shared: &Shared, path: &Path) -> io::Result<()> {
    crate::diag::export::write_whole(path, trace_json(shared)?.as_bytes())
}

/// At the end of a runtime with `GOSCHED_TRACE`: the whole trace to its path.
pub(crate) fn write_final_trace(shared: &Shared) {
    let Some(path) = &shared.config.trace else {
        return;
    };
    let clock = &shared.diag.clock;
    let written = snapshot::with_trace_rings(shared, |rings| crate::diag::export::write(path, rings, clock));
    if let Err(e) = written {
        eprintln!("gosched: cannot write the trace to {}: {e}", path.display());
    }
}

/// A runtime registered with the recorder (diag/recorder.rs).
struct Registered(Arc<Shared>);

impl Recorded for Registered {
    fn trace_path(&self) -> Option<&Path> {
        self.0.config.trace.as_deref()
    }

    fn sigquit(&self) -> bool {
        self.0.config.sigquit
    }

    fn write_trace(&self, path: &Path) -> io::Result<()> {
        write_trace(&self.0, path)
    }

    fn sigquit_report(&self) -> String {
        let mut out = sched_report(&self.0);
        out.push('\n');
        out.push_str(&super::format_dump(&super::dump::dump(&self.0)));
        out
    }
}

/// At build: registers the runtime with the recorder when its settings ask for SIGQUIT,
/// SIGTERM or panic handling.
pub(crate) fn register(shared: &Arc<Shared>) {
    let key = Arc::as_ptr(shared) as usize;
    crate::diag::recorder::register(key, std::sync::Arc::new(Registered(shared.clone())));
}

/// At shutdown: the recorder forgets the runtime.
pub(crate) fn unregister(shared: &Arc<Shared>) {
    crate::diag::recorder::unregister(Arc::as_ptr(shared) as usize);
}
