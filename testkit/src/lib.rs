//! What every test tree of the workspace (`executor/tests`, `net/tests`, the facade's `tests/`)
//! needs to wait without hanging: a [`watchdog`] that aborts a test that runs too long, the
//! generous bound [`LIMIT`] on any one wait, the wait helpers, blocking ([`wait_until`],
//! [`wait_for`], [`holds_within`]) and async ([`eventually`], which sleeps on gosched's
//! timer), and [`serial`] for tests that count what the whole process holds. Nothing here
//! asserts how fast anything is: a wait that ends early is the common case, and its bound only
//! turns a hang into a failure with a message.
//!
//! A dev-dependency only (not published). It depends on `gosched-executor` like any user, so
//! an integration test that uses it sees the same executor as the test itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long any one wait may take before the test fails: far longer than anything takes on a
/// debug build on 2 busy cores, so reaching it means a hang, not a slow machine.
pub const LIMIT: Duration = Duration::from_secs(20);

/// How often the blocking waits look at their condition again.
const RECHECK: Duration = Duration::from_millis(2);
/// How often [`eventually`] looks again (a timer sleep, so a little coarser).
const RECHECK_ASYNC: Duration = Duration::from_millis(10);
/// How often the watchdog thread looks at its guard.
const WATCHDOG_TICK: Duration = Duration::from_millis(20);

/// Aborts the whole test process if it is still alive after its limit (see [`watchdog`]).
#[derive(Debug)]
pub struct Watchdog {
    done: Arc<AtomicBool>,
}

/// Aborts the whole test process, naming `name`, if the returned guard is still alive after
/// `limit`, so a hang fails fast with a message instead of stalling CI. Keep the guard in a
/// variable (`let _w = watchdog(..)`) for the length of the test.
#[must_use = "the watchdog stops watching when its guard is dropped"]
pub fn watchdog(name: &str, limit: Duration) -> Watchdog {
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let name = name.to_owned();
    std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < limit {
            if flag.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(WATCHDOG_TICK);
        }
        if !flag.load(Ordering::Acquire) {
            // Straight to stderr: the test harness captures `eprintln!`, and abort loses it.
            let line = format!("watchdog: test `{name}` still running after {limit:?}; aborting\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            std::process::abort();
        }
    });
    Watchdog { done }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Pairs with the Acquire loads of the watchdog thread.
        self.done.store(true, Ordering::Release);
    }
}

/// Blocks the thread until `f` returns `Some`, and returns what it held; fails the test,
/// naming `what`, if that takes longer than [`LIMIT`].
#[track_caller]
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < LIMIT, "{what}: not within {LIMIT:?}");
        std::thread::sleep(RECHECK);
    }
}

/// Blocks the thread until `cond` holds; fails the test, naming `what`, if that takes longer
/// than [`LIMIT`].
#[track_caller]
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    wait_for(what, || cond().then_some(()))
}

/// Blocks the thread until `cond` holds or `limit` passes; returns whether it held. For a
/// test that checks something does NOT happen within a while (`!holds_within(..)`), or
/// whose bound is part of what it tests; otherwise use [`wait_until`].
#[must_use = "assert! what held (or say why it may not)"]
pub fn holds_within(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(RECHECK);
    }
    cond()
}

/// Waits, sleeping on gosched's timer between looks, until `cond` holds; fails the test,
/// naming `what`, if that takes longer than [`LIMIT`]. Must run inside a gosched runtime.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < LIMIT, "{what}: not within {LIMIT:?}");
        gosched_executor::time::sleep(RECHECK_ASYNC).await;
    }
}

/// The number of threads of this process (Linux: the entries of /proc/self/task).
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// The number of file descriptors open in this process (Linux: the entries of /proc/self/fd).
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// Runs the tests of one binary that hold it one at a time (for tests that count what the
/// whole process holds: threads, descriptors, live runtimes). A test that panicked while
/// holding it does not stop the others.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The message of a panic's payload (`panic!` with a literal or a format), or a placeholder
/// that names no message for any other payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(a panic payload that is not a string)".to_owned())
}

/// Reads a child process's output until a line that starts with `prefix` (a child test says
/// `READY` when its runtime is set up) and returns that line; panics if the output ends
/// first.
pub fn read_until_line(out: &mut impl std::io::BufRead, prefix: &str) -> String {
    let mut line = String::new();
    while !line.starts_with(prefix) {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the child ended before {prefix}"
        );
    }
    line
}
