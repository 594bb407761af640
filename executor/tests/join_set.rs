//! `task::JoinSet`: completion order, abort, shutdown, `try_join_next`, drop, spawn sites in
//! `dump()`, and a set dropped while its tasks are blocked in `block_in_place`.

mod common;

use common::watchdog;
use futures::channel::oneshot;
use gosched_executor::runtime::{Builder, Runtime};
use gosched_executor::task::{self, JoinSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio_test::{assert_pending, assert_ready};

fn rt(maxprocs: usize) -> Runtime {
    Builder::new().maxprocs(maxprocs).build().unwrap()
}

/// Counts its drops.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Waits (sleeping) until `done()`, for at most 10 s.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what}: not after 10 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn results_come_in_completion_order() {
    let _w = watchdog("completion_order", Duration::from_secs(30));
    let rt = rt(2);
    rt.block_on(async {
        let mut set = JoinSet::new();
        let mut release = Vec::new();
        for i in 0..5u32 {
            let (tx, rx) = oneshot::channel::<()>();
            release.push(Some(tx));
            set.spawn(async move {
                rx.await.unwrap();
                i
            });
        }
        // Let them go in an order unrelated to the spawn order; each result comes back before
        // the next is released.
        for i in [3usize, 0, 4, 1, 2] {
            release[i].take().unwrap().send(()).unwrap();
            assert_eq!(set.join_next().await.unwrap().unwrap(), i as u32);
            assert_eq!(set.len(), release.iter().filter(|r| r.is_some()).count());
        }
        assert!(set.join_next().await.is_none());
        assert!(set.is_empty());
    });
}

#[test]
fn join_next_is_woken_by_the_task_that_finishes() {
    let _w = watchdog("join_next_woken", Duration::from_secs(30));
    let rt = rt(2);
    let (tx, rx) = oneshot::channel::<u8>();
    let mut set = rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async move { rx.await.unwrap() });
        set
    });
    {
        // Polled by hand with tokio-test's mock task, from outside the runtime.
        let mut join = tokio_test::task::spawn(set.join_next());
        assert_pending!(join.poll());
        // The first poll may wake itself once (`FuturesUnordered` does after a pass over every
        // member); the second registers and waits.
        assert_pending!(join.poll());
        assert!(!join.is_woken());
        tx.send(9).unwrap();
        wait_until("the set's waker", || join.is_woken());
        let got = assert_ready!(join.poll());
        assert_eq!(got.unwrap().unwrap(), 9);
    }
    assert!(set.is_empty());
}

#[test]
fn try_join_next_never_waits() {
    let _w = watchdog("try_join_next", Duration::from_secs(30));
    let rt = rt(2);
    rt.block_on(async {
        let mut set = JoinSet::<u32>::new();
        assert!(set.try_join_next().is_none());
        let (tx, rx) = oneshot::channel::<()>();
        set.spawn(async move {
            rx.await.unwrap();
            1
        });
        set.spawn(std::future::pending());
        assert!(set.try_join_next().is_none());
        tx.send(()).unwrap();
        let start = Instant::now();
        let one = loop {
            if let Some(res) = set.try_join_next() {
                break res.unwrap();
            }
            assert!(start.elapsed() < Duration::from_secs(10));
            task::yield_now().await;
        };
        assert_eq!(one, 1);
        assert_eq!(set.len(), 1);
        assert!(set.try_join_next().is_none());
    });
}

#[test]
fn abort_all_cancels_what_runs_and_keeps_what_finished() {
    let _w = watchdog("abort_all", Duration::from_secs(30));
    let rt = rt(2);
    rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { 5 });
        // Let the quick one finish before the abort.
        while !set.try_join_next().is_some_and(|r| {
            assert_eq!(r.unwrap(), 5);
            true
        }) {
            task::yield_now().await;
        }
        set.spawn(async { 6 });
        gosched_executor::time::sleep(Duration::from_millis(20)).await;
        for _ in 0..3 {
            set.spawn(std::future::pending());
        }
        set.abort_all();
        let (mut ok, mut cancelled) = (0, 0);
        while let Some(res) = set.join_next().await {
            match res {
                Ok(6) => ok += 1,
                Err(e) if e.is_cancelled() => cancelled += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((ok, cancelled), (1, 3));
    });
}

#[test]
fn the_abort_handle_from_spawn_aborts_one_task() {
    let _w = watchdog("abort_handle", Duration::from_secs(30));
    let rt = rt(2);
    rt.block_on(async {
        let mut set = JoinSet::new();
        let doomed = set.spawn(std::future::pending::<u8>());
        set.spawn(async { 1u8 });
        let doomed_id = doomed.id();
        doomed.abort();
        let mut seen = Vec::new();
        while let Some(res) = set.join_next().await {
            seen.push(res.map_err(|e| (e.is_cancelled(), e.id())));
        }
        seen.sort_by_key(|r| r.is_err());
        assert_eq!(seen, vec![Ok(1), Err((true, doomed_id))]);
    });
}

