//! One shutdown answer (the `Runtime` docs' shutdown rules): every handle of a task that the
//! shutdown cancelled says the runtime shut down, whatever kind of task it was; a pinned task
//! is never first polled after the shutdown began; `shutdown_timeout(d)` bounds the whole wait
//! by one deadline.
//!
//! Some tests leave a stuck thread behind for a while, so they run one at a time (`serial()`).

mod common;

use common::{serial, wait_until, watchdog};
use gosched_executor::runtime::{Builder, Handle};
use gosched_executor::task::{JoinError, spawn_pinned};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// `spawn_pinned` from outside the runtime, through `handle` (`block_on` enters it).
fn spawn_pinned_on<F, Fut>(handle: &Handle, create: F) -> gosched_executor::JoinHandle<Fut::Output>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future + 'static,
    Fut::Output: Send + 'static,
{
    // The handle is returned, not awaited: the caller awaits it later.
    #[allow(clippy::async_yields_async)]
    handle.block_on(async { spawn_pinned(create) })
}

/// The answer every cancelled-by-shutdown handle must give.
fn assert_shut_down(err: &JoinError, what: &str) {
    assert!(err.is_cancelled(), "{what}: {err:?} is not a cancellation");
    assert!(
        err.to_string().contains("runtime shut down"),
        "{what}: `{err}` does not say the runtime shut down"
    );
}

#[test]
fn a_pinned_task_cancelled_at_shutdown_says_the_runtime_shut_down() {
    let _s = serial();
    let _w = watchdog("pinned_shut_down", Duration::from_secs(10));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let s = started.clone();
    let handle = spawn_pinned_on(rt.handle(), move || async move {
        s.store(true, Ordering::SeqCst);
        std::future::pending::<()>().await
    });
    wait_until("the task to start", || started.load(Ordering::SeqCst));
    drop(rt);
    let err = futures::executor::block_on(handle).unwrap_err();
    assert_shut_down(&err, "a pinned task cancelled at shutdown");
}

#[test]
fn spawn_pinned_through_a_handle_after_the_drop_says_the_runtime_shut_down() {
    let _s = serial();
    let _w = watchdog("pinned_after_drop", Duration::from_secs(10));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let handle = rt.handle().clone();
    drop(rt);
    let join = spawn_pinned_on(&handle, || async { 1 });
    let err = futures::executor::block_on(join).unwrap_err();
    assert_shut_down(&err, "spawn_pinned after the drop");
}

#[test]
fn a_task_whose_poll_outlived_shutdown_timeout_says_the_runtime_shut_down() {
    let _s = serial();
    let _w = watchdog("poll_outlived_timeout", Duration::from_secs(10));
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let s = started.clone();
    let handle = rt.spawn(async move {
        s.store(true, Ordering::SeqCst);
        // Blocks its thread past the timeout below.
        std::thread::sleep(Duration::from_millis(300));
        std::future::pending::<()>().await
    });
    wait_until("the task to start", || started.load(Ordering::SeqCst));
    rt.shutdown_timeout(Duration::from_millis(20));
    let err = futures::executor::block_on(handle).unwrap_err();
    assert_shut_down(&err, "a task whose poll outlived shutdown_timeout");
}

/// A pinned task spawned just before the drop sleeps on a gosched timer: its thread must not
/// poll it for the first time once the shutdown has begun (its timer would find the runtime
/// shut down and panic); its handle says the runtime shut down.
#[test]
fn a_pinned_task_spawned_just_before_the_drop_is_cancelled_not_panicked() {
    let _s = serial();
    let _w = watchdog("pinned_just_before_drop", Duration::from_secs(20));
    for round in 0..50 {
        let rt = Builder::new().maxprocs(1).build().unwrap();
        let handle = spawn_pinned_on(rt.handle(), || async {
            gosched_executor::time::sleep(Duration::from_secs(3600)).await;
        });
        drop(rt);
        let err = futures::executor::block_on(handle).unwrap_err();
        assert_shut_down(&err, &format!("round {round}"));
    }
}

/// `shutdown_timeout(d)` waits at most d in all: not d for the workers and then d again for
/// the pinned threads.
#[test]
fn shutdown_timeout_bounds_the_whole_wait_by_one_deadline() {
    const D: Duration = Duration::from_millis(500);
    let _s = serial();
    let _w = watchdog("one_deadline", Duration::from_secs(20));
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let (worker, pinned) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let w = worker.clone();
    drop(rt.spawn(async move {
        w.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(3));
    }));
    let p = pinned.clone();
    drop(spawn_pinned_on(rt.handle(), move || async move {
        p.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(3));
    }));
    wait_until("the worker task to start", || worker.load(Ordering::SeqCst));
    wait_until("the pinned task to start", || pinned.load(Ordering::SeqCst));
    let start = Instant::now();
    rt.shutdown_timeout(D);
    let took = start.elapsed();
    // Two waits of D each would take 2 D; one deadline takes D and a little.
    assert!(
        took < D * 2 - D / 5,
        "shutdown_timeout({D:?}) took {took:?} with a stuck worker and a stuck pinned thread"
    );
}
