//! sysmon's cadence: it sleeps while every P is idle (no wake-ups), and long while the Ms run
//! without getting stuck; it is woken as soon as a P starts running again, from whichever
//! thread starts it, so a thread that blocks right after an idle period is still found
//! quickly.
//!
//! sysmon's wake-ups are read from the kernel (`/proc/self/task/<tid>/status`, its voluntary
//! context switches: one per sleep). The tests of this file run one at a time (`serial()`),
//! so the sysmon thread that appears while a test builds its runtime is that runtime's.
#![cfg(target_os = "linux")]

mod common;

use common::{serial, watchdog};
use gosched_executor::netpoll::{Direction, Interest, Registration};
use gosched_executor::runtime::{Builder, Runtime};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

fn sysmon_tids() -> HashSet<u64> {
    let mut tids = HashSet::new();
    for entry in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim() == "gosched-sysmon" {
            if let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) {
                tids.insert(tid);
            }
        }
    }
    tids
}

/// Builds a runtime with `maxprocs` Ps and returns it with its sysmon thread's id.
fn runtime_and_sysmon(maxprocs: usize) -> (Runtime, u64) {
    let before = sysmon_tids();
    let rt = Builder::new().maxprocs(maxprocs).build().unwrap();
    // The thread names itself when it starts: look for a while.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let new: Vec<u64> = sysmon_tids().difference(&before).copied().collect();
        match new[..] {
            [tid] => return (rt, tid),
            [] if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
            _ => panic!("one new sysmon thread expected: {new:?}"),
        }
    }
}

/// How many times thread `tid` has gone to sleep (voluntary context switches).
fn sleeps(tid: u64) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("voluntary_ctxt_switches in /proc status")
}

#[test]
fn an_idle_runtime_does_not_wake_sysmon() {
    let _serial = serial();
    let _w = watchdog("idle_sysmon", Duration::from_secs(30));
    let (rt, sysmon) = runtime_and_sysmon(2);
    // Start the Ms (a spawned task), then let everything go idle: one M blocks in the poller,
    // no timer is armed.
    rt.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|i| gosched_executor::spawn(async move { i }))
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let before = sleeps(sysmon);
    std::thread::sleep(Duration::from_secs(1));
    let woke = sleeps(sysmon) - before;
    // Today: none. A sysmon that caps its idle sleep at 10 ms wakes ~100 times.
    assert!(woke <= 5, "sysmon woke {woke} times in 1 s of an idle runtime");
    drop(rt);
}

/// Two Ps kept busy by tasks that compute and yield (no thread blocks, no timer): sysmon has
/// nothing to do, and the running Ms watch each other (every 61st poll), so it sleeps long
/// instead of looking every millisecond.
#[test]
fn a_busy_runtime_without_stuck_polls_wakes_sysmon_rarely() {
    let _serial = serial();
    let _w = watchdog("busy_sysmon", Duration::from_secs(30));
    let (rt, sysmon) = runtime_and_sysmon(2);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            rt.spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let t = Instant::now();
                    while t.elapsed() < Duration::from_micros(20) {
                        std::hint::spin_loop();
                    }
                    gosched_executor::task::yield_now().await;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // A sysmon that looks every millisecond while a P runs wakes ~1,000 times in every
    // second. One that does not wakes ~100 times on a quiet machine, but more while other
    // processes take the cores (a descheduled M's poll looks long), so up to three windows
    // are measured and the quietest counts.
    let mut woke = Vec::new();
    for _ in 0..3 {
        let before = sleeps(sysmon);
        std::thread::sleep(Duration::from_secs(1));
        woke.push(sleeps(sysmon) - before);
        if woke.last().is_some_and(|&w| w < 500) {
            break;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        rt.block_on(t).unwrap();
    }
    assert!(
        woke.iter().any(|&w| w < 500),
        "sysmon woke {woke:?} times in each 1 s window of a busy runtime"
    );
}

/// No M has started (only `block_on` waits, for a socket): nobody blocks in the poller, so
/// sysmon polls the network for it, on its idle backoff (10 ms), not every millisecond.
#[test]
fn a_runtime_without_ms_wakes_sysmon_at_most_every_10_ms() {
    let _serial = serial();
    let _w = watchdog("no_m_sysmon", Duration::from_secs(30));
    let (rt, sysmon) = runtime_and_sysmon(2);
    let (a, mut b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            rt.block_on(async {
                let reg = Registration::new(&a, Interest::READABLE).unwrap();
                reg.readiness(Direction::Read).await.unwrap();
                reg.deregister(&a).unwrap();
            })
        });
        std::thread::sleep(Duration::from_millis(200));
        let before = sleeps(sysmon);
        std::thread::sleep(Duration::from_secs(1));
        let woke = sleeps(sysmon) - before;
        b.write_all(b"x").unwrap();
        waiter.join().unwrap();
        // A sleep cut to 1 ms while no P runs would wake it ~1,000 times.
        assert!(woke <= 250, "sysmon woke {woke} times in 1 s");
    });
}

