//! tokio::sync::OnceCell and Barrier.

mod support;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::spawn;
use tokio::sync::{Barrier, OnceCell, SetError};

#[test]
fn get_or_init_runs_once() {
    let cell = OnceCell::new();
    assert!(!cell.initialized());
    let v = futures::executor::block_on(cell.get_or_init(|| async { 1 }));
    assert_eq!(*v, 1);
    let v = futures::executor::block_on(cell.get_or_init(|| async { 2 }));
    assert_eq!(*v, 1);
    assert_eq!(cell.get(), Some(&1));
    assert!(matches!(cell.set(3), Err(SetError::AlreadyInitializedError(3))));
}

#[test]
fn a_failed_or_cancelled_initializer_leaves_the_cell_for_the_next() {
    let cell = OnceCell::<u8>::new();
    let r: Result<&u8, &str> = futures::executor::block_on(cell.get_or_try_init(|| async { Err("no") }));
    assert_eq!(r, Err("no"));
    assert!(!cell.initialized());
    let mut slow = spawn(cell.get_or_init(std::future::pending));
    assert_pending!(slow.poll());
    assert!(cell.set(1).unwrap_err().is_initializing_err());
    let mut next = spawn(cell.get_or_init(|| async { 2 }));
    assert_pending!(next.poll(), "waits for the running initializer");
    drop(slow);
    assert!(next.is_woken());
    assert_eq!(*assert_ready!(next.poll()), 2);
}

#[test]
fn set_take_into_inner_and_statics() {
    static CELL: OnceCell<u32> = OnceCell::const_new();
    CELL.set(4).unwrap();
    assert_eq!(CELL.get(), Some(&4));
    let mut c = OnceCell::new_with(Some(1));
    assert_eq!(c.take(), Some(1));
    assert!(!c.initialized());
    c.set(2).unwrap();
    assert_eq!(c.into_inner(), Some(2));
}

#[test]
fn concurrent_get_or_init_runs_one_initializer_on_gosched() {
    let runs = support::run(async {
        let cell = Arc::new(OnceCell::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        for _ in 0..8 {
            let (cell, runs) = (cell.clone(), runs.clone());
            hs.push(gosched_executor::spawn(async move {
                *cell
                    .get_or_init(|| async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        gosched_executor::task::yield_now().await;
                        7
                    })
                    .await
            }));
        }
        for h in hs {
            assert_eq!(h.await.unwrap(), 7);
        }
        runs.load(Ordering::SeqCst)
    });
    assert_eq!(runs, 1);
}

#[test]
fn barrier_releases_all_and_elects_one_leader() {
    let b = Barrier::new(3);
    let mut x = spawn(b.wait());
    let mut y = spawn(b.wait());
    assert_pending!(x.poll());
    assert_pending!(y.poll());
    let z = futures::executor::block_on(b.wait());
    assert!(z.is_leader());
    assert!(x.is_woken() && y.is_woken());
    assert!(!assert_ready!(x.poll()).is_leader());
    assert!(!assert_ready!(y.poll()).is_leader());
}

#[test]
fn barrier_is_reusable_across_gosched_tasks() {
    let leaders = support::run(async {
        let b = Arc::new(Barrier::new(4));
        let leaders = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        for _ in 0..4 {
            let (b, leaders) = (b.clone(), leaders.clone());
            hs.push(gosched_executor::spawn(async move {
                for _ in 0..10 {
                    if b.wait().await.is_leader() {
                        leaders.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
        leaders.load(Ordering::SeqCst)
    });
    assert_eq!(leaders, 10);
}
