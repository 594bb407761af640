//! Helpers for the sync tests: a manually polled task (like `tokio_test::task::spawn`) that
//! counts wake-ups and can tell whether its waker is still held, and a gosched runtime run
//! under a watchdog so a hang fails fast.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

#[derive(Default)]
pub struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future polled by hand with its own counting waker.
pub struct Task<F: Future> {
    fut: Pin<Box<F>>,
    counter: Arc<Counter>,
    waker: Waker,
}

pub fn spawn<F: Future>(f: F) -> Task<F> {
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(counter.clone());
    Task {
        fut: Box::pin(f),
        counter,
        waker,
    }
}

impl<F: Future> Task<F> {
    pub fn poll(&mut self) -> Poll<F::Output> {
        let mut cx = Context::from_waker(&self.waker);
        self.fut.as_mut().poll(&mut cx)
    }

    /// Whether the task was woken since the last call (and resets the count).
    pub fn is_woken(&self) -> bool {
        self.counter.0.swap(0, Ordering::SeqCst) > 0
    }

    /// How many clones of this task's waker exist outside the task itself.
    pub fn wakers_held(&self) -> usize {
        // The task holds one `Arc` in `counter` and one in `waker`.
        Arc::strong_count(&self.counter) - 2
    }

    /// Drops the future but keeps the waker bookkeeping, to check what the future released.
    pub fn drop_future(self) -> Arc<Counter> {
        drop(self.fut);
        drop(self.waker);
        self.counter
    }
}

/// Clones of a dropped task's waker still held elsewhere.
pub fn leaked(counter: &Arc<Counter>) -> usize {
    Arc::strong_count(counter) - 1
}

#[macro_export]
macro_rules! assert_pending {
    ($e:expr) => {
        assert!($e.is_pending(), "expected Pending")
    };
    ($e:expr, $($msg:tt)+) => {
        assert!($e.is_pending(), $($msg)+)
    };
}

#[macro_export]
macro_rules! assert_ready {
    ($e:expr) => {
        match $e {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("expected Ready"),
        }
    };
}

/// Runs `f` on a fresh gosched runtime; aborts the process if it takes over 30 s.
pub fn run<F: Future + Send + 'static>(f: F) -> F::Output
where
    F::Output: Send + 'static,
{
    run_on(gosched_executor::runtime::Runtime::new().expect("runtime"), f)
}

/// [`run`] on a runtime with a single P, where another task runs only if this one yields.
pub fn run_one_p<F: Future + Send + 'static>(f: F) -> F::Output
where
    F::Output: Send + 'static,
{
    let rt = gosched_executor::runtime::Builder::new()
        .maxprocs(1)
        .build()
        .expect("runtime");
    run_on(rt, f)
}

fn run_on<F: Future + Send + 'static>(rt: gosched_executor::runtime::Runtime, f: F) -> F::Output
where
    F::Output: Send + 'static,
{
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        // Ends when the test finishes or panics (the sender drops either way).
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(Duration::from_secs(30))
        {
            eprintln!("watchdog: the test hung for 30 s");
            std::process::abort();
        }
    });
    let out = rt.block_on(rt.spawn(f)).expect("task panicked");
    drop(rt);
    drop(done_tx);
    out
}

/// Runs `f` on its own thread and fails the test if it has not finished within 30 s (a
/// deadlocked thread is left behind; the process ends with the test binary).
pub fn with_watchdog(f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    let h = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(()) => h.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(h.join().unwrap_err())
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("deadlock: still running after 30 s"),
    }
}
