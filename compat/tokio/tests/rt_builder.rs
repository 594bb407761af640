//! tokio::runtime on gosched: the builder mapping, block_on, spawn from inside and through a
//! Handle, enter guards, the current-thread flavor, shutdown, and what `#[tokio::main]` /
//! `#[tokio::test]` expand to.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::runtime::{Builder, Handle, Runtime, RuntimeFlavor};

/// Fails the test instead of hanging if `f` does not return in time.
fn watchdog<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(f()).unwrap());
    rx.recv_timeout(Duration::from_secs(30)).expect("test hung")
}

#[test]
fn multi_thread_worker_threads_is_maxprocs() {
    let rt = Builder::new_multi_thread()
        .worker_threads(3)
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(rt.metrics().num_workers(), 3);
    assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
    // Spawned tasks are gosched tasks.
    let in_task = rt.block_on(rt.spawn(async { gosched_executor::task::try_id().is_some() }));
    assert!(in_task.unwrap());
}

#[test]
fn current_thread_is_one_p() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(rt.metrics().num_workers(), 1);
    assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
    let flavor = rt.block_on(async { Handle::current().runtime_flavor() });
    assert_eq!(flavor, RuntimeFlavor::CurrentThread);
    // The one documented difference: a spawned task runs even when nobody is in block_on.
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(async move { tx.send(7).unwrap() });
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), 7);
}

#[test]
#[should_panic(expected = "Worker threads cannot be set to 0")]
fn zero_worker_threads_panics() {
    Builder::new_multi_thread().worker_threads(0);
}

#[test]
fn thread_name_and_hooks_reach_the_workers() {
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("facade-worker")
        .on_thread_start(move || {
            s.fetch_add(1, Ordering::SeqCst);
        })
        .thread_stack_size(4 << 20)
        .max_blocking_threads(4)
        .thread_keep_alive(Duration::from_secs(1))
        .global_queue_interval(31)
        .event_interval(61)
        .build()
        .unwrap();
    let name = rt.block_on(rt.spawn(async { std::thread::current().name().map(str::to_owned) }));
    assert_eq!(name.unwrap().as_deref(), Some("facade-worker"));
    assert!(started.load(Ordering::SeqCst) >= 1);
}

#[test]
fn thread_name_fn_names_the_workers() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name_fn(|| "named-by-fn".to_string())
        .build()
        .unwrap();
    let name = rt.block_on(rt.spawn(async { std::thread::current().name().map(str::to_owned) }));
    assert_eq!(name.unwrap().as_deref(), Some("named-by-fn"));
}

#[test]
fn handle_spawns_from_a_plain_thread() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle().clone();
    let v = watchdog(move || {
        let task = handle.spawn(async { 40 + 2 });
        handle.block_on(task).unwrap()
    });
    assert_eq!(v, 42);
}

#[test]
fn try_current_outside_and_inside() {
    let err = Handle::try_current().unwrap_err();
    assert!(err.is_missing_context());
    assert!(err.to_string().contains("no reactor running"));
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let h = Handle::current();
        assert_eq!(h.spawn(async { 1 }).await.unwrap(), 1);
        // spawn_blocking through the current handle
        assert_eq!(h.spawn_blocking(|| 2).await.unwrap(), 2);
    });
}

#[test]
#[should_panic(expected = "must be called from the context of a Tokio 1.x runtime")]
fn current_outside_panics() {
    Handle::current();
}

#[test]
fn enter_guard_makes_spawn_work() {
    let rt = Runtime::new().unwrap();
    assert!(Handle::try_current().is_err());
    let task = {
        let _guard = rt.enter();
        assert!(Handle::try_current().is_ok());
        tokio::spawn(async { "entered" })
    };
    assert!(Handle::try_current().is_err());
    assert_eq!(rt.block_on(task).unwrap(), "entered");
    let _g = rt.handle().enter();
    let sleep = tokio::time::sleep(Duration::from_millis(1));
    drop(_g);
    rt.block_on(sleep);
}

#[test]
fn shutdown_timeout_cancels_tasks() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle().clone();
    let task = rt.spawn(std::future::pending::<()>());
    watchdog(move || rt.shutdown_timeout(Duration::from_secs(5)));
    let err = watchdog(move || handle.block_on(task).unwrap_err());
    assert!(err.is_cancelled());
}

#[test]
fn shutdown_background_returns() {
    let rt = Runtime::new().unwrap();
    rt.spawn(async { tokio::time::sleep(Duration::from_secs(3600)).await });
    watchdog(move || rt.shutdown_background());
}

#[test]
fn runtime_spawn_blocking() {
    let rt = Runtime::new().unwrap();
    let v = rt.block_on(rt.spawn_blocking(|| std::thread::current().name().map(str::to_owned)));
    assert!(v.unwrap().is_some());
}

#[test]
fn metrics_count_alive_tasks() {
    let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let t = rt.spawn(async move {
        let _tx = tx;
        std::future::pending::<()>().await
    });
    assert!(rt.metrics().num_alive_tasks() >= 1);
    t.abort();
    // The task's future (and its sender) is dropped once the abort is done.
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
    );
    assert_eq!(rt.metrics().global_queue_depth(), 0);
}

#[tokio::main]
async fn main_like() -> u32 {
    tokio::spawn(async { gosched_executor::task::try_id().map(|_| 1).unwrap_or(0) })
        .await
        .unwrap()
}

#[test]
fn tokio_main_expansion_runs() {
    assert_eq!(main_like(), 1);
}

#[tokio::main(flavor = "current_thread")]
async fn main_current_thread() -> RuntimeFlavor {
    Handle::current().runtime_flavor()
}

#[test]
fn tokio_main_current_thread() {
    assert_eq!(main_current_thread(), RuntimeFlavor::CurrentThread);
}

#[test]
fn dropping_the_runtime_drops_outstanding_tasks() {
    let rt = Runtime::new().unwrap();
    let alive = Arc::new(());
    let held = alive.clone();
    rt.block_on(async move {
        tokio::spawn(async move {
            let _held = held;
            std::future::pending::<()>().await
        });
    });
    assert_eq!(Arc::strong_count(&alive), 2);
    watchdog(move || drop(rt));
    assert_eq!(
        Arc::strong_count(&alive),
        1,
        "the task's future was dropped with the runtime"
    );
}

#[test]
fn a_handle_that_outlives_its_runtime_never_hangs() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle().clone();
    drop(rt);
    let (spawned, blocking) = watchdog(move || {
        let a = handle.block_on(handle.spawn(async { 1 }));
        let b = handle.block_on(handle.spawn_blocking(|| 2));
        (a, b)
    });
    assert!(spawned.unwrap_err().is_cancelled());
    assert!(blocking.unwrap_err().is_cancelled());
}
