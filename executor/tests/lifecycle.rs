//! A runtime's whole life: dropping it releases everything it held (file descriptors, the
//! `Shared` state, the tasks parked on timers and sockets), and a `Handle` kept past the drop
//! fails clearly instead of hanging.
//!
//! These tests count the process's file descriptors and live runtimes, so they run one at a
//! time (`serial()`).

mod common;

use common::{LIMIT, fd_count, holds_within, panic_message, serial, wait_until, watchdog};
use gosched_executor::netpoll::{Direction, Interest, Registration};
use gosched_executor::runtime::{Builder, Handle, Runtime, live_runtimes};
use gosched_executor::time::{sleep, timeout};
use std::io::Read;
use std::time::Duration;

/// One runtime that leaves behind what used to leak it: a task asleep for an hour, a
/// `timeout` that finished long before its deadline (its cancelled timer is still in the
/// heap), a task parked reading a loopback socket that never sends, and a `block_on` that
/// slept.
fn build_and_drop_one(maxprocs: usize) {
    let rt = Builder::new().maxprocs(maxprocs).build().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || listener.accept().unwrap().0);
    rt.block_on(async {
        gosched_executor::spawn(sleep(Duration::from_secs(3600)));
        let done = timeout(Duration::from_secs(3600), async { 7 }).await;
        assert_eq!(done, Ok(7));
        // A timeout whose inner future waited (so its timer was registered), then finished.
        let waited = timeout(Duration::from_secs(3600), sleep(Duration::from_millis(1))).await;
        assert!(waited.is_ok());
        gosched_executor::spawn(async move {
            let std = std::net::TcpStream::connect(addr).unwrap();
            std.set_nonblocking(true).unwrap();
            let sock = mio::net::TcpStream::from_std(std);
            let reg = Registration::new(&sock, Interest::READABLE).unwrap();
            let mut buf = [0u8; 16];
            let _ =
                std::future::poll_fn(|cx| reg.poll_io(cx, Direction::Read, || (&sock).read(&mut buf))).await;
        });
        sleep(Duration::from_millis(5)).await;
    });
    let _server_side = peer.join().unwrap();
    // Let the reader park on its socket before the drop.
    std::thread::sleep(Duration::from_millis(2));
    drop(rt);
}

#[test]
fn dropping_runtimes_with_parked_timers_and_sockets_leaks_no_fd_and_no_runtime() {
    let _serial = serial();
    let _dog = watchdog("drop_leaks", Duration::from_secs(120));
    // Warm up once (lazy statics, the test harness's own fds).
    build_and_drop_one(2);
    let fds = fd_count();
    let live = live_runtimes();
    for i in 0..200 {
        build_and_drop_one(1 + i % 2);
    }
    eprintln!(
        "200 runtimes: fds {fds} -> {}, live runtimes {live} -> {}",
        fd_count(),
        live_runtimes()
    );
    assert!(
        holds_within(LIMIT, || live_runtimes() == live),
        "{} runtimes still alive after 200 drops (started with {live})",
        live_runtimes()
    );
    assert!(
        holds_within(LIMIT, || fd_count() <= fds),
        "fds went from {fds} to {} over 200 runtimes",
        fd_count()
    );
}

#[test]
fn a_runtime_whose_handle_outlives_it_is_freed_with_the_handle() {
    let _serial = serial();
    let _dog = watchdog("handle_outlives", Duration::from_secs(60));
    wait_until("no live runtimes", || live_runtimes() == 0);
    let fds = fd_count();
    let rt = Runtime::new().unwrap();
    let handle = rt.handle().clone();
    rt.block_on(async { sleep(Duration::from_millis(1)).await });
    assert!(fd_count() > fds, "the poller's fds are open");
    drop(rt);
    assert_eq!(live_runtimes(), 1, "the handle keeps it");
    // ... but not the poller's fds.
    assert_eq!(fd_count(), fds);
    drop(handle);
    wait_until("no live runtimes", || live_runtimes() == 0);
}

/// A runtime that was dropped, and a handle to it.
fn dropped_runtime() -> Handle {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let handle = rt.handle().clone();
    // Make it start its threads and poller first.
    rt.block_on(rt.spawn(async { sleep(Duration::from_millis(1)).await }))
        .unwrap();
    drop(rt);
    handle
}