/// Waits (at most `limit`) until sysmon has just gone back to sleep, so that a P started now
/// falls at the start of its sleep, the worst case for a sysmon that is not kicked. Returns
/// whether sysmon slept at all meanwhile (a sysmon in a deep sleep does not).
fn align_with_sysmon(tid: u64, limit: Duration) -> bool {
    let start = Instant::now();
    let n = sleeps(tid);
    while start.elapsed() < limit {
        if sleeps(tid) != n {
            return true;
        }
        std::thread::sleep(Duration::from_micros(50));
    }
    false
}

/// The runtime is idle (its only task waits for a socket); a byte arrives, the M blocked in
/// the poller takes the idle P and runs the task, which spawns a second task and then blocks
/// its thread for 200 ms. The second task must not wait for sysmon's idle sleep to end: the P
/// that started running must have woken sysmon, which hands the P on within ~1–3 ms.
#[test]
fn a_thread_blocking_right_after_an_idle_period_is_handed_off_quickly() {
    let _serial = serial();
    let _w = watchdog("kick_after_idle", Duration::from_secs(30));
    const ROUNDS: usize = 3;
    let (rt, sysmon) = runtime_and_sysmon(1);
    let (a, mut b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let task = rt.spawn(async move {
        let mut a = a;
        let reg = Registration::new(&a, Interest::READABLE).unwrap();
        let mut waits = Vec::new();
        for _ in 0..ROUNDS {
            // Ready for the next round (a byte fits the empty socket buffer).
            a.write_all(b"r").unwrap();
            loop {
                let ev = reg.readiness(Direction::Read).await.unwrap();
                match a.read(&mut [0u8; 16]) {
                    Ok(_) => break,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => reg.clear_readiness(ev),
                    Err(e) => panic!("read: {e}"),
                }
            }
            let blocked_at = Instant::now();
            let queued = gosched_executor::spawn(async move { blocked_at.elapsed() });
            std::thread::sleep(Duration::from_millis(200));
            waits.push(queued.await.unwrap());
        }
        reg.deregister(&a).unwrap();
        waits
    });
    let writer = std::thread::spawn(move || {
        for _ in 0..ROUNDS {
            b.read_exact(&mut [0u8]).unwrap();
            // Idle long enough for an old-style sysmon to back off to its longest sleep.
            std::thread::sleep(Duration::from_millis(150));
            align_with_sysmon(sysmon, Duration::from_millis(50));
            b.write_all(b"x").unwrap();
        }
        b
    });
    let waits = rt.block_on(task).unwrap();
    drop(writer.join().unwrap());
    let best = *waits.iter().min().unwrap();
    // Kicked: ~1–3 ms (sysmon's blocked-retake threshold is 1 ms). Not kicked: sysmon ends a
    // 10 ms sleep first, so never under 10 ms.
    assert!(
        best < Duration::from_millis(8),
        "the task queued behind a blocked thread waited {waits:?} (best of {ROUNDS})"
    );
    assert!(rt.metrics().handoffs_total >= ROUNDS as u64);
}
