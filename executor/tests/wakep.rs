//! Go's `wakep` rule: no P stays idle while runnable work waits. Two tasks that compute and
//! yield, on an idle runtime of 2 Ps, must run at the same time: the second one, spawned by
//! the first during a poll once every other M parked, sits on the first's P, and only a wake
//! (on spawn or on yield, as Go's `newproc` and `Gosched` do) brings the idle P's M to steal
//! it. Without sysmon, whose stall check (a P's M that starts no poll for 100 µs) would
//! otherwise find a thief when a poll runs long on a loaded machine.

mod common;

use common::watchdog;
use gosched_executor::runtime::Builder;
use gosched_executor::task::yield_now;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Computes for about `d` of wall time (a busy loop, no syscalls).
fn compute(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// One of the two tasks: compute and yield until both were seen inside their compute at once,
/// or `deadline`.
async fn compute_and_yield(inside: Arc<AtomicUsize>, overlap: Arc<AtomicBool>, deadline: Instant) {
    while !overlap.load(Ordering::SeqCst) && Instant::now() < deadline {
        if inside.fetch_add(1, Ordering::SeqCst) == 1 {
            overlap.store(true, Ordering::SeqCst);
        }
        compute(Duration::from_micros(50));
        if inside.load(Ordering::SeqCst) == 2 {
            overlap.store(true, Ordering::SeqCst);
        }
        inside.fetch_sub(1, Ordering::SeqCst);
        yield_now().await;
    }
}

#[test]
fn two_tasks_that_compute_and_yield_run_in_parallel_on_two_ps() {
    let _w = watchdog(
        "two_tasks_that_compute_and_yield_run_in_parallel_on_two_ps",
        Duration::from_secs(30),
    );
    let rt = Builder::new().maxprocs(2).sysmon(false).build().unwrap();
    // The runtime is idle: both Ps idle, every M parked.
    std::thread::sleep(Duration::from_millis(50));
    let inside = Arc::new(AtomicUsize::new(0));
    let overlap = Arc::new(AtomicBool::new(false));
    // Generous: on a loaded machine the two Ms still share the cores often within this.
    let deadline = Instant::now() + Duration::from_secs(5);
    let (i2, o2) = (inside.clone(), overlap.clone());
    let first = rt.spawn(async move {
        // Long enough for the M woken with this one to find nothing and park.
        compute(Duration::from_millis(20));
        // Spawned during this task's poll: it lands on this M, whose P is the only busy one.
        let second = gosched_executor::spawn(compute_and_yield(i2.clone(), o2.clone(), deadline));
        compute_and_yield(i2, o2, deadline).await;
        second.await.unwrap();
    });
    rt.block_on(first).unwrap();
    assert!(
        overlap.load(Ordering::SeqCst),
        "the two tasks never ran at the same time: a P stayed idle while runnable work waited"
    );
}
