//! `tokio::runtime::Builder`: tokio's settings, collected and mapped onto gosched's
//! `Builder` in one place, [`Builder::build`].

use super::Runtime;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

type Hook = Arc<dyn Fn() + Send + Sync + 'static>;

/// Which scheduler [`Builder::build`] starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    CurrentThread,
    MultiThread,
}

/// Builds a [`Runtime`] with custom settings (tokio's `Builder`).
///
/// Every runtime is a gosched runtime: `new_multi_thread().worker_threads(n)` gives `n` Ps
/// (gosched's `maxprocs`); `new_current_thread()` gives one P, whose tasks run on the
/// runtime's own thread rather than only inside `block_on` (the one difference). I/O and
/// time are always on, so `enable_*` do nothing. Settings that Go's rules fix (the global
/// queue is read every 61st tick, the poller between tasks) are accepted and ignored;
/// `README.md` lists them.
///
/// # Examples
/// ```
/// use tokio::runtime::Builder;
///
/// let rt = Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .enable_all()
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { tokio::spawn(async { 1 + 1 }).await.unwrap() }), 2);
/// ```
pub struct Builder {
    kind: Kind,
    worker_threads: Option<usize>,
    thread_name: Option<String>,
    thread_name_fn: Option<Arc<dyn Fn() -> String + Send + Sync + 'static>>,
    thread_stack_size: Option<usize>,
    max_blocking_threads: Option<usize>,
    thread_keep_alive: Option<Duration>,
    on_thread_start: Option<Hook>,
    on_thread_stop: Option<Hook>,
    start_paused: bool,
}

impl Builder {
    /// A builder for a runtime with one P (tokio's current-thread scheduler). Its tasks run
    /// on the runtime's own worker thread, one at a time.
    pub fn new_current_thread() -> Builder {
        Builder::with_kind(Kind::CurrentThread)
    }

    /// A builder for a runtime with one P per core (or `worker_threads`).
    pub fn new_multi_thread() -> Builder {
        Builder::with_kind(Kind::MultiThread)
    }

    fn with_kind(kind: Kind) -> Builder {
        Builder {
            kind,
            worker_threads: None,
            thread_name: None,
            thread_name_fn: None,
            thread_stack_size: None,
            max_blocking_threads: None,
            thread_keep_alive: None,
            on_thread_start: None,
            on_thread_stop: None,
            start_paused: false,
        }
    }

    /// Accepted; gosched always has I/O and time drivers.
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// Accepted; gosched always has an I/O driver (its netpoller).
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// Accepted; gosched always has timers.
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// The number of worker threads: gosched's `maxprocs` (its number of Ps). Default:
    /// `TOKIO_WORKER_THREADS`, else `GOSCHED_MAXPROCS`, else the number of cores. Ignored by a
    /// current-thread builder, as in tokio.
    ///
    /// # Panics
    /// If `val` is 0, as tokio documents.
    #[track_caller]
    pub fn worker_threads(&mut self, val: usize) -> &mut Self {
        assert!(val > 0, "Worker threads cannot be set to 0");
        self.worker_threads = Some(val);
        self
    }

