//! `Builder`: the runtime's settings, from code, then the environment, then defaults.

use super::Runtime;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Default `max_blocking_threads` (tokio's).
const DEFAULT_MAX_BLOCKING_THREADS: usize = 512;
/// Default `blocking_keep_alive` (tokio's).
const DEFAULT_BLOCKING_KEEP_ALIVE: Duration = Duration::from_secs(10);
/// How long a surplus worker M (one beyond `maxprocs` + 1 for the poller) stays parked before
/// its thread exits: tokio's keep-alive for its blocking threads, the one our blocking pool
/// uses too. Go keeps its Ms; ours pile up after bursts of hand-offs (sched/ms.rs, `stopm`).
const DEFAULT_M_KEEP_ALIVE: Duration = Duration::from_secs(10);
/// Default `preempt_slice`: Go's `forcePreemptNS`.
const DEFAULT_PREEMPT_SLICE: Duration = Duration::from_millis(10);
/// Default worker thread name.
const DEFAULT_THREAD_NAME: &str = "gosched-m";

type Hook = Arc<dyn Fn() + Send + Sync + 'static>;

/// The settings a runtime was built with.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) maxprocs: usize,
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
    pub(crate) max_blocking_threads: usize,
    pub(crate) blocking_keep_alive: Duration,
    pub(crate) m_keep_alive: Duration,
    pub(crate) preempt_slice: Duration,
    pub(crate) sysmon: bool,
    pub(crate) schedtrace: Option<Duration>,
    pub(crate) scheddetail: bool,
    /// Where to write the trace (`GOSCHED_TRACE`, `Builder::trace_path`).
    pub(crate) trace: Option<std::path::PathBuf>,
    /// Report polls this long (`Builder::slow_poll_threshold`, `GOSCHED_DEBUG=slowpoll=MS`).
    pub(crate) slow_poll: Option<Duration>,
    /// Keep the trace rings without a trace path (`Builder::flight_recorder`).
    pub(crate) flight_recorder: bool,
    /// Dump and exit 2 on SIGQUIT (`GOSCHED_DEBUG=sigquit=1`).
    pub(crate) sigquit: bool,
    pub(crate) on_thread_start: Option<Hook>,
    pub(crate) on_thread_stop: Option<Hook>,
    /// The timer clock starts paused (`Builder::start_paused`).
    pub(crate) start_paused: bool,
}

impl Config {
    /// Whether the runtime runs a sysmon thread: as the monitor, or only to print schedtrace
    /// (`sysmon(false)` with `schedtrace`).
    pub(crate) fn sysmon_thread(&self) -> bool {
        self.sysmon || self.schedtrace.is_some()
    }
}

/// Builds a [`Runtime`] with custom settings.
///
/// Settings made here win over the environment (`GOSCHED_MAXPROCS`, `GOSCHED_DEBUG`), which
/// wins over the defaults. Bad values are an `io::ErrorKind::InvalidInput` error from
/// [`build`](Builder::build) naming the setting.
///
/// # Examples
/// ```
/// use gosched::runtime::Builder;
/// use std::time::Duration;
///
/// let rt = Builder::new()
///     .maxprocs(2)
///     .thread_name("my-worker")
///     .preempt_slice(Duration::from_millis(5))
///     .build()
///     .unwrap();
/// assert_eq!(rt.metrics().maxprocs, 2);
///
/// let err = Builder::new().maxprocs(0).build().unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// assert!(err.to_string().contains("maxprocs"));
/// ```
#[derive(Default)]
pub struct Builder {
    maxprocs: Option<usize>,
    thread_name: Option<String>,
    stack_size: Option<usize>,
    max_blocking_threads: Option<usize>,
    blocking_keep_alive: Option<Duration>,
    m_keep_alive: Option<Duration>,
    preempt_slice: Option<Duration>,
    sysmon: Option<bool>,
    schedtrace: Option<Duration>,
    trace: Option<std::path::PathBuf>,
    slow_poll: Option<Duration>,
    flight_recorder: Option<bool>,
    on_thread_start: Option<Hook>,
    on_thread_stop: Option<Hook>,
    start_paused: bool,
}

impl Builder {
    /// A builder with every setting at its default.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The number of Ps (Go's `GOMAXPROCS`). Default: `GOSCHED_MAXPROCS`, else the available
    /// parallelism. 0 is an error at `build()`.
    pub fn maxprocs(mut self, n: usize) -> Self {
        self.maxprocs = Some(n);
        self
    }

