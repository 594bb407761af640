//! sysmon: a task that blocks its thread (in the kernel or on the CPU) does not stop the other
//! tasks of its P; budget preemption; block_in_place.

mod common;

use common::watchdog;
use gosched_executor::runtime::{Builder, Runtime};
use gosched_executor::time::{self, Duration, Instant};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn one_p() -> Runtime {
    Builder::new().maxprocs(1).build().unwrap()
}

/// Runs a ticker (`sleep(5 ms)` loop) next to `hog` on one P; returns how many ticks happened
/// while the hog ran.
fn ticks_during(rt: &Runtime, hog: impl std::future::Future<Output = ()> + Send + 'static) -> usize {
    let ticks = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (t2, s2) = (ticks.clone(), stop.clone());
    let ticker = rt.spawn(async move {
        while !s2.load(Ordering::Relaxed) {
            time::sleep(Duration::from_millis(5)).await;
            t2.fetch_add(1, Ordering::Relaxed);
        }
    });
    // Let the ticker start, then run the hog on the same (only) P.
    rt.block_on(time::sleep(Duration::from_millis(20)));
    let hog_started = Arc::new(AtomicUsize::new(usize::MAX));
    let (h2, t3) = (hog_started.clone(), ticks.clone());
    let hog = rt.spawn(async move {
        h2.store(t3.load(Ordering::Relaxed), Ordering::SeqCst);
        hog.await;
        t3.load(Ordering::Relaxed)
    });
    let at_end = rt.block_on(hog).unwrap();
    stop.store(true, Ordering::Relaxed);
    rt.block_on(ticker).unwrap();
    at_end - hog_started.load(Ordering::SeqCst)
}

#[test]
fn a_task_sleeping_in_its_poll_does_not_stop_a_ticker() {
    let _w = watchdog("blocked_poll", Duration::from_secs(30));
    let rt = one_p();
    let ticks = ticks_during(&rt, async {
        std::thread::sleep(Duration::from_millis(500));
    });
    assert!(
        ticks >= 10,
        "the ticker ticked {ticks} times during a 500 ms blocking poll"
    );
    assert!(rt.metrics().handoffs_total >= 1);
}

#[test]
fn a_task_spinning_in_its_poll_does_not_stop_a_ticker() {
    let _w = watchdog("busy_poll", Duration::from_secs(30));
    let rt = one_p();
    let ticks = ticks_during(&rt, async {
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(500) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
    });
    assert!(
        ticks >= 10,
        "the ticker ticked {ticks} times during a 500 ms busy poll"
    );
    assert!(rt.metrics().handoffs_total >= 1);
}

#[test]
fn block_in_place_does_not_stop_a_ticker() {
    let _w = watchdog("block_in_place", Duration::from_secs(30));
    let rt = one_p();
    let before = rt.metrics().handoffs_total;
    let ticks = ticks_during(&rt, async {
        gosched_executor::block_in_place(|| std::thread::sleep(Duration::from_millis(500)));
    });
    assert!(
        ticks >= 10,
        "the ticker ticked {ticks} times during block_in_place"
    );
    assert!(rt.metrics().handoffs_total > before);
}

#[test]
fn a_consume_budget_loop_does_not_starve_a_ticker() {
    let _w = watchdog("budget_loop", Duration::from_secs(30));
    let rt = one_p();
    let ticks = ticks_during(&rt, async {
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(300) {
            gosched_executor::task::consume_budget().await;
        }
    });
    assert!(
        ticks >= 5,
        "the ticker ticked {ticks} times next to a consume_budget loop"
    );
}

#[test]
fn a_sync_lock_held_across_a_poll_does_not_stall_the_p() {
    let _w = watchdog("sync_lock", Duration::from_secs(30));
    let rt = one_p();
    let lock = Arc::new(std::sync::Mutex::new(()));
    let guard = lock.lock().unwrap();
    let l2 = lock.clone();
    // The waiter blocks its thread in the kernel on the lock until the main thread lets go.
    let waiter = rt.spawn(async move {
        drop(l2.lock().unwrap());
    });
    std::thread::sleep(Duration::from_millis(50));
    // Meanwhile other tasks on the same P still run.
    let done = rt.block_on(async {
        let h = rt.spawn(async { 41 + 1 });
        time::timeout(Duration::from_secs(10), h).await
    });
    assert_eq!(done.unwrap().unwrap(), 42);
    drop(guard);
    rt.block_on(waiter).unwrap();
    assert!(rt.metrics().handoffs_total >= 1);
}

#[test]
fn dropping_a_runtime_does_not_wait_for_a_sleeping_blocking_closure() {
    let _w = watchdog("drop_blocking", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let s2 = started.clone();
    drop(rt.spawn_blocking(move || {
        s2.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(5));
    }));
    while !started.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let t = Instant::now();
    drop(rt);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "drop waited {:?}",
        t.elapsed()
    );
}

#[test]
fn sysmon_off_still_runs_tasks() {
    let _w = watchdog("sysmon_off", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).sysmon(false).build().unwrap();
    let v = rt.block_on(async {
        time::sleep(Duration::from_millis(2)).await;
        rt.spawn(async { 5 }).await.unwrap()
    });
    assert_eq!(v, 5);
    assert_eq!(rt.metrics().handoffs_total, 0);
}

/// With sysmon off, `block_on` waiting for I/O before any task exists is still woken: Ms
/// otherwise start with the first spawn and sysmon is not there to poll the network, so the
/// runtime starts one M at build that blocks in the poller.
#[test]
fn sysmon_off_block_on_is_woken_by_io_before_any_task_runs() {
    use gosched_executor::netpoll::{Direction, Interest, Registration};
    use std::io::{Read, Write};
    let _w = watchdog("sysmon_off_io", Duration::from_secs(30));
    for maxprocs in [1, 2] {
        let rt = Builder::new().maxprocs(maxprocs).sysmon(false).build().unwrap();
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            b.write_all(b"x").unwrap();
            b
        });
        let n = rt.block_on(async {
            let reg = Registration::new(&a, Interest::READABLE).unwrap();
            let mut buf = [0u8; 1];
            let n = std::future::poll_fn(|cx| reg.poll_io(cx, Direction::Read, || (&a).read(&mut buf)))
                .await
                .unwrap();
            reg.deregister(&a).unwrap();
            n
        });
        assert_eq!(n, 1);
        drop(writer.join().unwrap());
    }
}

/// A task queued behind a poll that computes (and never yields) is stolen by another M well
/// before the slice ends: sysmon sees the queue and an M that started no poll for 100 µs while
/// a P is idle, and wakes an M (the poll's own spawn woke nobody: it was to run next there).
#[test]
fn a_task_queued_behind_a_computing_poll_is_stolen_before_the_slice_ends() {
    let _w = watchdog("stall_wake", Duration::from_secs(60));
    let rt = Builder::new()
        .maxprocs(2)
        .preempt_slice(Duration::from_millis(400))
        .build()
        .unwrap();
    // The handle comes back in a tuple: a task whose output is a future reads as a mistake.
    let (queued,) = rt
        .block_on(rt.spawn(async {
            let spawned = std::time::Instant::now();
            let queued = gosched_executor::spawn(async move { spawned.elapsed() });
            while spawned.elapsed() < Duration::from_millis(600) {
                std::hint::spin_loop();
            }
            (queued,)
        }))
        .unwrap();
    let waited = rt.block_on(queued).unwrap();
    assert!(
        waited < Duration::from_millis(200),
        "the queued task started {waited:?} after its spawn, behind a 600 ms poll (slice 400 ms)"
    );
}
