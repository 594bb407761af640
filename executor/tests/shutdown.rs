//! Shutdown: dropping a runtime drops every task's future (parked or queued), leaks no thread
//! and no memory; `shutdown_timeout` gives up on stuck threads; where a runtime may be dropped.
//!
//! This binary counts allocations (a counting global allocator) and threads, so its tests run
//! one at a time (`serial()`): another test's threads and allocations would blur the counts.

mod common;

use common::{LIMIT, holds_within, serial, thread_count, wait_until, watchdog};
use gosched_executor::runtime::Builder;
use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static NET_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to `System`, which upholds the `GlobalAlloc` contract; the counter has no
// effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            NET_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { System.dealloc(ptr, layout) };
        NET_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            NET_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            NET_BYTES.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Counts the futures dropped.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Never completes; with `self_wake` it wakes itself on every poll, so it always sits in a
/// run queue.
struct Forever {
    _count: DropCount,
    self_wake: bool,
}

impl Future for Forever {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.self_wake {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

#[test]
fn dropping_the_runtime_drops_parked_and_queued_futures() {
    let _s = serial();
    let _w = watchdog("drop_drops_futures", Duration::from_secs(30));
    const EACH: usize = 100;
    let dropped = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let forever = |self_wake: bool| Forever {
        _count: DropCount(dropped.clone()),
        self_wake,
    };
    let mut handles = Vec::new();
    // Parked forever.
    for _ in 0..EACH {
        handles.push(rt.spawn(forever(false)));
    }
    // Always runnable: woken during their own poll, requeued on a P.
    for _ in 0..EACH {
        handles.push(rt.spawn(forever(true)));
    }
    // Always runnable through the global queue (yield_now loops).
    for _ in 0..EACH {
        let c = DropCount(dropped.clone());
        handles.push(rt.spawn(async move {
            let _c = c;
            loop {
                gosched_executor::task::yield_now().await;
            }
        }));
    }
    // Spawned from inside a task, some never polled before the drop.
    let spawner = {
        let dropped = dropped.clone();
        rt.spawn(async move {
            for _ in 0..EACH {
                drop(gosched_executor::spawn(Forever {
                    _count: DropCount(dropped.clone()),
                    self_wake: true,
                }));
            }
        })
    };
    rt.block_on(spawner).unwrap();
    assert!(rt.metrics().live_tasks >= 3 * EACH);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(dropped.load(Ordering::SeqCst), 0);

    drop(rt);
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        4 * EACH,
        "every future, parked or queued, is dropped exactly once by the time drop returns"
    );
    // The handles report cancellation (polled without any runtime).
    for h in handles {
        let err = futures::executor::block_on(h).unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
    }
}

#[test]
fn a_thousand_runtimes_leak_no_thread_and_no_memory() {
    let _s = serial();
    let _w = watchdog("create_drop_1000", Duration::from_secs(120));
    let cycle = |i: usize| {
        let rt = Builder::new().maxprocs(2).build().unwrap();
        let v = rt.block_on(async move {
            let a = gosched_executor::spawn(async move { i });
            let b = gosched_executor::spawn_blocking(move || i);
            a.await.unwrap() + b.await.unwrap()
        });
        assert_eq!(v, 2 * i);
        // A task still parked at the drop, and one left in a queue.
        drop(rt.spawn(std::future::pending::<()>()));
        drop(rt.spawn(async {
            loop {
                gosched_executor::task::yield_now().await;
            }
        }));
        drop(rt);
    };
    // Warm up: lazily initialised statics and thread-locals of this thread.
    cycle(0);
    // Let the warm-up's detached blocking thread (and earlier tests' watchdogs) exit.
    let mut last = thread_count();
    wait_until("the thread count to settle", || {
        std::thread::sleep(Duration::from_millis(50));
        let now = thread_count();
        std::mem::replace(&mut last, now) == now
    });
    let threads_before = thread_count();
    let bytes_before = NET_BYTES.load(Ordering::SeqCst);
    for i in 0..1_000 {
        cycle(i);
    }
    // Blocking-pool threads are detached: give them a moment to exit.
    let settled = holds_within(LIMIT, || thread_count() <= threads_before);
    assert!(
        settled,
        "threads: {} before, {} after 1000 runtimes",
        threads_before,
        thread_count()
    );
    let grown = NET_BYTES.load(Ordering::SeqCst) - bytes_before;
    // One leaked task or runtime per cycle would be well over 100 bytes each.
    assert!(
        grown < 64 * 1024,
        "{grown} bytes still allocated after 1000 runtimes were dropped"
    );
}

#[test]
fn shutdown_timeout_drops_futures_and_leaves_a_stuck_thread_behind() {
    let _s = serial();
    let _w = watchdog("shutdown_timeout", Duration::from_secs(30));
    let dropped = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new().maxprocs(2).sysmon(false).build().unwrap();
    for _ in 0..50 {
        drop(rt.spawn(Forever {
            _count: DropCount(dropped.clone()),
            self_wake: false,
        }));
    }
    let stuck_started = Arc::new(AtomicBool::new(false));
    let stuck_dropped = Arc::new(AtomicUsize::new(0));
    let (s, c) = (stuck_started.clone(), DropCount(stuck_dropped.clone()));
    drop(rt.spawn(async move {
        let _c = c;
        s.store(true, Ordering::SeqCst);
        // Blocks its thread: the kind of task shutdown_timeout exists for.
        std::thread::sleep(Duration::from_millis(800));
        std::future::pending::<()>().await;
    }));
    wait_until("the stuck task to start", || stuck_started.load(Ordering::SeqCst));
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(50));
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(600),
        "shutdown_timeout(50ms) took {took:?} with a thread stuck for 800ms"
    );
    assert_eq!(dropped.load(Ordering::SeqCst), 50);
    // The stuck task's future is dropped by its own thread once its poll returns.
    wait_until("the stuck future dropped", || {
        stuck_dropped.load(Ordering::SeqCst) == 1
    });
}