    /// The name of worker threads (default `"gosched-m"`).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = Some(name.into());
        self
    }

    /// Stack size of worker, blocking and pinned (`task::spawn_pinned`) threads, in bytes.
    pub fn thread_stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// The most threads `spawn_blocking` may use at once (default 512; 0 is an error).
    pub fn max_blocking_threads(mut self, n: usize) -> Self {
        self.max_blocking_threads = Some(n);
        self
    }

    /// How long an idle blocking thread waits for work before exiting (default 10 s).
    pub fn blocking_keep_alive(mut self, d: Duration) -> Self {
        self.blocking_keep_alive = Some(d);
        self
    }

    /// How long a surplus worker thread waits parked before it exits (default 10 s). Worker
    /// threads beyond `maxprocs` + 1 appear when tasks block their threads (`block_in_place`,
    /// or a poll that sysmon hands off); once idle this long, the extra ones exit. Hidden: for
    /// tests, which cannot wait the default; 0 is an error.
    #[doc(hidden)]
    pub fn worker_keep_alive(mut self, d: Duration) -> Self {
        self.m_keep_alive = Some(d);
        self
    }

    /// How long a task may run before sysmon asks it to yield (Go's `forcePreemptNS`,
    /// default 10 ms; 0 is an error).
    pub fn preempt_slice(mut self, d: Duration) -> Self {
        self.preempt_slice = Some(d);
        self
    }

    /// Whether the sysmon thread runs (default true). Without it, a task stuck in one poll
    /// keeps its P (nothing retakes or preempts it) and the network is polled only by the Ms:
    /// between tasks, and by one idle M blocked in the poller (the first M starts with the
    /// runtime, so there is one before the first spawn).
    pub fn sysmon(mut self, on: bool) -> Self {
        self.sysmon = Some(on);
        self
    }

    /// Print Go's `SCHED` line to stderr every `every` (as `GOSCHED_DEBUG=schedtrace=MS`);
    /// 0 is an error.
    pub fn schedtrace(mut self, every: Duration) -> Self {
        self.schedtrace = Some(every);
        self
    }

    /// Runs on every worker, blocking and pinned thread when it starts.
    pub fn on_thread_start(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs on every worker, blocking and pinned thread before it exits.
    pub fn on_thread_stop(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// Records a Chrome trace-event JSON of the run (poll spans per M; steal, handoff,
    /// preempt and netpoll events) and writes it to `path` when the runtime is dropped. Open it
    /// in Perfetto (<https://ui.perfetto.dev>). Same as `GOSCHED_TRACE=path`.
    pub fn trace_path(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.trace = Some(path.into());
        self
    }

    /// Reports every poll that runs at least `d` (as `GOSCHED_DEBUG=slowpoll=MS`): one line on
    /// stderr naming the task, where it was spawned, how long the poll ran, whether it was
    /// blocked in the kernel or computing (sysmon's CPU-clock rule) and whether sysmon handed
    /// its P to another thread, at most 10 lines in any second. Counted in
    /// `Metrics::slow_polls_total`, and per task in the dump. With a threshold set, each M
    /// reads the clock around every poll, and `Metrics::poll_duration` is recorded.
    /// Default: off; 0 is an error.
    ///
    /// # Examples
    /// ```
    /// use gosched::runtime::Builder;
    /// use std::time::Duration;
    ///
    /// let rt = Builder::new().slow_poll_threshold(Duration::from_millis(20)).build().unwrap();
    /// rt.block_on(rt.spawn(async {
    ///     // stderr: "gosched: slow poll: task 1 spawned at <this file>:<line>:<col> ran 30.1 ms
    ///     // in one poll (blocked in the kernel)"
    ///     std::thread::sleep(Duration::from_millis(30));
    /// }))
    /// .unwrap();
    /// // Counted when the poll ends, which is just after the task woke `block_on`.
    /// while rt.metrics().slow_polls_total == 0 {
    ///     std::thread::sleep(Duration::from_millis(1));
    /// }
    /// assert_eq!(rt.metrics().slow_polls_total, 1);
    ///
    /// let err = Builder::new().slow_poll_threshold(Duration::ZERO).build().unwrap_err();
    /// assert!(err.to_string().contains("slow_poll_threshold"));
    /// ```
    pub fn slow_poll_threshold(mut self, d: Duration) -> Self {
        self.slow_poll = Some(d);
        self
    }

    /// Keeps every M's ring of recent trace events (the newest 65,535 per M) even without
    /// `GOSCHED_TRACE`, so [`Handle::write_trace`](super::Handle::write_trace) can write what
    /// just happened at any moment (Go's `trace.FlightRecorder`). Costs, per poll, two clock
    /// reads (one `rdtsc` each where the kernel keeps time with the TSC), a four-word slot in
    /// the M's own ring (no lock) and the `poll_duration` bucket (`benches/diag_cost.sh` counts
    /// the instructions). Default: off.
    ///
    /// # Examples
    /// ```
    /// use gosched::runtime::Builder;
    ///
    /// let rt = Builder::new().flight_recorder(true).build().unwrap();
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// // The poll's event is recorded just after the task woke `block_on`: let it land.
    /// std::thread::sleep(std::time::Duration::from_millis(50));
    /// let path = std::env::temp_dir().join(format!("gosched-doc-{}.json", std::process::id()));
    /// rt.write_trace(&path).unwrap();
    /// assert!(std::fs::read_to_string(&path).unwrap().contains("\"ph\":\"X\""));
    /// std::fs::remove_file(path).unwrap();
    /// ```
    pub fn flight_recorder(mut self, on: bool) -> Self {
        self.flight_recorder = Some(on);
        self
    }

    /// Starts the runtime with its timer clock paused at 0, as if [`time::pause`] were the
    /// first thing it ran (tokio's `start_paused`, Go's `testing/synctest` bubble). The clock
    /// then moves only by [`time::advance`] and by auto-advance: when the runtime is idle, it
    /// jumps to the next timer's deadline, so tests of timeouts and retries run in
    /// milliseconds. Default `false`. `#[gosched::test(start_paused)]` sets it.
    ///
    /// [`time::pause`]: crate::time::pause
    /// [`time::advance`]: crate::time::advance
    ///
    /// # Examples
    /// ```
    /// use gosched::runtime::Builder;
    /// use gosched::time::{self, Duration, Instant};
    ///
    /// let rt = Builder::new().maxprocs(2).start_paused(true).build().unwrap();
    /// let real = std::time::Instant::now();
    /// rt.block_on(async {
    ///     let start = Instant::now();
    ///     time::sleep(Duration::from_secs(3600)).await;
    ///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
    /// });
    /// assert!(real.elapsed() < Duration::from_secs(60));
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Self {
        self.start_paused = paused;
        self
    }

    /// Checks the settings and starts the runtime.
    pub fn build(self) -> io::Result<Runtime> {
        Runtime::from_config(self.config()?)
    }

    fn config(self) -> io::Result<Config> {
        let env = EnvSettings::read()?;
        let maxprocs = match self.maxprocs.or(env.maxprocs) {
            Some(0) => return Err(invalid("maxprocs must be at least 1 (got 0)")),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if self.max_blocking_threads == Some(0) {
            return Err(invalid("max_blocking_threads must be at least 1 (got 0)"));
        }
        if self.m_keep_alive == Some(Duration::ZERO) {
            return Err(invalid("worker_keep_alive must be longer than 0"));
        }
        if self.preempt_slice == Some(Duration::ZERO) {
            return Err(invalid("preempt_slice must be longer than 0"));
        }
        if self.schedtrace == Some(Duration::ZERO) {
            return Err(invalid("schedtrace interval must be longer than 0"));
        }
        if self.slow_poll == Some(Duration::ZERO) {
            return Err(invalid("slow_poll_threshold must be longer than 0"));
        }
        Ok(Config {
            maxprocs,
            thread_name: self
                .thread_name
                .unwrap_or_else(|| DEFAULT_THREAD_NAME.to_string()),
            stack_size: self.stack_size,
            max_blocking_threads: self.max_blocking_threads.unwrap_or(DEFAULT_MAX_BLOCKING_THREADS),
            blocking_keep_alive: self.blocking_keep_alive.unwrap_or(DEFAULT_BLOCKING_KEEP_ALIVE),
            m_keep_alive: self.m_keep_alive.unwrap_or(DEFAULT_M_KEEP_ALIVE),
            preempt_slice: self.preempt_slice.unwrap_or(DEFAULT_PREEMPT_SLICE),
            sysmon: self.sysmon.unwrap_or(true),
            schedtrace: self.schedtrace.or(env.debug.schedtrace),
            scheddetail: env.debug.scheddetail,
            trace: self.trace.or(env.trace),
            slow_poll: self.slow_poll.or(env.debug.slowpoll),
            flight_recorder: self.flight_recorder.unwrap_or(false),
            sigquit: env.debug.sigquit,
            on_thread_start: self.on_thread_start,
            on_thread_stop: self.on_thread_stop,
            start_paused: self.start_paused,
        })
    }
}

/// What the environment says.
#[derive(Default)]
struct EnvSettings {
    maxprocs: Option<usize>,
    debug: DebugSettings,
    trace: Option<std::path::PathBuf>,
}

/// What `GOSCHED_DEBUG` says.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct DebugSettings {
    pub(crate) schedtrace: Option<Duration>,
    pub(crate) scheddetail: bool,
    pub(crate) slowpoll: Option<Duration>,
    pub(crate) sigquit: bool,
}

impl EnvSettings {
    fn read() -> io::Result<EnvSettings> {
        let mut env = EnvSettings::default();
        if let Some(v) = var("GOSCHED_MAXPROCS")? {
            env.maxprocs = Some(parse_maxprocs(&v)?);
        }
        if let Some(v) = var("GOSCHED_TRACE")? {
            env.trace = Some(v.into());
        }
        if let Some(v) = var("GOSCHED_DEBUG")? {
            env.debug = parse_debug(&v)?;
        }
        Ok(env)
    }
}

/// An environment variable, trimmed; empty counts as unset.
fn var(name: &str) -> io::Result<Option<String>> {
    match std::env::var(name) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v.trim().to_string())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(invalid(&format!("{name} is not valid UTF-8"))),
    }
}

