//! `gosched::signal`: bad kinds, deliveries that arrive before anyone waits, coalescing, many
//! listeners, listeners dropped with a delivery pending, and the runtime going away.
//!
//! Signals are process-wide and the test harness runs tests on several threads, so every test
//! here holds `serial()`, and a signal is only raised while a listener for it is installed (the
//! handler then stays installed, so the default action, terminating the harness, never runs).

mod common;

use common::{fd_count, panic_message, serial, wait_until, watchdog};
use futures::StreamExt;
use gosched_executor::runtime::{Builder, Runtime};
use gosched_executor::signal::unix::{SignalKind, signal};
use std::io::ErrorKind;
use std::time::Duration;
use tokio_test::{assert_pending, assert_ready, assert_ready_eq};

fn rt() -> Runtime {
    Builder::new().maxprocs(2).build().unwrap()
}

/// Sends `sig` to this process (any thread may take it).
fn raise(sig: i32) {
    // SAFETY: plain syscall; every caller has a listener for `sig` installed first.
    let rc = unsafe { libc::kill(libc::getpid(), sig) };
    assert_eq!(rc, 0, "kill({sig}) failed");
}

#[test]
fn bad_kinds_are_invalid_input_naming_the_signal() {
    let _s = serial();
    let rt = rt();
    rt.block_on(async {
        for (signum, name) in [
            (libc::SIGKILL, "SIGKILL"),
            (libc::SIGSTOP, "SIGSTOP"),
            (libc::SIGSEGV, "SIGSEGV"),
            (libc::SIGBUS, "SIGBUS"),
            (libc::SIGILL, "SIGILL"),
            (libc::SIGFPE, "SIGFPE"),
        ] {
            let err = signal(SignalKind::from_raw(signum)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}: {err}");
            assert!(err.to_string().contains(name), "{err}");
        }
        for signum in [0, -1, libc::SIGRTMAX() + 1, i32::MAX] {
            let err = signal(SignalKind::from_raw(signum)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{signum}: {err}");
            assert!(err.to_string().contains(&signum.to_string()), "{err}");
        }
        // The highest real-time signal is fine.
        drop(signal(SignalKind::from_raw(libc::SIGRTMAX())).unwrap());
    });
}

#[test]
fn a_signal_that_arrives_before_recv_is_not_lost() {
    let _s = serial();
    let _w = watchdog("before_recv", Duration::from_secs(30));
    let rt = rt();
    rt.block_on(async {
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        raise(libc::SIGUSR1);
        // Nobody waited while it came; give the handler's byte time to land anyway.
        std::thread::sleep(Duration::from_millis(20));
        let got = gosched_executor::time::timeout(Duration::from_secs(10), usr1.recv()).await;
        assert_eq!(got.expect("the delivery was lost"), Some(()));
    });
}

#[test]
fn deliveries_before_a_recv_are_coalesced_and_the_next_recv_waits() {
    let _s = serial();
    let _w = watchdog("coalesced", Duration::from_secs(30));
    let rt = rt();
    let usr2 = rt.block_on(async { signal(SignalKind::user_defined2()).unwrap() });
    // Polled by hand (tokio-test's mock task) from this thread; the runtime's Ms run the poller.
    let mut task = tokio_test::task::spawn(usr2);
    assert_pending!(task.poll_next());
    for _ in 0..3 {
        raise(libc::SIGUSR2);
    }
    wait_until("three SIGUSR2", || task.is_woken());
    assert_ready_eq!(task.poll_next(), Some(()));
    // The three deliveries were one batch: nothing is left.
    assert_pending!(task.poll_next());
    raise(libc::SIGUSR2);
    wait_until("a fourth SIGUSR2", || task.is_woken());
    assert_ready_eq!(task.poll_next(), Some(()));
}

#[test]
fn many_listeners_on_one_signal_are_all_woken() {
    let _s = serial();
    let _w = watchdog("many_listeners", Duration::from_secs(30));
    const LISTENERS: usize = 16;
    let rt = rt();
    let handles: Vec<_> = rt.block_on(async {
        (0..LISTENERS)
            .map(|_| {
                // Created here, so installed before the signal is raised.
                let mut hup = signal(SignalKind::hangup()).unwrap();
                gosched_executor::spawn(async move { hup.next().await })
            })
            .collect()
    });
    // Raised from a thread that is not the runtime's, once, while the tasks are (likely)
    // parked: each has a byte of its own waiting either way.
    std::thread::spawn(|| raise(libc::SIGHUP)).join().unwrap();
    rt.block_on(async {
        for h in handles {
            let got = gosched_executor::time::timeout(Duration::from_secs(10), h).await;
            assert_eq!(got.expect("a listener was not woken").unwrap(), Some(()));
        }
    });
}

#[test]
fn a_listener_dropped_while_a_signal_is_pending() {
    let _s = serial();
    let _w = watchdog("dropped_pending", Duration::from_secs(30));
    let rt = rt();
    rt.block_on(async {
        let fds_before = fd_count();
        let mut kept = signal(SignalKind::user_defined1()).unwrap();
        for _ in 0..50 {
            let doomed = signal(SignalKind::user_defined1()).unwrap();
            raise(libc::SIGUSR1);
            drop(doomed); // with its byte unread
        }
        // The kept listener saw the deliveries; the dropped ones left nothing open behind.
        let got = gosched_executor::time::timeout(Duration::from_secs(10), kept.recv()).await;
        assert_eq!(got.unwrap(), Some(()));
        drop(kept);
        assert_eq!(fd_count(), fds_before, "a dropped listener leaked its sockets");

        // A listener created after the drops starts with nothing pending.
        let fresh = signal(SignalKind::user_defined1()).unwrap();
        let mut task = tokio_test::task::spawn(fresh);
        assert_pending!(task.poll_next());
        raise(libc::SIGUSR1);
        let mut task = task.into_inner();
        let got = gosched_executor::time::timeout(Duration::from_secs(10), task.recv()).await;
        assert_eq!(got.unwrap(), Some(()));
    });
}

#[test]
fn ctrl_c_listens_from_its_first_poll() {
    let _s = serial();
    let _w = watchdog("ctrl_c", Duration::from_secs(30));
    let rt = rt();
    rt.block_on(async {
        let mut ctrl_c = tokio_test::task::spawn(gosched_executor::signal::ctrl_c());
        // The first poll installs the SIGINT listener ...
        assert_pending!(ctrl_c.poll());
        // ... so SIGINT is now safe to raise, and resolves it.
        raise(libc::SIGINT);
        wait_until("SIGINT", || ctrl_c.is_woken());
        assert_ready!(ctrl_c.poll()).unwrap();
    });
}

#[test]
fn recv_is_none_once_the_runtime_is_gone() {
    let _s = serial();
    let _w = watchdog("runtime_gone", Duration::from_secs(30));
    let rt = rt();
    let mut usr2 = rt.block_on(async { signal(SignalKind::user_defined2()).unwrap() });
    drop(rt);
    assert_eq!(futures::executor::block_on(usr2.recv()), None);
}

#[test]
fn signal_outside_a_runtime_panics_with_a_hint() {
    let _s = serial();
    let err = std::panic::catch_unwind(|| signal(SignalKind::user_defined1())).unwrap_err();
    let msg = panic_message(&*err);
    assert!(msg.contains("outside a gosched runtime"), "{msg}");
}

#[test]
fn signal_kind_constructors_match_the_libc_numbers() {
    assert_eq!(SignalKind::interrupt().as_raw_value(), libc::SIGINT);
    assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
    assert_eq!(SignalKind::hangup().as_raw_value(), libc::SIGHUP);
    assert_eq!(SignalKind::quit().as_raw_value(), libc::SIGQUIT);
    assert_eq!(SignalKind::user_defined1().as_raw_value(), libc::SIGUSR1);
    assert_eq!(SignalKind::user_defined2().as_raw_value(), libc::SIGUSR2);
    assert_eq!(SignalKind::from_raw(libc::SIGTERM), SignalKind::terminate());
    fn send_sync<T: Send + Sync>() {}
    send_sync::<gosched_executor::signal::unix::Signal>();
}

#[test]
fn listeners_come_and_go_under_a_storm_of_signals() {
    let _s = serial();
    let _w = watchdog("storm", Duration::from_secs(60));
    let rt = rt();
    let fds_before = fd_count();
    let mut kept = rt.block_on(async { signal(SignalKind::user_defined1()).unwrap() });
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let storm = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut sent = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                raise(libc::SIGUSR1);
                sent += 1;
                std::thread::sleep(Duration::from_micros(100));
            }
            sent
        })
    };
    // Tasks on both Ps create, await and drop listeners while the signals fly: an action may
    // be unregistered, and its socket closed, in the middle of a delivery.
    rt.block_on(async {
        let churners: Vec<_> = (0..4)
            .map(|_| {
                gosched_executor::spawn(async {
                    let mut received = 0;
                    for _ in 0..50 {
                        let mut l = signal(SignalKind::user_defined1()).unwrap();
                        let got = gosched_executor::time::timeout(Duration::from_secs(10), l.recv()).await;
                        received +=
                            usize::from(got.expect("the storm stopped reaching a listener").is_some());
                    }
                    received
                })
            })
            .collect();
        for c in churners {
            assert_eq!(c.await.unwrap(), 50);
        }
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(storm.join().unwrap() > 0);
    rt.block_on(async {
        let got = gosched_executor::time::timeout(Duration::from_secs(10), kept.recv()).await;
        assert_eq!(got.unwrap(), Some(()));
    });
    drop(kept);
    assert_eq!(fd_count(), fds_before, "listeners leaked their sockets");
}
