//! The blocking pool (`spawn_blocking`, capped at `max_blocking_threads`) and `block_in_place`
//! (the M hands its P to another M while the closure runs).

mod common;

use common::watchdog;
use gosched_executor::runtime::{Builder, Handle, TaskState};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Tracks how many closures run at once and the most ever seen.
#[derive(Default)]
struct Concurrency {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Concurrency {
    fn enter(&self) {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
    }

    fn exit(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn a_thousand_spawn_blocking_calls_never_exceed_the_thread_cap() {
    const CAP: usize = 8;
    const CALLS: usize = 1_000;
    let _w = watchdog("blocking_cap", Duration::from_secs(60));
    let rt = Builder::new()
        .maxprocs(2)
        .max_blocking_threads(CAP)
        .build()
        .unwrap();
    let conc = Arc::new(Concurrency::default());
    let max_threads_seen = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..CALLS)
        .map(|i| {
            let conc = conc.clone();
            rt.spawn_blocking(move || {
                conc.enter();
                std::thread::sleep(Duration::from_micros(500));
                conc.exit();
                i
            })
        })
        .collect();
    // Sample the metric while the pool is busy.
    let sampler = {
        let handle = rt.handle().clone();
        let seen = max_threads_seen.clone();
        let conc = conc.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(100) {
                seen.fetch_max(handle.metrics().blocking_threads, Ordering::SeqCst);
                if conc.now.load(Ordering::SeqCst) == 0 && conc.max.load(Ordering::SeqCst) > 0 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let outputs: Vec<usize> = rt.block_on(async {
        let mut out = Vec::with_capacity(CALLS);
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    });
    sampler.join().unwrap();
    assert_eq!(outputs, (0..CALLS).collect::<Vec<_>>());
    let max = conc.max.load(Ordering::SeqCst);
    assert!(
        max <= CAP,
        "{max} closures ran at once with max_blocking_threads({CAP})"
    );
    assert!(max >= 2, "the pool runs closures in parallel (max seen {max})");
    let m = rt.metrics();
    assert!(m.blocking_threads <= CAP, "{m:?}");
    assert!(max_threads_seen.load(Ordering::SeqCst) <= CAP);
    assert!(m.blocking_threads >= 1, "idle threads stay for keep_alive: {m:?}");
    // Blocking jobs are not tasks.
    assert_eq!(m.live_tasks, 0, "{m:?}");
}

#[test]
fn spawn_blocking_from_a_foreign_thread_and_from_a_task() {
    let _w = watchdog("blocking_foreign", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let handle = rt.handle().clone();
    let from_thread = std::thread::spawn(move || {
        let h = handle.spawn_blocking(|| Handle::try_current().is_some());
        handle.block_on(h).unwrap()
    })
    .join()
    .unwrap();
    assert!(from_thread, "a blocking-pool thread is inside the runtime");
    let from_task = rt.block_on(rt.spawn(async {
        gosched_executor::spawn_blocking(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap()
    }));
    assert_eq!(from_task.unwrap().as_deref(), Some("gosched-blocking"));
}

#[test]
fn a_panic_in_spawn_blocking_is_a_join_error() {
    let _w = watchdog("blocking_panic", Duration::from_secs(30));
    let rt = Builder::new()
        .maxprocs(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let err = rt
        .block_on(rt.spawn_blocking(|| panic!("blocking boom")))
        .unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("blocking boom"), "{err}");
    // The one pool thread survived.
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 5)).unwrap(), 5);
}

#[test]
fn block_in_place_hands_the_p_to_another_m() {
    let _w = watchdog("block_in_place", Duration::from_secs(30));
    // One P and no sysmon: only block_in_place's eager handoff can let the second task run.
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let blocked_id = Arc::new(Mutex::new(None));
    let state_seen = Arc::new(Mutex::new(None));
    let (f, id_slot) = (flag.clone(), blocked_id.clone());
    let blocker = rt.spawn(async move {
        *id_slot.lock().unwrap() = Some(gosched_executor::task::id());
        gosched_executor::block_in_place(|| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !f.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            f.load(Ordering::SeqCst)
        })
    });
    // Wait until the blocker is inside block_in_place, then look at it in the dump.
    let handle = rt.handle().clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let id = *blocked_id.lock().unwrap();
        if let Some(id) = id {
            if let Some(t) = handle.dump().into_iter().find(|t| t.id == id) {
                if t.state == TaskState::Syscall {
                    *state_seen.lock().unwrap() = Some(t.state);
                    break;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let f = flag.clone();
    let setter = rt.spawn(async move { f.store(true, Ordering::SeqCst) });
    rt.block_on(setter).unwrap();
    assert!(
        rt.block_on(blocker).unwrap(),
        "the other task ran while the only P's M was blocked"
    );
    assert_eq!(*state_seen.lock().unwrap(), Some(TaskState::Syscall));
    let m = rt.metrics();
    assert!(m.handoffs_total >= 1, "{m:?}");
    // The runtime is healthy afterwards.
    let sum: u32 = rt.block_on(async {
        let hs: Vec<_> = (0..100u32)
            .map(|i| gosched_executor::spawn(async move { i }))
            .collect();
        let mut s = 0;
        for h in hs {
            s += h.await.unwrap();
        }
        s
    });
    assert_eq!(sum, 4950);
}

#[test]
fn block_in_place_outside_a_worker_just_runs_the_closure() {
    let _w = watchdog(
        "block_in_place_outside_a_worker_just_runs_the_closure",
        Duration::from_secs(30),
    );
    assert_eq!(gosched_executor::block_in_place(|| 7), 7);
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let v = rt.block_on(async { gosched_executor::block_in_place(|| 8) });
    assert_eq!(v, 8);
    assert_eq!(rt.metrics().handoffs_total, 0, "block_on is not an M");
}

#[test]
fn many_block_in_place_calls_in_parallel() {
    let _w = watchdog("block_in_place_many", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let hs: Vec<_> = (0..50u64)
        .map(|i| {
            rt.spawn(async move {
                gosched_executor::task::yield_now().await;
                let v = gosched_executor::block_in_place(|| {
                    std::thread::sleep(Duration::from_millis(2));
                    i
                });
                gosched_executor::task::yield_now().await;
                v
            })
        })
        .collect();
    let total: u64 = rt.block_on(async {
        let mut s = 0;
        for h in hs {
            s += h.await.unwrap();
        }
        s
    });
    assert_eq!(total, (0..50u64).sum::<u64>());
    assert!(rt.metrics().handoffs_total >= 1);
}

#[test]
fn a_panic_inside_block_in_place_leaves_no_syscall_state_behind() {
    let _w = watchdog("block_in_place_panic", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let state = rt
        .block_on(rt.spawn(async {
            let r = std::panic::catch_unwind(|| {
                gosched_executor::block_in_place(|| panic!("boom inside block_in_place"))
            });
            assert!(r.is_err(), "the panic reaches the task");
            // The task goes on running: it is no longer inside `block_in_place`.
            let me = gosched_executor::task::id();
            let info = Handle::current().dump().into_iter().find(|t| t.id == me);
            info.unwrap().state
        }))
        .unwrap();
    assert_eq!(state, TaskState::Running);
}

/// Bursts of trivial jobs make a woken pool thread find the queue already emptied by another
/// thread (one that just finished a job, or one just started). Each thread must be counted idle
/// exactly while it waits: a double count once made `idle` wrap (a release build then started
/// no thread and notified nobody, so the last job below hung) or panic (a debug build lost the
/// panicking thread, which stayed counted, so `blocking_threads` never went back to 0).
#[test]
fn bursts_of_trivial_jobs_never_lose_the_pool() {
    const BURSTS: usize = 600;
    const PER_BURST: usize = 8;
    let _w = watchdog("blocking_bursts", Duration::from_secs(30));
    let keep_alive = Duration::from_millis(30);
    let rt = Builder::new()
        .maxprocs(2)
        .max_blocking_threads(4)
        .blocking_keep_alive(keep_alive)
        .build()
        .unwrap();
    rt.block_on(async {
        let mut handles = Vec::with_capacity(BURSTS * PER_BURST);
        for burst in 0..BURSTS {
            handles.extend((0..PER_BURST).map(|i| gosched_executor::spawn_blocking(move || i)));
            if burst % 50 == 49 {
                gosched_executor::time::sleep(Duration::from_millis(1)).await;
            }
        }
        for (n, h) in handles.into_iter().enumerate() {
            assert_eq!(h.await.unwrap(), n % PER_BURST);
        }
    });
    // Every thread is idle now and exits after the keep-alive.
    let start = Instant::now();
    while rt.metrics().blocking_threads > 0 {
        let m = rt.metrics();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the pool still counts {} threads ({} idle) long after its keep-alive",
            m.blocking_threads,
            m.idle_blocking_threads
        );
        std::thread::sleep(keep_alive);
    }
    // The pool must start a thread again.
    let v = rt.block_on(rt.spawn_blocking(|| 42)).unwrap();
    assert_eq!(v, 42);
}
