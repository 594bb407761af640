//! `task::JoinSet`: completion order, abort, shutdown, `try_join_next`, drop, spawn sites in
//! `dump()`, and a set dropped while its tasks are blocked in `block_in_place`.

mod common;

use common::{wait_until, watchdog};
use futures::channel::oneshot;
use gosched_executor::runtime::{Builder, Runtime};
use gosched_executor::task::{self, JoinError, JoinSet};
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

/// Runs `test` with a new set on a fresh 2-P runtime, under a 30 s watchdog named `name`.
fn with_set<T: Send + 'static>(name: &'static str, test: impl AsyncFnOnce(&mut JoinSet<T>)) {
    let _w = watchdog(name, Duration::from_secs(30));
    rt(2).block_on(async {
        let mut set = JoinSet::new();
        test(&mut set).await;
    });
}

/// Joins every member: the values in completion order, and the errors.
async fn join_all<T: Send + 'static>(set: &mut JoinSet<T>) -> (Vec<T>, Vec<JoinError>) {
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    while let Some(res) = set.join_next().await {
        match res {
            Ok(v) => ok.push(v),
            Err(e) => errors.push(e),
        }
    }
    (ok, errors)
}

/// Spawns `n` members that wait forever, each holding a `DropCount` on `drops`.
fn spawn_pending_counted(set: &mut JoinSet<()>, drops: &Arc<AtomicUsize>, n: usize) {
    for _ in 0..n {
        let guard = DropCount(drops.clone());
        set.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
    }
}

#[test]
fn results_come_in_completion_order() {
    with_set("completion_order", async |set| {
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
    with_set("try_join_next", async |set: &mut JoinSet<u32>| {
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
    with_set("abort_all", async |set| {
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
        let (ok, errors) = join_all(set).await;
        assert_eq!(ok, [6]);
        assert_eq!(errors.len(), 3);
        assert!(errors.iter().all(JoinError::is_cancelled), "{errors:?}");
    });
}

#[test]
fn the_abort_handle_from_spawn_aborts_one_task() {
    with_set("abort_handle", async |set| {
        let doomed = set.spawn(std::future::pending::<u8>());
        set.spawn(async { 1u8 });
        let doomed_id = doomed.id();
        doomed.abort();
        let (ok, errors) = join_all(set).await;
        assert_eq!(ok, [1]);
        let errors: Vec<_> = errors.iter().map(|e| (e.is_cancelled(), e.id())).collect();
        assert_eq!(errors, [(true, doomed_id)]);
    });
}

#[test]
fn shutdown_waits_until_every_future_is_dropped() {
    let drops = Arc::new(AtomicUsize::new(0));
    with_set("shutdown", async |set| {
        spawn_pending_counted(set, &drops, 20);
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
        spawn_pending_counted(&mut set, &drops, 20);
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
    with_set("panic_member", async |set| {
        set.spawn(async { panic!("member failed") });
        for i in 0..4 {
            set.spawn(async move { i });
        }
        let (ok, errors) = join_all(set).await;
        assert_eq!(ok.len(), 4);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].is_panic());
        assert!(errors[0].to_string().contains("member failed"), "{}", errors[0]);
    });
}

#[test]
fn spawn_blocking_members_join_like_the_rest() {
    with_set("spawn_blocking", async |set| {
        for i in 0..8u64 {
            set.spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(2));
                i
            });
        }
        set.spawn(async { 100 });
        let (ok, errors) = join_all(set).await;
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(ok.iter().sum::<u64>(), 128);
    });
}

#[test]
fn members_show_in_dump_at_their_own_spawn_sites() {
    with_set("dump_sites", async |set| {
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
