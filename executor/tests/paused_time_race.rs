//! Paused time against wakes from outside the runtime: the auto-advance checker looks at the
//! runtime, polls the network, and jumps the clock only if no hold was taken since it looked
//! (`Clock::advance_if_quiet`). Its own test binary: it keeps both cores busy for a few
//! seconds, which would skew the CPU-time assertion of `paused_time.rs` running beside it.

mod common;

use common::{paused, watchdog};
use gosched_executor::time::{self, Duration, Instant};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A pinned task that computes between short sleeps while another task sleeps for an hour:
/// the clock must stand still while the pinned thread computes, and must not jump to the hour
/// past the pinned task's next short timer. The auto-advance checker used to decide to jump
/// from a look at the runtime, poll the network, and then jump without looking again, so a
/// thread that became busy (or armed a timer) in between saw the clock move under it.
#[test]
fn a_pinned_task_computing_between_short_sleeps_holds_the_clock() {
    let _w = watchdog("pinned_computing_holds", Duration::from_secs(120));
    for maxprocs in [1, 2] {
        for round in 0..10 {
            let rt = paused(maxprocs);
            rt.block_on(async move {
                let start = Instant::now();
                let hour = gosched_executor::spawn(async move {
                    time::sleep(Duration::from_secs(3600)).await;
                    start.elapsed()
                });
                let pinned = gosched_executor::task::spawn_pinned(move || async move {
                    for i in 0..50u32 {
                        let before = Instant::now();
                        time::sleep(Duration::from_millis(1)).await;
                        let t0 = Instant::now();
                        assert_eq!(
                            t0 - before,
                            Duration::from_millis(1),
                            "maxprocs {maxprocs} round {round} step {i}: the clock jumped past \
                             the pinned task's timer"
                        );
                        // Compute in real time; the clock must not move under this thread.
                        let spin = std::time::Instant::now();
                        while spin.elapsed() < std::time::Duration::from_micros(200) {
                            std::hint::spin_loop();
                        }
                        assert_eq!(
                            Instant::now(),
                            t0,
                            "maxprocs {maxprocs} round {round} step {i}: the clock jumped while \
                             the pinned task computed"
                        );
                    }
                });
                pinned.await.unwrap();
                assert_eq!(hour.await.unwrap(), Duration::from_secs(3600));
            });
        }
    }
}

/// A pinned task woken again and again from a plain thread (a wake that is no runtime
/// thread's, so it can come while the checker is between its look at the runtime and the
/// jump) computes after each wake while another task ticks every millisecond of paused time:
/// the clock must never move while the pinned thread computes. Busy threads make the checker
/// lose its core in that window now and then, as on a loaded CI machine.
#[test]
fn a_pinned_task_woken_from_outside_never_sees_the_clock_jump_while_it_computes() {
    let _w = watchdog("pinned_woken_from_outside", Duration::from_secs(120));
    let stop_hogs = Arc::new(AtomicBool::new(false));
    let hogs: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop_hogs.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        rt.block_on(async move {
            let ticker = gosched_executor::spawn(async {
                loop {
                    time::sleep(Duration::from_millis(1)).await;
                }
            });
            let (tx, mut rx) = futures::channel::mpsc::unbounded::<u32>();
            let pinned = gosched_executor::task::spawn_pinned(move || async move {
                use futures::StreamExt;
                let mut jumps = 0u32;
                while rx.next().await.is_some() {
                    let t0 = Instant::now();
                    let spin = std::time::Instant::now();
                    while spin.elapsed() < std::time::Duration::from_micros(100) {
                        std::hint::spin_loop();
                    }
                    if Instant::now() != t0 {
                        jumps += 1;
                    }
                }
                jumps
            });
            let sender = std::thread::spawn(move || {
                for i in 0..3000u32 {
                    let spin = std::time::Instant::now();
                    while spin.elapsed() < std::time::Duration::from_micros(150) {
                        std::hint::spin_loop();
                    }
                    if tx.unbounded_send(i).is_err() {
                        break;
                    }
                }
            });
            let jumps = pinned.await.unwrap();
            sender.join().unwrap();
            ticker.abort();
            assert_eq!(
                jumps, 0,
                "maxprocs {maxprocs}: the clock jumped {jumps} times while the pinned task computed"
            );
        });
    }
    stop_hogs.store(true, Ordering::Relaxed);
    hogs.into_iter().for_each(|h| h.join().unwrap());
}
