//! Paused time (`time::pause`, `resume`, `advance`, `Builder::start_paused`): auto-advance,
//! deadline order, exact times, and what holds the clock back (the blocking pool,
//! `block_in_place`, `block_on`'s own poll). Each test runs on 1 and 2 Ps.

mod common;

use common::{paused, watchdog};
use gosched_executor::runtime::Builder;
use gosched_executor::time::{self, Duration, Instant};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[test]
fn an_hour_of_sleep_returns_at_once_in_real_time() {
    let _w = watchdog("an_hour_of_sleep", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        let real = std::time::Instant::now();
        rt.block_on(async {
            let start = Instant::now();
            time::sleep(Duration::from_secs(3600)).await;
            assert_eq!(start.elapsed(), Duration::from_secs(3600));
            // From a task too.
            let h = gosched_executor::spawn(async {
                let start = Instant::now();
                time::sleep(Duration::from_secs(3600)).await;
                start.elapsed()
            });
            assert_eq!(h.await.unwrap(), Duration::from_secs(3600));
        });
        let took = real.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "maxprocs {maxprocs}: two paused hours took {took:?}"
        );
    }
}

#[test]
fn timers_fire_in_deadline_order_each_at_its_exact_deadline() {
    let _w = watchdog("deadline_order", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        let fired = Arc::new(Mutex::new(Vec::new()));
        rt.block_on(async {
            let start = Instant::now();
            let handles: Vec<_> = (0..40u64)
                .map(|i| {
                    // Distinct deadlines in a scrambled order.
                    let ms = (i * 7919) % 40 * 25 + 10;
                    let fired = fired.clone();
                    gosched_executor::spawn(async move {
                        time::sleep(Duration::from_millis(ms)).await;
                        fired.lock().unwrap().push((ms, start.elapsed()));
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
        let fired = fired.lock().unwrap();
        let order: Vec<u64> = fired.iter().map(|(ms, _)| *ms).collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(order, sorted, "maxprocs {maxprocs}: not in deadline order");
        for (ms, seen) in fired.iter() {
            assert_eq!(
                *seen,
                Duration::from_millis(*ms),
                "maxprocs {maxprocs}: woke at the wrong time"
            );
        }
    }
}

/// Many tasks chaining sleeps on 2 Ps: every wake must see the clock exactly at its deadline,
/// so the clock never jumped while a task woken by an earlier timer was still unpolled.
#[test]
fn the_clock_never_passes_a_woken_task_that_has_not_run() {
    let _w = watchdog("never_passes_woken", Duration::from_secs(120));
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        rt.block_on(async {
            let handles: Vec<_> = (0..32u64)
                .map(|i| {
                    gosched_executor::spawn(async move {
                        let mut x = i * 2654435761 + 1;
                        for _ in 0..50 {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            let d = Duration::from_micros(x % 5000 + 1);
                            let deadline = Instant::now() + d;
                            time::sleep(d).await;
                            let now = Instant::now();
                            assert_eq!(now, deadline, "woke {:?} late", now - deadline);
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
    }
}

#[test]
fn advance_fires_exactly_the_timers_due_by_then() {
    let _w = watchdog("advance_exact", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        rt.block_on(async {
            let start = Instant::now();
            let fired = Arc::new(Mutex::new(Vec::new()));
            for secs in [5u64, 1, 4, 2, 3] {
                let fired = fired.clone();
                gosched_executor::spawn(async move {
                    time::sleep(Duration::from_secs(secs)).await;
                    fired.lock().unwrap().push((secs, start.elapsed()));
                });
            }
            time::advance(Duration::from_millis(2500)).await;
            assert_eq!(start.elapsed(), Duration::from_millis(2500));
            let got = fired.lock().unwrap().clone();
            assert_eq!(
                got,
                [(1, Duration::from_secs(1)), (2, Duration::from_secs(2))],
                "maxprocs {maxprocs}"
            );
            // A deadline exactly at the new time fires, and its task has run on return.
            time::advance(Duration::from_millis(500)).await;
            assert_eq!(fired.lock().unwrap().len(), 3, "maxprocs {maxprocs}");
            time::advance(Duration::ZERO).await;
            assert_eq!(start.elapsed(), Duration::from_secs(3));
            assert_eq!(fired.lock().unwrap().len(), 3, "maxprocs {maxprocs}");
            time::advance(Duration::from_secs(10)).await;
            let secs: Vec<u64> = fired.lock().unwrap().iter().map(|f| f.0).collect();
            assert_eq!(secs, [1, 2, 3, 4, 5], "maxprocs {maxprocs}");
            assert_eq!(start.elapsed(), Duration::from_secs(13));
        });
    }
}

#[test]
fn interval_ticks_at_exact_multiples_of_the_period() {
    let _w = watchdog("interval_exact", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        rt.block_on(async {
            let period = Duration::from_millis(7);
            let mut ticker = time::interval(period);
            let first = ticker.tick().await;
            for k in 1..=100u32 {
                let tick = ticker.tick().await;
                assert_eq!(tick - first, period * k, "maxprocs {maxprocs}");
                assert_eq!(Instant::now(), tick, "maxprocs {maxprocs}: ticked late");
            }
        });
    }
}

#[test]
fn a_blocking_pool_job_holds_auto_advance_back() {
    let _w = watchdog("blocking_holds", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        rt.block_on(async {
            let done = Arc::new(AtomicBool::new(false));
            let d = done.clone();
            let job = gosched_executor::spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(200));
                d.store(true, Ordering::SeqCst);
            });
            let start = Instant::now();
            // Nothing else runs, but the job might wake something: the clock must wait for it.
            time::sleep(Duration::from_secs(3600)).await;
            assert!(
                done.load(Ordering::SeqCst),
                "maxprocs {maxprocs}: the clock jumped while a blocking job ran"
            );
            assert_eq!(start.elapsed(), Duration::from_secs(3600));
            job.await.unwrap();
        });
    }
}

#[test]
fn a_detached_blocking_job_that_nobody_awaits_still_lets_the_clock_go_when_it_ends() {
    let _w = watchdog("detached_blocking", Duration::from_secs(60));
    let rt = paused(2);
    rt.block_on(async {
        drop(gosched_executor::spawn_blocking(|| {
            std::thread::sleep(Duration::from_millis(50))
        }));
        let start = Instant::now();
        time::sleep(Duration::from_secs(60)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(60));
    });
}

#[test]
fn block_in_place_holds_auto_advance_back() {
    let _w = watchdog("block_in_place_holds", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        rt.block_on(async {
            let done = Arc::new(AtomicBool::new(false));
            let d = done.clone();
            let sleeper = gosched_executor::spawn(async move {
                time::sleep(Duration::from_secs(60)).await;
                d.load(Ordering::SeqCst)
            });
            let d = done.clone();
            let blocker = gosched_executor::spawn(async move {
                gosched_executor::block_in_place(|| std::thread::sleep(Duration::from_millis(200)));
                d.store(true, Ordering::SeqCst);
            });
            blocker.await.unwrap();
            assert!(
                sleeper.await.unwrap(),
                "maxprocs {maxprocs}: the clock jumped during block_in_place"
            );
        });
    }
}

#[test]
fn block_on_polling_its_future_holds_auto_advance_back() {
    let _w = watchdog("block_on_holds", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        rt.block_on(async {
            let start = Instant::now();
            let fired = Arc::new(AtomicBool::new(false));
            let f = fired.clone();
            let h = gosched_executor::spawn(async move {
                time::sleep(Duration::from_secs(1)).await;
                f.store(true, Ordering::SeqCst);
            });
            // Let the task arm its timer, then compute (in real time) inside this poll: the
            // runtime is otherwise idle, but block_on's future is running.
            while gosched_executor::runtime::Handle::current().metrics().polls_total == 0 {
                gosched_executor::task::yield_now().await;
            }
            std::thread::sleep(Duration::from_millis(100));
            assert!(!fired.load(Ordering::SeqCst), "maxprocs {maxprocs}");
            assert_eq!(start.elapsed(), Duration::ZERO);
            h.await.unwrap();
            assert_eq!(start.elapsed(), Duration::from_secs(1));
        });
    }
}

#[test]
fn timeout_around_a_never_ready_future_elapses_at_once() {
    let _w = watchdog("timeout_elapses", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        let real = std::time::Instant::now();
        rt.block_on(async {
            let start = Instant::now();
            let r = time::timeout(Duration::from_secs(30), std::future::pending::<()>()).await;
            assert_eq!(r, Err(time::Elapsed));
            assert_eq!(start.elapsed(), Duration::from_secs(30));
            let r = gosched_executor::spawn(time::timeout(
                Duration::from_secs(86_400),
                std::future::pending::<()>(),
            ))
            .await
            .unwrap();
            assert!(r.is_err());
        });
        assert!(real.elapsed() < Duration::from_secs(30), "maxprocs {maxprocs}");
    }
}

#[test]
fn pause_and_resume_on_a_running_clock() {
    let _w = watchdog("pause_resume", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        let t0 = Instant::now();
        time::pause();
        let t1 = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(Instant::now(), t1, "a paused clock stands still");
        time::sleep(Duration::from_secs(100)).await;
        assert_eq!(t1.elapsed(), Duration::from_secs(100));
        time::resume();
        let t2 = Instant::now();
        assert!(t2 >= t1 + Duration::from_secs(100), "resumes where it stood");
        time::sleep(Duration::from_millis(5)).await;
        assert!(t2.elapsed() >= Duration::from_millis(5));
        assert!(t0.elapsed() >= Duration::from_secs(100));
        // Pause again: works any number of times.
        time::pause();
        time::advance(Duration::from_secs(1)).await;
        time::resume();
    });
}

#[test]
fn std_instants_still_convert_in() {
    let _w = watchdog("std_instants", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    rt.block_on(async {
        let std_deadline = std::time::Instant::now() + Duration::from_millis(2);
        let mut s = time::sleep_until(std_deadline);
        assert_eq!(s.deadline(), Instant::from(std_deadline));
        assert_eq!(s.deadline().into_std(), std_deadline);
        s.reset(std::time::Instant::now() + Duration::from_millis(1));
        s.await;
        let r = time::timeout_at(std::time::Instant::now(), std::future::pending::<()>()).await;
        assert!(r.is_err());
    });
}

#[test]
fn outside_paused_time_instant_now_is_std_clock() {
    let a = std::time::Instant::now();
    let b = Instant::now().into_std();
    let c = std::time::Instant::now();
    assert!(a <= b && b <= c);
}

#[test]
#[should_panic(expected = "gosched::time::pause: the clock is already paused")]
fn pausing_twice_panics_with_a_clear_message() {
    let rt = paused(1);
    rt.block_on(async { time::pause() });
}

#[test]
#[should_panic(expected = "gosched::time::resume: the clock is not paused")]
fn resuming_a_running_clock_panics_with_a_clear_message() {
    let rt = Builder::new().maxprocs(1).build().unwrap();
    rt.block_on(async { time::resume() });
}

#[test]
#[should_panic(expected = "gosched::time::advance: the clock is not paused")]
fn advancing_a_running_clock_panics_with_a_clear_message() {
    let rt = Builder::new().maxprocs(1).build().unwrap();
    rt.block_on(time::advance(Duration::from_secs(1)));
}

#[test]
#[should_panic(expected = "gosched::time::pause called outside a gosched runtime")]
fn pause_outside_a_runtime_panics_naming_the_fix() {
    time::pause();
}

/// A clone of `block_on`'s waker woken after `block_on` returned must not leave the clock
/// held forever: the next `block_on` on the same paused runtime still auto-advances.
#[test]
fn a_late_wake_of_a_finished_block_on_does_not_stop_auto_advance() {
    let _w = watchdog("late_block_on_wake", Duration::from_secs(60));
    let rt = paused(2);
    let kept = rt.block_on(std::future::poll_fn(|cx| {
        std::task::Poll::Ready(cx.waker().clone())
    }));
    kept.wake_by_ref();
    kept.wake();
    let real = std::time::Instant::now();
    rt.block_on(async {
        let start = Instant::now();
        time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
    });
    assert!(real.elapsed() < Duration::from_secs(30));
}

#[test]
fn advance_by_an_enormous_duration_ends() {
    let _w = watchdog("advance_enormous", Duration::from_secs(60));
    let rt = paused(1);
    rt.block_on(async {
        let start = Instant::now();
        let far = gosched_executor::spawn(time::sleep(Duration::from_secs(86_400 * 365 * 100)));
        time::advance(Duration::MAX).await;
        assert!(start.elapsed() > Duration::from_secs(86_400 * 365 * 200));
        far.await.unwrap();
    });
}

/// CPU time this process has used so far.
fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out pointer; CLOCK_PROCESS_CPUTIME_ID exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[test]
fn a_timer_past_what_a_paused_clock_can_show_never_fires_and_does_not_spin() {
    let _w = watchdog("timer_past_max", Duration::from_secs(60));
    let rt = paused(1);
    let (h,) = rt.block_on(async {
        let never = Instant::now() + Duration::from_secs(86_400 * 365 * 400);
        let h = gosched_executor::spawn(time::sleep_until(never));
        time::advance(Duration::from_secs(86_400 * 365 * 100)).await;
        assert!(!h.is_finished(), "a 400-year timer fired after 100 years");
        (h,)
    });
    // Idle, paused, with only that timer left: the runtime waits instead of jumping at it
    // again and again (which used ~200 ms of CPU in these 300 ms; waiting uses well under 10).
    let cpu = process_cpu_time();
    std::thread::sleep(Duration::from_millis(300));
    let used = process_cpu_time() - cpu;
    assert!(
        used < Duration::from_millis(60),
        "the idle paused runtime used {used:?} of CPU in 300 ms"
    );
    h.abort();
}

/// A timeout whose future finished first leaves a cancelled timer behind: the paused clock
/// must not jump to its deadline while the runtime waits for something else (here a wake from
/// a plain thread, in real time).
#[test]
fn the_clock_does_not_jump_to_a_cancelled_timers_deadline() {
    let _w = watchdog("cancelled_deadline", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let rt = paused(maxprocs);
        rt.block_on(async {
            let start = Instant::now();
            let r = time::timeout(Duration::from_secs(3600), gosched_executor::task::yield_now()).await;
            assert!(r.is_ok());
            let (tx, rx) = futures::channel::oneshot::channel();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                let _ = tx.send(());
            });
            rx.await.unwrap();
            assert_eq!(start.elapsed(), Duration::ZERO, "maxprocs {maxprocs}");
        });
    }
}

/// Pausing while the poller M blocks until a far real deadline: the clock still jumps (the
/// last let-go breaks the poll), and the earlier timer fires first.
#[test]
fn pause_after_the_poller_blocked_on_a_real_deadline_still_auto_advances() {
    let _w = watchdog("pause_after_block", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let rt = Builder::new().maxprocs(maxprocs).build().unwrap();
        let real = std::time::Instant::now();
        rt.block_on(async {
            let start = Instant::now();
            let hour = gosched_executor::spawn(async move {
                time::sleep(Duration::from_secs(3600)).await;
                start.elapsed()
            });
            // Let every M go idle, one of them in the poller until that hour is up.
            std::thread::sleep(Duration::from_millis(50));
            time::sleep(Duration::from_millis(1)).await;
            time::pause();
            time::sleep(Duration::from_secs(7200)).await;
            let h = hour.await.unwrap();
            assert!(
                h >= Duration::from_secs(3600) && h < Duration::from_secs(3601),
                "{h:?}"
            );
            assert!(start.elapsed() >= Duration::from_secs(7200));
        });
        assert!(real.elapsed() < Duration::from_secs(30), "maxprocs {maxprocs}");
    }
}
