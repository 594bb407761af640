//! `metrics()`, `dump()` and `verify_no_leaks`: the numbers are real, the dump shows where each
//! live task was spawned (the caller's line, through `#[track_caller]`), and a leak is named.

mod common;

use common::{wait_for, watchdog};
use gosched_executor::runtime::{Builder, TaskInfo, TaskState, WaitReason, verify_no_leaks};
use gosched_executor::task::Id;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn find(dump: &[TaskInfo], id: Id) -> Option<TaskInfo> {
    dump.iter().find(|t| t.id == id).cloned()
}

#[test]
fn metrics_fields_are_real() {
    let _w = watchdog("metrics_real", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(3).build().unwrap();
    let m = rt.metrics();
    assert_eq!(m.maxprocs, 3);
    assert_eq!(m.local_queue_depths.len(), 3);
    assert_eq!(m.spawned_total, 0);
    assert_eq!(m.live_tasks, 0);
    assert_eq!(m.blocking_threads, 0);

    let parked: Vec<_> = (0..10).map(|_| rt.spawn(std::future::pending::<()>())).collect();
    rt.block_on(async {
        let hs: Vec<_> = (0..100)
            .map(|i| gosched_executor::spawn(async move { i }))
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    let m = wait_for("polls of the parked tasks", || {
        let m = rt.metrics();
        (m.polls_total >= 110).then_some(m)
    });
    assert_eq!(m.maxprocs, 3);
    assert_eq!(m.local_queue_depths.len(), 3);
    assert_eq!(m.spawned_total, 110, "{m:?}");
    assert_eq!(m.live_tasks, 10, "the parked tasks are live: {m:?}");
    assert!(m.threads >= 2, "at least one M and sysmon: {m:?}");
    assert!(m.threads <= 3 + 1 + 3, "{m:?}");
    assert!(m.idle_procs <= 3, "{m:?}");

    for h in &parked {
        h.abort();
    }
    for h in parked {
        assert!(rt.block_on(h).unwrap_err().is_cancelled());
    }
    assert_eq!(rt.metrics().live_tasks, 0);
    // Totals never go down.
    let later = rt.metrics();
    assert!(later.spawned_total >= m.spawned_total && later.polls_total >= m.polls_total);
}

#[test]
fn queue_depths_show_queued_tasks() {
    let _w = watchdog("queue_depths", Duration::from_secs(30));
    // One P, held by a task that blocks it until told: what is spawned meanwhile stays queued.
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let release = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let (r, s) = (release.clone(), started.clone());
    let hog = rt.spawn(async move {
        s.store(true, Ordering::SeqCst);
        while !r.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    wait_for("the hog to start", || {
        started.load(Ordering::SeqCst).then_some(())
    });
    let queued: Vec<_> = (0..20).map(|i| rt.spawn(async move { i })).collect();
    let m = rt.metrics();
    let queued_total = m.global_queue_depth + m.local_queue_depths.iter().sum::<usize>();
    assert_eq!(queued_total, 20, "{m:?}");
    let dump = rt.dump();
    let runnable = dump.iter().filter(|t| t.state == TaskState::Runnable).count();
    let running = dump.iter().filter(|t| t.state == TaskState::Running).count();
    assert_eq!((runnable, running), (20, 1), "{dump:#?}");
    release.store(true, Ordering::SeqCst);
    rt.block_on(hog).unwrap();
    for h in queued {
        rt.block_on(h).unwrap();
    }
    let m = rt.metrics();
    assert_eq!(m.global_queue_depth, 0, "{m:?}");
    assert_eq!(m.local_queue_depths, vec![0], "{m:?}");
}

#[test]
fn dump_lists_live_tasks_with_their_spawn_site() {
    let _w = watchdog("dump_spawn_site", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let line_rt = line!() + 1;
    let a = rt.spawn(std::future::pending::<()>());
    let handle = rt.handle().clone();
    let line_handle = line!() + 1;
    let b = handle.spawn(std::future::pending::<()>());
    let (inner_id, line_inner) = rt
        .block_on(rt.spawn(async {
            let line = line!() + 1;
            let h = gosched_executor::spawn(std::future::pending::<()>());
            (h.id(), line)
        }))
        .unwrap();
    let before = Instant::now();
    std::thread::sleep(Duration::from_millis(30));

    let dump = wait_for("three parked tasks", || {
        let d = rt.dump();
        let parked = d.iter().filter(|t| t.state == TaskState::Waiting).count();
        (parked == 3).then_some(d)
    });
    assert_eq!(dump.len(), 3, "{dump:#?}");
    for (id, line) in [(a.id(), line_rt), (b.id(), line_handle), (inner_id, line_inner)] {
        let t = find(&dump, id).unwrap_or_else(|| panic!("task {id} missing from {dump:#?}"));
        assert_eq!(t.state, TaskState::Waiting);
        assert_eq!(t.wait_reason, Some(WaitReason::Other));
        assert!(
            t.spawned_at.file().ends_with("metrics_dump.rs"),
            "spawned_at is the test's file: {}",
            t.spawned_at
        );
        assert_eq!(t.spawned_at.line(), line, "spawned_at is the spawn call's line");
        assert!(t.polls >= 1, "{t:?}");
        // The age comes from a coarse clock (a few ms of resolution: time/monotonic.rs).
        assert!(t.age >= Duration::from_millis(20), "{t:?}");
        assert!(t.age <= before.elapsed() + Duration::from_secs(5), "{t:?}");
        let shown = t.to_string();
        assert!(
            shown.starts_with(&format!("task {id} [waiting, wait,")),
            "{shown}"
        );
        assert!(shown.contains("metrics_dump.rs"), "{shown}");
    }
    // Sorted by id.
    assert!(dump.windows(2).all(|w| w[0].id < w[1].id));
    // Blocking jobs and block_on's own future are not tasks.
    let blocking = rt.spawn_blocking(|| std::thread::sleep(Duration::from_millis(50)));
    assert_eq!(rt.dump().len(), 3);
    rt.block_on(blocking).unwrap();
}

#[test]
fn a_task_awaiting_a_join_handle_waits_for_join() {
    let _w = watchdog("wait_join", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let inner = rt.spawn(std::future::pending::<()>());
    let inner_id = inner.id();
    #[allow(clippy::redundant_async_block)] // the task itself must await the handle
    let outer = rt.spawn(async move { inner.await });
    let outer_id = outer.id();
    let t = wait_for("the joiner to park", || {
        find(&rt.dump(), outer_id).filter(|t| t.state == TaskState::Waiting)
    });
    assert_eq!(t.wait_reason, Some(WaitReason::Join), "{t:?}");
    assert!(t.to_string().contains("waiting, join"), "{t}");
    // The inner task may not have had its first poll yet (runnable, no reason).
    let inner_info = wait_for("the inner task to park", || {
        find(&rt.dump(), inner_id).filter(|t| t.state == TaskState::Waiting)
    });
    assert_eq!(inner_info.wait_reason, Some(WaitReason::Other), "{inner_info:?}");
    outer.abort();
    assert!(rt.block_on(outer).unwrap_err().is_cancelled());
    // Dropping the joiner dropped the inner JoinHandle (detached), not the inner task.
    assert!(find(&rt.dump(), inner_id).is_some());
}

#[test]
fn state_and_reason_display_as_in_go() {
    let _w = watchdog("state_and_reason_display_as_in_go", Duration::from_secs(30));
    let states = [
        (TaskState::Runnable, "runnable"),
        (TaskState::Running, "running"),
        (TaskState::Waiting, "waiting"),
        (TaskState::Syscall, "syscall"),
        (TaskState::Preempted, "preempted"),
    ];
    for (s, text) in states {
        assert_eq!(s.to_string(), text);
    }
    let reasons = [
        (WaitReason::IoRead, "IO wait"),
        (WaitReason::IoWrite, "IO wait"),
        (WaitReason::Sleep, "sleep"),
        (WaitReason::Join, "join"),
        (WaitReason::Yield, "yield"),
        (WaitReason::Other, "wait"),
    ];
    for (r, text) in reasons {
        assert_eq!(r.to_string(), text);
    }
}

#[test]
fn verify_no_leaks_names_a_leaked_task_and_passes_when_all_are_done() {
    let _w = watchdog("verify_no_leaks", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    assert!(verify_no_leaks(rt.handle(), Duration::from_millis(10)).is_ok());

    // Finishes within the grace period: not a leak.
    let short = rt.spawn(async {
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(20) {
            gosched_executor::task::yield_now().await;
        }
    });
    assert!(verify_no_leaks(rt.handle(), Duration::from_secs(5)).is_ok());
    assert!(short.is_finished());

    let line = line!() + 1;
    let leaked = rt.spawn(std::future::pending::<()>());
    let start = Instant::now();
    let err = verify_no_leaks(rt.handle(), Duration::from_millis(100)).unwrap_err();
    assert!(
        start.elapsed() >= Duration::from_millis(100),
        "waits the grace period"
    );
    assert_eq!(err.tasks.len(), 1, "{err}");
    assert_eq!(err.tasks[0].id, leaked.id());
    let text = err.to_string();
    assert!(text.starts_with("gosched: leaked tasks"), "{text}");
    assert!(text.contains(&format!("task {}", leaked.id())), "{text}");
    assert!(
        text.contains(&format!("metrics_dump.rs:{line}")),
        "names the spawn site: {text}"
    );

    leaked.abort();
    assert!(rt.block_on(leaked).unwrap_err().is_cancelled());
    assert!(verify_no_leaks(rt.handle(), Duration::from_millis(10)).is_ok());
}

/// A task that yielded and waits in a run queue to run again shows as runnable, reason
/// `Yield`. One P: the dump is taken inside another task's poll, while the yielder waits.
#[test]
fn a_task_that_yielded_shows_runnable_for_yield() {
    let _w = watchdog("wait_yield", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let yielder = rt.spawn(async {
        loop {
            gosched_executor::task::yield_now().await;
        }
    });
    let yielder_id = yielder.id();
    let seen = rt.block_on(async move {
        let h = gosched_executor::spawn(async move {
            // Let the yielder run first and yield at least once.
            gosched_executor::task::yield_now().await;
            let dump = gosched_executor::runtime::Handle::current().dump();
            find(&dump, yielder_id)
        });
        h.await.unwrap()
    });
    let t = seen.expect("the yielder is in the dump");
    assert_eq!(t.state, TaskState::Runnable, "{t:?}");
    assert_eq!(t.wait_reason, Some(WaitReason::Yield), "{t:?}");
    assert!(t.to_string().contains("runnable, yield"), "{t}");
    yielder.abort();
}