#[test]
fn shutdown_timeout_on_an_idle_runtime_joins_its_threads() {
    let _s = serial();
    let _w = watchdog("shutdown_timeout_idle", Duration::from_secs(30));
    let before = thread_count();
    let rt = Builder::new().maxprocs(4).build().unwrap();
    rt.block_on(async {
        let hs: Vec<_> = (0..100)
            .map(|i| gosched_executor::spawn(async move { i }))
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    assert!(thread_count() > before);
    rt.shutdown_timeout(Duration::from_secs(5));
    wait_until("the threads of the dropped runtime gone", || {
        thread_count() <= before
    });
}

#[test]
fn dropping_a_runtime_on_its_own_worker_panics_with_a_clear_message() {
    let _s = serial();
    let _w = watchdog("drop_on_worker", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let handle = rt.handle().clone();
    let slot = Arc::new(Mutex::new(Some(rt)));
    let s = slot.clone();
    let err = handle
        .block_on(handle.spawn(async move {
            let rt = s.lock().unwrap().take();
            drop(rt);
        }))
        .unwrap_err();
    assert!(err.is_panic(), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("dropped on one of its own worker threads"),
        "the message says what went wrong: {msg}"
    );
    assert!(msg.contains("spawn_blocking"), "the message names a fix: {msg}");
    // The runtime was not shut down (its worker cannot join itself); it keeps running tasks.
    assert_eq!(handle.block_on(handle.spawn(async { 3 })).unwrap(), 3);
}

#[test]
fn dropping_a_runtime_on_a_blocking_thread_is_allowed() {
    let _s = serial();
    let _w = watchdog("drop_on_blocking", Duration::from_secs(30));
    let before = thread_count();
    let dropped = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    for _ in 0..10 {
        drop(rt.spawn(Forever {
            _count: DropCount(dropped.clone()),
            self_wake: false,
        }));
    }
    let handle = rt.handle().clone();
    let slot = Arc::new(Mutex::new(Some(rt)));
    let s = slot.clone();
    let d = dropped.clone();
    let done = handle.spawn_blocking(move || {
        drop(s.lock().unwrap().take());
        d.load(Ordering::SeqCst)
    });
    // The runtime is gone by the time the closure returns, so await its handle without it.
    let seen = futures::executor::block_on(done).unwrap();
    assert_eq!(seen, 10, "the drop on the blocking thread dropped every future");
    assert!(slot.lock().unwrap().is_none());
    drop(handle);
    wait_until("the threads of the dropped runtime gone", || {
        thread_count() <= before
    });
}