pub(crate) fn parse_maxprocs(v: &str) -> io::Result<usize> {
    match v.trim().parse::<usize>() {
        Ok(0) => Err(invalid("GOSCHED_MAXPROCS must be at least 1 (got \"0\")")),
        Ok(n) => Ok(n),
        Err(_) => Err(invalid(&format!(
            "GOSCHED_MAXPROCS must be a positive integer (got {v:?})"
        ))),
    }
}

/// `schedtrace=MS,scheddetail=1,slowpoll=MS,sigquit=1`, any subset in any order (0 is off).
pub(crate) fn parse_debug(v: &str) -> io::Result<DebugSettings> {
    let mut d = DebugSettings::default();
    for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((key, value)) = item.split_once('=') else {
            return Err(invalid(&format!("GOSCHED_DEBUG: {item:?} is not key=value")));
        };
        let n: u64 = value.trim().parse().map_err(|_| {
            invalid(&format!(
                "GOSCHED_DEBUG: {key}={value:?} is not a non-negative integer"
            ))
        })?;
        let ms = (n > 0).then(|| Duration::from_millis(n));
        match key.trim() {
            "schedtrace" => d.schedtrace = ms,
            "scheddetail" => d.scheddetail = n != 0,
            "slowpoll" => d.slowpoll = ms,
            "sigquit" => d.sigquit = n != 0,
            other => {
                return Err(invalid(&format!(
                    "GOSCHED_DEBUG: unknown key {other:?} (known: schedtrace, scheddetail, slowpoll, sigquit)"
                )));
            }
        }
    }
    Ok(d)
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("gosched: {msg}"))
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("maxprocs", &self.maxprocs)
            .field("thread_name", &self.thread_name)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("preempt_slice", &self.preempt_slice)
            .field("sysmon", &self.sysmon)
            .field("slow_poll_threshold", &self.slow_poll)
            .field("flight_recorder", &self.flight_recorder)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxprocs_env_values() {
        assert_eq!(parse_maxprocs(" 4 ").unwrap(), 4);
        for bad in ["0", "abc", "-1", "1.5"] {
            let e = parse_maxprocs(bad).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains("GOSCHED_MAXPROCS"), "{e}");
        }
    }

    #[test]
    fn debug_env_values() {
        let d = parse_debug("schedtrace=1000").unwrap();
        assert_eq!(
            (d.schedtrace, d.scheddetail),
            (Some(Duration::from_secs(1)), false)
        );
        let d = parse_debug("schedtrace=5,scheddetail=1").unwrap();
        assert_eq!(
            (d.schedtrace, d.scheddetail),
            (Some(Duration::from_millis(5)), true)
        );
        assert_eq!(parse_debug("schedtrace=0").unwrap(), DebugSettings::default());
        let d = parse_debug("slowpoll=50, sigquit=1").unwrap();
        assert_eq!((d.slowpoll, d.sigquit), (Some(Duration::from_millis(50)), true));
        assert_eq!(
            parse_debug("slowpoll=0,sigquit=0").unwrap(),
            DebugSettings::default()
        );
        for bad in [
            "bogus=1",
            "schedtrace=x",
            "schedtrace",
            "scheddetail=-1",
            "slowpoll=1.5",
        ] {
            let e = parse_debug(bad).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains("GOSCHED_DEBUG"), "{e}");
        }
    }
}