    /// The most threads `spawn_blocking` may use at once (default 512).
    ///
    /// # Panics
    /// If `val` is 0, as tokio documents.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, val: usize) -> &mut Self {
        assert!(val > 0, "Max blocking threads cannot be set to 0");
        self.max_blocking_threads = Some(val);
        self
    }

    /// The name of the worker threads (gosched's default is `"gosched-m"`).
    pub fn thread_name(&mut self, val: impl Into<String>) -> &mut Self {
        self.thread_name = Some(val.into());
        self.thread_name_fn = None;
        self
    }

    /// A function naming the worker threads. gosched names all its worker threads alike:
    /// the function is called once, at `build()`, and every worker gets that name.
    pub fn thread_name_fn<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() -> String + Send + Sync + 'static,
    {
        self.thread_name_fn = Some(Arc::new(f));
        self.thread_name = None;
        self
    }

    /// The stack size of worker and blocking threads, in bytes.
    pub fn thread_stack_size(&mut self, val: usize) -> &mut Self {
        self.thread_stack_size = Some(val);
        self
    }

    /// Runs `f` on every worker and blocking thread when it starts.
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on every worker and blocking thread before it exits.
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// Accepted and never called: gosched's Ms park in its own scheduler loop, which has no
    /// hook (see `README.md`).
    pub fn on_thread_park<F>(&mut self, _f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self
    }

    /// Accepted and never called, like [`on_thread_park`](Builder::on_thread_park).
    pub fn on_thread_unpark<F>(&mut self, _f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self
    }

    /// How long an idle blocking thread waits for work before exiting (default 10 s).
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Self {
        self.thread_keep_alive = Some(duration);
        self
    }

    /// Accepted and ignored: gosched reads its global queue every 61st scheduling tick, as Go
    /// does.
    pub fn global_queue_interval(&mut self, _val: u32) -> &mut Self {
        self
    }

    /// Accepted and ignored: gosched polls the network when a thread runs out of work and
    /// from sysmon, as Go does.
    pub fn event_interval(&mut self, _val: u32) -> &mut Self {
        self
    }

    /// Accepted and ignored: gosched's poller takes the events it is given.
    pub fn max_io_events_per_tick(&mut self, _capacity: usize) -> &mut Self {
        self
    }

    /// Starts the runtime with its clock paused (gosched's paused time: the clock moves only
    /// by `tokio::time::advance` and by auto-advance when every task is idle).
    pub fn start_paused(&mut self, start_paused: bool) -> &mut Self {
        self.start_paused = start_paused;
        self
    }

    /// Starts the runtime. Bad settings (an unreadable `TOKIO_WORKER_THREADS`) are
    /// `InvalidInput` errors.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let flavor = match self.kind {
            Kind::CurrentThread => super::RuntimeFlavor::CurrentThread,
            Kind::MultiThread => super::RuntimeFlavor::MultiThread,
        };
        Ok(Runtime::from_gosched(self.to_gosched()?.build()?, flavor))
    }

    /// The mapping to gosched's `Builder`.
    fn to_gosched(&self) -> io::Result<gosched_executor::runtime::Builder> {
        let mut b = gosched_executor::runtime::Builder::new().start_paused(self.start_paused);
        match self.kind {
            Kind::CurrentThread => b = b.maxprocs(1),
            Kind::MultiThread => {
                if let Some(n) = self.worker_threads.map(Ok).or_else(env_worker_threads) {
                    b = b.maxprocs(n?);
                }
            }
        }
        if let Some(name) = &self.thread_name {
            b = b.thread_name(name.clone());
        } else if let Some(f) = &self.thread_name_fn {
            b = b.thread_name(f());
        }
        if let Some(n) = self.thread_stack_size {
            b = b.thread_stack_size(n);
        }
        if let Some(n) = self.max_blocking_threads {
            b = b.max_blocking_threads(n);
        }
        if let Some(d) = self.thread_keep_alive {
            b = b.blocking_keep_alive(d);
        }
        if let Some(f) = self.on_thread_start.clone() {
            b = b.on_thread_start(move || f());
        }
        if let Some(f) = self.on_thread_stop.clone() {
            b = b.on_thread_stop(move || f());
        }
        Ok(b)
    }
}

/// tokio's `TOKIO_WORKER_THREADS`, read at `build()` when `worker_threads` was not set.
fn env_worker_threads() -> Option<io::Result<usize>> {
    let raw = std::env::var("TOKIO_WORKER_THREADS").ok()?;
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Some(match raw.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("TOKIO_WORKER_THREADS must be a number above 0 (got {raw:?})"),
        )),
    })
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("kind", &self.kind)
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_keep_alive", &self.thread_keep_alive)
            .field("start_paused", &self.start_paused)
            .finish_non_exhaustive()
    }
}
