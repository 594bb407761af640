//! Worker threads are given back: after a burst of polls that block their threads (so their
//! Ps are handed to other Ms and Ms pile up), the surplus Ms exit once parked for the
//! keep-alive, and `Metrics::threads` (and the process) shows it.

mod common;

use common::{thread_count, watchdog};
use gosched_executor::block_in_place;
use gosched_executor::runtime::Builder;
use std::time::{Duration, Instant};

const MAXPROCS: usize = 2;
/// `maxprocs`, the poller's M and sysmon.
const SETTLED: usize = MAXPROCS + 2;

#[test]
fn surplus_ms_exit_after_the_keep_alive() {
    let _w = watchdog("surplus_ms_exit_after_the_keep_alive", Duration::from_secs(60));
    let base = thread_count();
    let rt = Builder::new()
        .maxprocs(MAXPROCS)
        .worker_keep_alive(Duration::from_millis(100))
        .build()
        .unwrap();
    // 30 tasks that each block their thread 20 ms: half hand their P off themselves
    // (`block_in_place`), half leave it to sysmon's retake; either way another M runs the rest.
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            rt.spawn(async move {
                let block = || std::thread::sleep(Duration::from_millis(20));
                if i % 2 == 0 {
                    block_in_place(block);
                } else {
                    block();
                }
            })
        })
        .collect();
    let mut peak = 0;
    for t in tasks {
        peak = peak.max(rt.metrics().threads);
        rt.block_on(t).unwrap();
    }
    eprintln!("threads at the peak: {peak}");
    assert!(
        peak > SETTLED,
        "the burst started no extra M (peak {peak}): nothing to test"
    );
    // Generous: the keep-alive is 100 ms; a loaded machine may be slow to run the exits.
    let deadline = Instant::now() + Duration::from_secs(20);
    while rt.metrics().threads > SETTLED {
        assert!(
            Instant::now() < deadline,
            "threads stay at {} after the burst (keep-alive 100 ms)",
            rt.metrics().threads
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The process agrees (blocking-pool threads: none were used); give the exits a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    while thread_count() > base + SETTLED {
        assert!(
            Instant::now() < deadline,
            "the process has {} threads, {} before the runtime",
            thread_count(),
            base
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The runtime still works, with threads started again as needed.
    let again: Vec<_> = (0..4)
        .map(|_| rt.spawn(async { block_in_place(|| std::thread::sleep(Duration::from_millis(5))) }))
        .collect();
    for t in again {
        rt.block_on(t).unwrap();
    }
}

#[test]
fn worker_keep_alive_is_checked_and_may_be_huge() {
    let _w = watchdog(
        "worker_keep_alive_is_checked_and_may_be_huge",
        Duration::from_secs(30),
    );
    let err = Builder::new()
        .worker_keep_alive(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("worker_keep_alive"), "{err}");
    // Longer than an `Instant` can reach: Ms park without a timeout.
    let rt = Builder::new()
        .maxprocs(1)
        .worker_keep_alive(Duration::MAX)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| rt.spawn(async { block_in_place(|| std::thread::sleep(Duration::from_millis(2))) }))
        .collect();
    for t in tasks {
        rt.block_on(t).unwrap();
    }
    std::thread::sleep(Duration::from_millis(20));
    drop(rt);
}
