//! The kit itself: the watchdog aborts a test that outlives it and says which, and the waits
//! return what they waited for (the async one on the same executor as the test).

use gosched_testkit::{LIMIT, eventually, holds_within, panic_message, wait_for, watchdog};
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The signal `std::process::abort` raises (6 on Linux; no libc dependency for one number).
const SIGABRT: i32 = 6;
/// Set in the child process that `a_hung_test_is_aborted_and_named` starts.
const CHILD: &str = "GOSCHED_TESTKIT_HANG";

#[test]
fn a_hung_test_is_aborted_and_named() {
    if std::env::var_os(CHILD).is_some() {
        let _w = watchdog("the_hung_child", Duration::from_millis(100));
        std::thread::sleep(LIMIT);
        return;
    }
    let _w = watchdog("a_hung_test_is_aborted_and_named", LIMIT * 2);
    let out = Command::new(std::env::current_exe().unwrap())
        // Without --nocapture: the line must get past the harness's capture of the child.
        .args(["a_hung_test_is_aborted_and_named", "--exact"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(SIGABRT), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("watchdog: test `the_hung_child` still running after 100ms"),
        "{stderr}"
    );
}

#[test]
fn the_waits_return_what_they_waited_for() {
    let _w = watchdog("the_waits_return_what_they_waited_for", LIMIT * 2);
    let mut n = 0;
    assert_eq!(
        wait_for("the third look", || {
            n += 1;
            (n == 3).then_some(n)
        }),
        3
    );
    assert!(!holds_within(Duration::from_millis(20), || false));
    let err = std::panic::catch_unwind(|| panic!("told {}", 42)).unwrap_err();
    assert_eq!(panic_message(&*err), "told 42");
}

#[test]
fn eventually_sleeps_on_the_tests_own_runtime() {
    let _w = watchdog("eventually_sleeps_on_the_tests_own_runtime", LIMIT * 2);
    let rt = gosched_executor::runtime::Builder::new()
        .maxprocs(2)
        .build()
        .unwrap();
    let looks = Arc::new(AtomicUsize::new(0));
    let l = looks.clone();
    // A second copy of the executor in this binary would have no runtime here and panic.
    rt.block_on(eventually("the fifth look", move || {
        l.fetch_add(1, Ordering::SeqCst) == 4
    }));
    assert_eq!(looks.load(Ordering::SeqCst), 5);
}
