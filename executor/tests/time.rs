//! Timers: never early, timeout, interval, cancellation, budget, outside-runtime panics.

mod common;

use common::{panic_message, watchdog};
use gosched_executor::runtime::{Builder, Runtime};
use gosched_executor::time::{self, Duration, Elapsed, Instant};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn rt(maxprocs: usize) -> Runtime {
    Builder::new().maxprocs(maxprocs).build().unwrap()
}

#[test]
fn sleep_is_never_early_from_tasks_and_block_on() {
    let _w = watchdog("sleep_is_never_early", Duration::from_secs(30));
    let rt = rt(2);
    let handles: Vec<_> = (0..200u64)
        .map(|i| {
            rt.spawn(async move {
                let d = Duration::from_micros(100 + (i * 37) % 3000);
                let start = Instant::now();
                time::sleep(d).await;
                start.elapsed() >= d
            })
        })
        .collect();
    rt.block_on(async {
        let start = Instant::now();
        time::sleep(Duration::from_millis(3)).await;
        assert!(start.elapsed() >= Duration::from_millis(3));
        for h in handles {
            assert!(h.await.unwrap(), "a sleep returned before its deadline");
        }
    });
}

#[test]
fn sleep_until_past_deadline_is_ready_and_deadline_is_reported() {
    let rt = rt(1);
    rt.block_on(async {
        let past = Instant::now() - Duration::from_millis(5);
        time::sleep_until(past).await;
        let d = Instant::now() + Duration::from_secs(3);
        let s = time::sleep_until(d);
        assert_eq!(s.deadline(), d);
        time::sleep(Duration::ZERO).await;
    });
}

#[test]
fn reset_moves_the_deadline_earlier() {
    let _w = watchdog("reset", Duration::from_secs(20));
    let rt = rt(2);
    rt.block_on(rt.spawn(async {
        let mut s = time::sleep(Duration::from_secs(3600));
        // Arm it on the long deadline, then pull it in.
        assert!(time::timeout(Duration::from_millis(1), &mut s).await.is_err());
        let start = Instant::now();
        s.reset(Instant::now() + Duration::from_millis(5));
        s.await;
        assert!(start.elapsed() < Duration::from_secs(10));
    }))
    .unwrap();
}

#[test]
fn timeout_passes_the_value_or_elapses() {
    let _w = watchdog("timeout", Duration::from_secs(20));
    let rt = rt(2);
    rt.block_on(async {
        assert_eq!(time::timeout(Duration::from_secs(1), async { 7 }).await, Ok(7));
        let start = Instant::now();
        let r = time::timeout(Duration::from_millis(20), std::future::pending::<()>()).await;
        assert_eq!(r, Err(Elapsed));
        assert!(start.elapsed() >= Duration::from_millis(20));
        let e: std::io::Error = Elapsed.into();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(Elapsed.to_string(), "deadline has elapsed");
    });
}

#[test]
fn interval_first_tick_is_immediate_and_skips_missed_ticks() {
    let _w = watchdog("interval", Duration::from_secs(20));
    let rt = rt(2);
    rt.block_on(rt.spawn(async {
        let period = Duration::from_millis(10);
        let mut iv = time::interval(period);
        let t0 = iv.tick().await;
        assert!(t0.elapsed() < Duration::from_secs(5));
        let t1 = iv.tick().await;
        assert_eq!(t1 - t0, period);
        assert!(Instant::now() >= t1);
        // Miss several ticks: the next one is a multiple of the period after now, not a burst.
        std::thread::sleep(Duration::from_millis(35));
        let t2 = iv.tick().await;
        let t3 = iv.tick().await;
        assert_eq!((t2 - t0).as_nanos() % period.as_nanos(), 0);
        assert_eq!((t3 - t0).as_nanos() % period.as_nanos(), 0);
        assert!(t3 - t2 >= period);
        assert!(
            t3 - t0 >= Duration::from_millis(40),
            "missed ticks came as a burst"
        );
    }))
    .unwrap();
}

#[test]
#[should_panic(expected = "period must be longer than zero")]
fn interval_zero_panics() {
    let _ = time::interval(Duration::ZERO);
}

#[test]
fn polling_a_sleep_outside_a_runtime_panics_naming_the_fix() {
    let s = time::sleep(Duration::from_millis(1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(s);
    }));
    let msg = panic_message(&*r.unwrap_err());
    assert!(msg.contains("outside a gosched runtime"), "{msg}");
    assert!(msg.contains("Runtime::block_on"), "{msg}");
}

#[test]
fn many_dropped_timeouts_do_not_fire_or_leak() {
    let _w = watchdog("dropped_timeouts", Duration::from_secs(30));
    let rt = rt(2);
    let fired = Arc::new(AtomicUsize::new(0));
    let f2 = fired.clone();
    rt.block_on(rt.spawn(async move {
        for _ in 0..100_000 {
            // Armed (the inner future is pending once), then dropped.
            let mut t = time::timeout(Duration::from_secs(600), std::future::pending::<()>());
            assert!(futures::poll!(&mut t).is_pending());
            drop(t);
        }
        f2.fetch_add(1, Ordering::Relaxed);
    }))
    .unwrap();
    assert_eq!(fired.load(Ordering::Relaxed), 1);
}

#[test]
fn dropped_sleep_is_cancelled() {
    let _w = watchdog("dropped_sleep", Duration::from_secs(20));
    let rt = rt(2);
    rt.block_on(rt.spawn(async {
        let mut s = time::sleep(Duration::from_millis(5));
        assert!(futures::poll!(&mut s).is_pending());
        drop(s);
        time::sleep(Duration::from_millis(20)).await;
    }))
    .unwrap();
    assert_eq!(rt.metrics().live_tasks, 0);
}

#[test]
fn a_ticker_keeps_ticking_across_processors() {
    let _w = watchdog("ticker", Duration::from_secs(30));
    let rt = rt(2);
    let ticks = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let ticks = ticks.clone();
            rt.spawn(async move {
                for _ in 0..20 {
                    time::sleep(Duration::from_millis(1)).await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    rt.block_on(async {
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(ticks.load(Ordering::Relaxed), 1000);
}

#[test]
fn sleep_spends_budget() {
    let _w = watchdog("sleep_budget", Duration::from_secs(20));
    let rt = rt(1);
    // A loop over always-ready sleeps still yields (budget): the other task gets to run.
    let other = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (o2, s2) = (other.clone(), stop.clone());
    let counter = rt.spawn(async move {
        while !s2.load(Ordering::Relaxed) {
            o2.fetch_add(1, Ordering::Relaxed);
            gosched_executor::task::yield_now().await;
        }
    });
    let seen = rt
        .block_on(rt.spawn(async move {
            let start = other.load(Ordering::Relaxed);
            for _ in 0..5_000 {
                time::sleep(Duration::ZERO).await;
            }
            let seen = other.load(Ordering::Relaxed) - start;
            stop.store(true, Ordering::Relaxed);
            seen
        }))
        .unwrap();
    rt.block_on(counter).unwrap();
    assert!(seen > 0, "the sleeping loop never let the other task run");
}