#[test]
fn shutdown_waits_until_every_future_is_dropped() {
    let _w = watchdog("shutdown", Duration::from_secs(30));
    let rt = rt(2);
    let drops = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..20 {
            let guard = DropCount(drops.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        set.shutdown().await;
        assert!(set.is_empty());
        assert_eq!(drops.load(Ordering::SeqCst), 20);
    });
}

#[test]
fn dropping_the_set_aborts_every_task() {
    let _w = watchdog("drop_aborts", Duration::from_secs(30));
    let rt = rt(2);
    let drops = Arc::new(AtomicUsize::new(0));
    let base = rt.metrics().live_tasks;
    rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..20 {
            let guard = DropCount(drops.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        gosched_executor::time::sleep(Duration::from_millis(10)).await;
        drop(set);
    });
    wait_until("every future dropped", || drops.load(Ordering::SeqCst) == 20);
    wait_until("no task left", || rt.metrics().live_tasks == base);
}

#[test]
fn a_set_dropped_while_its_tasks_are_blocked_in_block_in_place() {
    let _w = watchdog("drop_in_block_in_place", Duration::from_secs(60));
    const TASKS: usize = 3;
    let rt = rt(2);
    let base = rt.metrics().live_tasks;
    let inside = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(AtomicBool::new(false));
    let ran_past_yield = Arc::new(AtomicBool::new(false));
    let drops = Arc::new(AtomicUsize::new(0));
    let set = rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..TASKS {
            let (inside, release, past) = (inside.clone(), release.clone(), ran_past_yield.clone());
            let guard = DropCount(drops.clone());
            set.spawn(async move {
                let _guard = guard;
                gosched_executor::block_in_place(|| {
                    inside.fetch_add(1, Ordering::SeqCst);
                    while !release.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                });
                task::yield_now().await;
                past.store(true, Ordering::SeqCst);
            });
        }
        set
    });
    wait_until("every task inside block_in_place", || {
        inside.load(Ordering::SeqCst) == TASKS
    });
    drop(set); // aborts tasks that are in the middle of a poll
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "a running future cannot be dropped"
    );
    release.store(true, Ordering::SeqCst);
    wait_until("every aborted future dropped", || {
        drops.load(Ordering::SeqCst) == TASKS
    });
    assert!(
        !ran_past_yield.load(Ordering::SeqCst),
        "an aborted task ran past its next yield point"
    );
    wait_until("no task left", || rt.metrics().live_tasks == base);
    // The runtime goes on.
    assert_eq!(rt.block_on(rt.spawn(async { 2 + 2 })).unwrap(), 4);
}

#[test]
fn a_panicking_member_is_a_join_error_and_the_rest_complete() {
    let _w = watchdog("panic_member", Duration::from_secs(30));
    let rt = rt(2);
    rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("member failed") });
        for i in 0..4 {
            set.spawn(async move { i });
        }
        let (mut ok, mut panicked) = (0, 0);
        while let Some(res) = set.join_next().await {
            match res {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(e.is_panic());
                    assert!(e.to_string().contains("member failed"), "{e}");
                    panicked += 1;
                }
            }
        }
        assert_eq!((ok, panicked), (4, 1));
    });
}

#[test]
fn spawn_blocking_members_join_like_the_rest() {
    let _w = watchdog("spawn_blocking", Duration::from_secs(30));
    let rt = rt(2);
    rt.block_on(async {
        let mut set = JoinSet::new();
        for i in 0..8u64 {
            set.spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(2));
                i
            });
        }
        set.spawn(async { 100 });
        let mut sum = 0;
        while let Some(res) = set.join_next().await {
            sum += res.unwrap();
        }
        assert_eq!(sum, 128);
    });
}

#[test]
fn members_show_in_dump_at_their_own_spawn_sites() {
    let _w = watchdog("dump_sites", Duration::from_secs(30));
    let rt = rt(2);
    rt.block_on(async {
        let mut set = JoinSet::new();
        let mut first_line = 0;
        let mut second_line = 0;
        for _ in 0..2 {
            (first_line, _) = (line!(), set.spawn(std::future::pending::<()>()));
        }
        for _ in 0..3 {
            (second_line, _) = (line!(), set.spawn(std::future::pending::<()>()));
        }
        let dump = gosched_executor::runtime::Handle::current().dump();
        let at = |line: u32| {
            dump.iter()
                .filter(|t| t.spawned_at.file().ends_with("join_set.rs") && t.spawned_at.line() == line)
                .count()
        };
        assert_eq!(at(first_line), 2, "{dump:#?}");
        assert_eq!(at(second_line), 3, "{dump:#?}");
        set.shutdown().await;
    });
}

#[test]
fn join_set_is_send_sync_default_and_debug() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<JoinSet<u32>>();
    send_sync::<JoinSet<std::cell::Cell<u8>>>(); // T: Send is enough
    let set: JoinSet<u8> = JoinSet::default();
    assert_eq!(format!("{set:?}"), "JoinSet { len: 0 }");
    let rt = rt(1);
    rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { 1 });
        assert_eq!(format!("{set:?}"), "JoinSet { len: 1 }");
        assert!(set.join_next().await.is_some());
        assert!(set.join_next().await.is_none());
    });
}