#[test]
fn spawn_on_a_handle_of_a_dropped_runtime_says_it_shut_down() {
    let _serial = serial();
    let _dog = watchdog("spawn_after_drop", Duration::from_secs(60));
    let handle = dropped_runtime();
    let err = handle.block_on(handle.spawn(async { 1 })).unwrap_err();
    assert!(err.is_cancelled());
    let msg = err.to_string();
    assert!(msg.contains("shut down"), "{msg}");
    let err = handle.block_on(handle.spawn_blocking(|| 1)).unwrap_err();
    assert!(err.is_cancelled());
    assert!(err.to_string().contains("shut down"), "{err}");
    // A future that needs nothing of the runtime still runs.
    assert_eq!(handle.block_on(async { 5 }), 5);
}

#[test]
fn a_timer_on_a_handle_of_a_dropped_runtime_panics_saying_so() {
    let _serial = serial();
    let _dog = watchdog("timer_after_drop", Duration::from_secs(60));
    timers_panic(&dropped_runtime());
}

/// Child-process entry point of `nothing_is_printed_after_shutdown_but_the_panics` (not a
/// test of its own): everything a Handle of a dropped runtime may be asked, with stderr not
/// captured by the harness.
#[test]
#[ignore = "child process entry point, run by nothing_is_printed_after_shutdown_but_the_panics"]
fn child_uses_a_handle_of_a_dropped_runtime() {
    let handle = dropped_runtime();
    let _ = handle.block_on(handle.spawn(async {}));
    timers_panic(&handle);
    let sock = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    assert!(
        handle
            .block_on(async { Registration::new(&sock, Interest::READABLE) })
            .is_err()
    );
}

#[test]
fn nothing_is_printed_after_shutdown_but_the_panics() {
    let _serial = serial();
    let _dog = watchdog("quiet_after_drop", Duration::from_secs(60));
    // The test harness captures what test threads print (and what the threads they start
    // print), so the check runs in a child process with --nocapture.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "child_uses_a_handle_of_a_dropped_runtime",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
    let noise: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("gosched:") && !l.contains("shut down"))
        .collect();
    assert!(noise.is_empty(), "{stderr}");
    assert!(stderr.contains("polled after its runtime shut down"), "{stderr}");
}

fn timers_panic(handle: &Handle) {
    for what in ["sleep", "timeout"] {
        let h = handle.clone();
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match what {
            "sleep" => h.block_on(sleep(Duration::from_millis(50))),
            _ => {
                let _ = h.block_on(timeout(Duration::from_millis(50), std::future::pending::<()>()));
            }
        }));
        let payload = res.expect_err("a timer on a shut-down runtime must panic, not hang");
        let msg = panic_message(&*payload);
        assert!(msg.contains("shut down"), "{what}: {msg}");
    }
}

#[test]
fn a_timer_armed_before_the_drop_wakes_its_block_on_with_the_panic() {
    let _serial = serial();
    let _dog = watchdog("timer_armed_before_drop", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let handle = rt.handle().clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let sleeper = std::thread::spawn(move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handle.block_on(async {
                let mut s = sleep(Duration::from_secs(3600));
                // Arm it, then say so.
                let _ = futures::poll!(&mut s);
                tx.send(()).unwrap();
                s.await;
            })
        }))
    });
    rx.recv().unwrap();
    drop(rt);
    let res = sleeper.join().unwrap();
    let payload = res.expect_err("the sleeping block_on must panic once its runtime is gone");
    let msg = panic_message(&*payload);
    assert!(msg.contains("shut down"), "{msg}");
}

#[test]
fn registering_io_on_a_handle_of_a_dropped_runtime_is_an_error() {
    let _serial = serial();
    let _dog = watchdog("io_after_drop", Duration::from_secs(60));
    let handle = dropped_runtime();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let std = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    std.set_nonblocking(true).unwrap();
    let sock = mio::net::TcpStream::from_std(std);
    let err = handle
        .block_on(async { Registration::new(&sock, Interest::READABLE) })
        .unwrap_err();
    assert!(err.to_string().contains("shut down"), "{err}");
    // A connect (register, then wait for writable) fails the same way, without hanging.
    let err = handle
        .block_on(async {
            let s = mio::net::TcpStream::connect(listener.local_addr().unwrap())?;
            let reg = Registration::new(&s, Interest::WRITABLE)?;
            reg.readiness(Direction::Write).await.map(|_| ())
        })
        .unwrap_err();
    assert!(err.to_string().contains("shut down"), "{err}");
}
