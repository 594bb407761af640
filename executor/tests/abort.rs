//! `abort`: the future is dropped at its next yield point, and the handle then reports
//! cancellation.

mod common;

use common::watchdog;
use gosched_executor::runtime::Builder;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Sets a flag when dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn abort_drops_an_idle_future() {
    let _w = watchdog("abort_idle", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let h = rt.spawn(async move {
        let _flag = flag;
        std::future::pending::<()>().await;
    });
    // Let it park.
    std::thread::sleep(Duration::from_millis(20));
    assert!(!dropped.load(Ordering::SeqCst));
    assert!(!h.is_finished());
    h.abort();
    let err = rt.block_on(h).unwrap_err();
    assert!(err.is_cancelled() && !err.is_panic(), "{err:?}");
    assert!(
        dropped.load(Ordering::SeqCst),
        "abort must drop the future before the handle resolves"
    );
    assert_eq!(rt.metrics().live_tasks, 0);
}

#[test]
fn abort_while_running_takes_effect_at_the_next_yield() {
    let _w = watchdog("abort_running", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let polls = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicBool::new(false));
    let (p, s) = (polls.clone(), started.clone());
    let h = rt.spawn(async move {
        loop {
            s.store(true, Ordering::SeqCst);
            p.fetch_add(1, Ordering::SeqCst);
            gosched_executor::task::yield_now().await;
        }
    });
    while !started.load(Ordering::SeqCst) {
        std::thread::yield_now();
    }
    let abort = h.abort_handle();
    abort.abort();
    let err = rt.block_on(h).unwrap_err();
    assert!(err.is_cancelled());
    assert!(abort.is_finished());
    let after = polls.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        polls.load(Ordering::SeqCst),
        after,
        "no poll after the abort completed"
    );
}

#[test]
fn abort_after_completion_keeps_the_output() {
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let h = rt.spawn(async { 5 });
    while !h.is_finished() {
        std::thread::yield_now();
    }
    h.abort();
    assert_eq!(rt.block_on(h).unwrap(), 5);
}

#[test]
fn dropping_the_join_handle_detaches() {
    let _w = watchdog("detach", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    drop(rt.spawn(async move {
        gosched_executor::task::yield_now().await;
        d.store(true, Ordering::SeqCst);
    }));
    while !done.load(Ordering::SeqCst) {
        std::thread::yield_now();
    }
}
