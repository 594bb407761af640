//! `Handle::enter` / `Runtime::enter`: a plain thread or another runtime's worker is inside
//! the entered runtime while the guard lives; guards nest and restore; out-of-order drops
//! panic as tokio's do.

mod common;

use common::{panic_message, watchdog};
use gosched_executor::runtime::{Builder, Handle, Runtime};
use std::time::Duration;

fn rt(maxprocs: usize) -> Runtime {
    Builder::new().maxprocs(maxprocs).build().unwrap()
}

/// The `gomaxprocs=N` of the current runtime: tells two runtimes apart.
fn current_procs() -> Option<usize> {
    let report = Handle::try_current()?.sched_report();
    let at = report.find("gomaxprocs=")? + "gomaxprocs=".len();
    report[at..].split(' ').next()?.parse().ok()
}

#[test]
fn enter_makes_spawn_and_timers_work_on_a_plain_thread() {
    let _w = watchdog("enter_plain_thread", Duration::from_secs(30));
    let rt = rt(2);
    assert!(Handle::try_current().is_none());
    let task = {
        let _guard = rt.enter();
        assert_eq!(current_procs(), Some(2));
        let task = gosched_executor::spawn(async { gosched_executor::task::try_id().is_some() });
        let blocking = gosched_executor::spawn_blocking(|| 3);
        // Another executor on this thread: the timer it polls binds to the entered runtime,
        // whose timers fire it.
        assert_eq!(futures::executor::block_on(blocking).unwrap(), 3);
        futures::executor::block_on(gosched_executor::time::sleep(Duration::from_millis(5)));
        task
    };
    assert!(Handle::try_current().is_none(), "the guard's drop leaves");
    assert!(rt.block_on(task).unwrap(), "the spawned future ran as a task");
}

#[test]
fn guards_nest_and_restore() {
    let _w = watchdog("guards_nest_and_restore", Duration::from_secs(30));
    let (one, two) = (rt(1), rt(2));
    let outer = one.handle().enter();
    assert_eq!(current_procs(), Some(1));
    {
        let _inner = two.handle().enter();
        assert_eq!(current_procs(), Some(2));
        // block_on inside an entered context nests its own enter and restores it.
        two.block_on(async { assert_eq!(current_procs(), Some(2)) });
        assert_eq!(current_procs(), Some(2));
    }
    assert_eq!(current_procs(), Some(1));
    drop(outer);
    assert_eq!(current_procs(), None);
}

#[test]
fn enter_on_another_runtimes_worker_switches_the_current_runtime() {
    let _w = watchdog("enter_on_worker", Duration::from_secs(30));
    let (one, two) = (rt(1), rt(2));
    let two_handle = two.handle().clone();
    let seen = one.block_on(one.spawn(async move {
        let before = current_procs();
        let (inside, spawned) = {
            let _guard = two_handle.enter();
            // The task spawned here belongs to runtime two.
            (
                current_procs(),
                gosched_executor::spawn(async { current_procs() }),
            )
        };
        let after = current_procs();
        (before, inside, spawned, after)
    }));
    let (before, inside, spawned, after) = seen.unwrap();
    assert_eq!((before, inside, after), (Some(1), Some(2), Some(1)));
    assert_eq!(two.block_on(spawned).unwrap(), Some(2));
}

#[test]
fn out_of_order_drop_panics_and_leaves_the_context() {
    let _w = watchdog("out_of_order_drop", Duration::from_secs(30));
    let (one, two) = (rt(1), rt(2));
    let (h1, h2) = (one.handle().clone(), two.handle().clone());
    // On a thread of its own: the thread's context is left as the newer guard set it.
    std::thread::spawn(move || {
        let g1 = h1.enter();
        let g2 = h2.enter();
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(g1)))
            .expect_err("dropping the older guard first panics");
        let msg = panic_message(&*err);
        assert!(msg.contains("out of order"), "{msg}");
        assert_eq!(current_procs(), Some(2), "the context is left as it was");
        drop(g2);
        assert_eq!(current_procs(), Some(1), "the newer guard restores what it saw");
    })
    .join()
    .unwrap();
}

#[test]
fn enter_guard_is_debug_and_handle_current_works_in_it() {
    let rt = rt(1);
    let guard = rt.handle().enter();
    assert!(format!("{guard:?}").starts_with("EnterGuard"));
    let _ = Handle::current();
}
