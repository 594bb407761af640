//! Pinned tasks (`task::spawn_pinned`, Go's `LockOSThread`) and `task::spawn_local`: `!Send`
//! futures on a thread of their own, which they never leave and which ends with them.
//!
//! The tests run one at a time (`serial`), since several count the process's pinned threads.
//! TCP inside a pinned task is tested in `net/tests/pinned.rs`.

mod common;

use common::{LIMIT, holds_within, panic_message, serial, wait_until, watchdog};
use gosched_executor::runtime::{Builder, Runtime};
use gosched_executor::task::{consume_budget, spawn_local, spawn_pinned, yield_now};
use gosched_executor::time::{interval, sleep, timeout};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

/// Aborts a test that hangs (each waits at most a few times [`LIMIT`]).
const WATCHDOG: Duration = Duration::from_secs(60);

fn rt(maxprocs: usize) -> Runtime {
    Builder::new().maxprocs(maxprocs).build().unwrap()
}

/// Threads of this process named like a pinned thread (Linux: /proc/self/task/*/comm).
fn pinned_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "gosched-pinned")
        .count()
}

/// A `!Send` guard that records the thread it is dropped on.
struct DropGuard {
    _not_send: Rc<()>,
    dropped_on: Arc<Mutex<Vec<ThreadId>>>,
}

impl DropGuard {
    fn new(dropped_on: &Arc<Mutex<Vec<ThreadId>>>) -> DropGuard {
        DropGuard {
            _not_send: Rc::new(()),
            dropped_on: dropped_on.clone(),
        }
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.dropped_on.lock().unwrap().push(thread::current().id());
    }
}

#[test]
fn an_rc_refcell_future_sleeps_yields_ten_thousand_times_and_returns() {
    let _s = serial();
    let _w = watchdog("rc_refcell_future", WATCHDOG);
    let rt = rt(2);
    let out = rt.block_on(async {
        spawn_pinned(|| async {
            let log = Rc::new(RefCell::new(Vec::new()));
            sleep(Duration::from_millis(5)).await;
            log.borrow_mut().push("slept");
            let yields = Rc::new(Cell::new(0u32));
            for _ in 0..10_000 {
                yield_now().await;
                yields.set(yields.get() + 1);
            }
            log.borrow_mut().push("yielded");
            let mut ticks = interval(Duration::from_millis(1));
            for _ in 0..3 {
                ticks.tick().await;
            }
            assert!(
                timeout(Duration::from_millis(5), std::future::pending::<()>())
                    .await
                    .is_err()
            );
            log.borrow_mut().push("timers");
            let log = log.borrow().join(",");
            (log, yields.get())
        })
        .await
        .unwrap()
    });
    assert_eq!(out, ("slept,yielded,timers".to_string(), 10_000));
    // Every yield was a poll on the pinned thread; they count in polls_total once it ends.
    wait_until("no locked threads left", || rt.metrics().locked_threads == 0);
    let polls = rt.metrics().polls_total;
    assert!(polls > 10_000, "polls_total = {polls}");
}

#[test]
fn the_thread_never_changes() {
    let _s = serial();
    let _w = watchdog("thread_never_changes", WATCHDOG);
    let rt = rt(2);
    let caller = thread::current().id();
    let (created_on, polled_on, name) = rt.block_on(async move {
        let created_on = Arc::new(Mutex::new(None));
        let c = created_on.clone();
        let (tx, rx) = futures::channel::oneshot::channel::<u32>();
        // A wake from a task on the Ps.
        let sender = gosched_executor::spawn(async move {
            sleep(Duration::from_millis(20)).await;
            tx.send(7).unwrap();
        });
        let polled = spawn_pinned(move || {
            *c.lock().unwrap() = Some(thread::current().id());
            async move {
                let me = thread::current().id();
                let not_send = Rc::new(());
                assert_eq!(rx.await.unwrap(), 7);
                assert_eq!(thread::current().id(), me);
                for i in 0..200u32 {
                    match i % 5 {
                        0 => sleep(Duration::from_micros(200)).await,
                        1 => yield_now().await,
                        2 => consume_budget().await,
                        3 => assert_eq!(gosched_executor::spawn(async move { i }).await.unwrap(), i),
                        _ => assert_eq!(gosched_executor::spawn_blocking(move || i).await.unwrap(), i),
                    }
                    assert_eq!(thread::current().id(), me, "moved after await {i}");
                }
                drop(not_send);
                (me, thread::current().name().map(str::to_owned))
            }
        });
        let (me, name) = polled.await.unwrap();
        sender.await.unwrap();
        let created = created_on.lock().unwrap().unwrap();
        (created, me, name)
    });
    assert_eq!(created_on, polled_on, "`create` runs on the task's thread");
    assert_ne!(polled_on, caller);
    assert_eq!(name.as_deref(), Some("gosched-pinned"));
}

#[test]
fn a_hundred_pinned_tasks_finish_and_leave_no_threads_behind() {
    let _s = serial();
    let _w = watchdog("hundred_pinned", WATCHDOG);
    let rt = rt(2);
    wait_until("no pinned threads left", || pinned_threads() == 0);
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..100u64)
            .map(|i| {
                spawn_pinned(move || async move {
                    let v = Rc::new(i);
                    sleep(Duration::from_millis(1)).await;
                    yield_now().await;
                    *v
                })
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 4950);
    assert!(
        holds_within(LIMIT, || rt.metrics().locked_threads == 0),
        "locked_threads = {}",
        rt.metrics().locked_threads
    );
    assert!(
        holds_within(LIMIT, || pinned_threads() == 0),
        "{} pinned threads left",
        pinned_threads()
    );
    assert_eq!(rt.metrics().live_tasks, 0);
}

#[test]
fn a_panic_gives_is_panic() {
    let _s = serial();
    let _w = watchdog("pinned_panic", WATCHDOG);
    let rt = rt(2);
    let (in_future, in_create) = rt.block_on(async {
        let a = spawn_pinned(|| async {
            let _not_send = Rc::new(());
            yield_now().await;
            panic!("pinned boom");
        });
        let b = spawn_pinned(|| -> std::future::Ready<()> { panic!("create boom") });
        (a.await.unwrap_err(), b.await.unwrap_err())
    });
    assert!(in_future.is_panic(), "{in_future:?}");
    assert_eq!(*in_future.into_panic().downcast::<&str>().unwrap(), "pinned boom");
    assert!(in_create.is_panic(), "{in_create:?}");
    assert_eq!(*in_create.into_panic().downcast::<&str>().unwrap(), "create boom");
    wait_until("no locked threads left", || rt.metrics().locked_threads == 0);
}

#[test]
fn a_pinned_task_blocking_its_thread_stalls_no_other_task() {
    let _s = serial();
    let _w = watchdog("pinned_blocking", WATCHDOG);
    // One P and no sysmon: were the pinned thread holding the P, nothing else could run.
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let (s, r) = (started.clone(), release.clone());
    let blocker = spawn_pinned_on(&rt, move || async move {
        s.store(true, Ordering::SeqCst);
        // Blocks the thread (not the task) until the ticker is done.
        while !r.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(1));
        }
    });
    wait_until("the pinned task to start", || started.load(Ordering::SeqCst));
    let ticks = rt.block_on(rt.spawn(async {
        let mut ticks = interval(Duration::from_millis(1));
        for _ in 0..20 {
            ticks.tick().await;
        }
        let mut n = 0;
        for _ in 0..100 {
            n += gosched_executor::spawn(async { 1 }).await.unwrap();
        }
        n
    }));
    assert_eq!(ticks.unwrap(), 100);
    assert!(!blocker.is_finished(), "the pinned task was still blocked");
    assert_eq!(rt.metrics().locked_threads, 1);
    release.store(true, Ordering::SeqCst);
    rt.block_on(blocker).unwrap();
}

/// `spawn_pinned` from outside the runtime (it needs to be inside one: `block_on` enters it).
fn spawn_pinned_on<F, Fut>(rt: &Runtime, create: F) -> gosched_executor::JoinHandle<Fut::Output>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future + 'static,
    Fut::Output: Send + 'static,
{
    // The handle is returned, not awaited: the caller awaits it later (or never).
    #[allow(clippy::async_yields_async)]
    rt.block_on(async { spawn_pinned(create) })
}

#[test]
fn abort_drops_the_future_on_its_own_thread() {
    let _s = serial();
    let _w = watchdog("pinned_abort", WATCHDOG);
    let rt = rt(2);
    let dropped_on = Arc::new(Mutex::new(Vec::new()));
    let ran_on = Arc::new(Mutex::new(Vec::new()));
    let started = Arc::new(AtomicUsize::new(0));
    // One parked, one always runnable (yielding), one blocked in its thread when aborted.
    let handles: Vec<_> = (0..3)
        .map(|kind| {
            let (d, r, s) = (dropped_on.clone(), ran_on.clone(), started.clone());
            spawn_pinned_on(&rt, move || async move {
                let _guard = DropGuard::new(&d);
                r.lock().unwrap().push(thread::current().id());
                s.fetch_add(1, Ordering::SeqCst);
                match kind {
                    0 => std::future::pending::<()>().await,
                    1 => loop {
                        yield_now().await;
                    },
                    _ => loop {
                        thread::sleep(Duration::from_millis(2));
                        yield_now().await;
                    },
                }
            })
        })
        .collect();
    wait_until("3 pinned tasks started", || started.load(Ordering::SeqCst) == 3);
    let main = thread::current().id();
    // Abort from this thread, and through an AbortHandle from another one.
    handles[0].abort();
    handles[1].abort();
    let remote = handles[2].abort_handle();
    thread::spawn(move || remote.abort()).join().unwrap();
    for h in handles {
        let err = rt.block_on(h).unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
    }
    let mut dropped = dropped_on.lock().unwrap().clone();
    let mut ran = ran_on.lock().unwrap().clone();
    dropped.sort_by_key(|t| format!("{t:?}"));
    ran.sort_by_key(|t| format!("{t:?}"));
    assert_eq!(dropped, ran, "each future is dropped on the thread it ran on");
    assert!(!dropped.contains(&main));
    wait_until("no locked threads left", || rt.metrics().locked_threads == 0);
}

#[test]
fn dropping_the_runtime_ends_every_pinned_thread() {
    let _s = serial();
    let _w = watchdog("pinned_runtime_drop", WATCHDOG);
    wait_until("no pinned threads left", || pinned_threads() == 0);
    let rt = rt(2);
    let dropped_on = Arc::new(Mutex::new(Vec::new()));
    let ran_on = Arc::new(Mutex::new(Vec::new()));
    let started = Arc::new(AtomicUsize::new(0));
    for kind in 0..10 {
        let (d, r, s) = (dropped_on.clone(), ran_on.clone(), started.clone());
        drop(spawn_pinned_on(&rt, move || async move {
            let _guard = DropGuard::new(&d);
            r.lock().unwrap().push(thread::current().id());
            // A spawn_local child parked with its own guard: cancelled on this thread too.
            let d2 = d.clone();
            let _child = spawn_local(async move {
                let _guard = DropGuard::new(&d2);
                std::future::pending::<()>().await;
            });
            s.fetch_add(1, Ordering::SeqCst);
            match kind % 3 {
                0 => std::future::pending::<()>().await,
                1 => loop {
                    yield_now().await;
                },
                _ => sleep(Duration::from_secs(3600)).await,
            }
        }));
    }
    wait_until("10 pinned tasks started", || started.load(Ordering::SeqCst) == 10);
    assert_eq!(rt.metrics().locked_threads, 10);
    // `wait_until`: a thread a pinned thread starts (an M) has its name until it sets its own.
    wait_until("10 pinned threads", || pinned_threads() == 10);
    drop(rt);
    // The drop waited for the threads: every future is gone, each on its own thread.
    let dropped = dropped_on.lock().unwrap().clone();
    assert_eq!(dropped.len(), 20, "10 pinned futures and 10 local children");
    let ran = ran_on.lock().unwrap().clone();
    assert!(
        dropped.iter().all(|t| ran.contains(t)),
        "dropped on the task's own thread"
    );
    assert!(
        holds_within(LIMIT, || pinned_threads() == 0),
        "{} pinned threads left after the runtime was dropped",
        pinned_threads()
    );
}

#[test]
fn spawn_local_runs_not_send_tasks_on_the_same_thread() {
    let _s = serial();
    let _w = watchdog("spawn_local", WATCHDOG);
    let rt = rt(2);
    let dropped_on = Arc::new(Mutex::new(Vec::new()));
    let d = dropped_on.clone();
    let (order, outputs, same_thread, leftover, pinned_thread) = rt.block_on(async move {
        spawn_pinned(move || async move {
            let me = thread::current().id();
            let order = Rc::new(RefCell::new(String::new()));
            let same = Rc::new(Cell::new(true));
            // Two tasks that yield in turn: a local yield goes to the tail.
            let ping = |c: char| {
                let (order, same) = (order.clone(), same.clone());
                spawn_local(async move {
                    for _ in 0..3 {
                        order.borrow_mut().push(c);
                        same.set(same.get() && thread::current().id() == me);
                        yield_now().await;
                    }
                    Rc::new(c) // a !Send output
                })
            };
            let (a, b) = (ping('a'), ping('b'));
            let outputs = format!("{}{}", a.await.unwrap(), b.await.unwrap());
            // Some that sleep and use the Ps.
            let mut sleepers = Vec::new();
            for i in 0..10u64 {
                let same = same.clone();
                sleepers.push(spawn_local(async move {
                    sleep(Duration::from_millis(i)).await;
                    let v = gosched_executor::spawn(async move { i * 2 }).await.unwrap();
                    same.set(same.get() && thread::current().id() == me);
                    v
                }));
            }
            let mut sum = 0;
            for s in sleepers {
                sum += s.await.unwrap();
            }
            assert_eq!(sum, 90);
            // One still parked when the pinned task returns: cancelled on this thread.
            let leftover = spawn_local(async move {
                let _guard = DropGuard::new(&d);
                std::future::pending::<()>().await;
            });
            yield_now().await;
            let order = order.borrow().clone();
            (order, outputs, same.get(), leftover, me)
        })
        .await
        .unwrap()
    });
    assert_eq!(order, "ababab");
    assert_eq!(outputs, "ab");
    assert!(same_thread);
    let err = rt.block_on(leftover).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert_eq!(*dropped_on.lock().unwrap(), vec![pinned_thread]);
}

#[test]
fn the_coop_budget_makes_a_busy_local_task_yield() {
    let _s = serial();
    let _w = watchdog("pinned_budget", WATCHDOG);
    let rt = rt(2);
    let other_ran_first = rt.block_on(async {
        spawn_pinned(|| async {
            let flag = Rc::new(Cell::new(false));
            let f = flag.clone();
            let busy = spawn_local(async move {
                // Never parks: only the budget (128 per poll) lets the other task in.
                for _ in 0..1_000 {
                    consume_budget().await;
                }
                f.get()
            });
            let f = flag.clone();
            let other = spawn_local(async move { f.set(true) });
            let seen = busy.await.unwrap();
            other.await.unwrap();
            seen
        })
        .await
        .unwrap()
    });
    assert!(
        other_ran_first,
        "a spent budget must requeue the busy task behind the other one"
    );
}

#[test]
fn spawn_local_outside_a_pinned_task_panics_naming_spawn_pinned() {
    let _s = serial();
    let _w = watchdog("spawn_local_outside", WATCHDOG);
    let e = std::panic::catch_unwind(|| drop(spawn_local(async {}))).unwrap_err();
    let msg = panic_message(&*e);
    assert!(msg.contains("spawn_pinned"), "{msg}");
    // Inside an ordinary task, too.
    let rt = rt(2);
    let err = rt
        .block_on(rt.spawn(async { drop(spawn_local(async {})) }))
        .unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("spawn_pinned"), "{err}");
    // And outside a runtime, spawn_pinned itself says what to do.
    let e = std::panic::catch_unwind(|| drop(spawn_pinned(|| async {}))).unwrap_err();
    let msg = panic_message(&*e);
    assert!(msg.contains("outside a gosched runtime"), "{msg}");
}

#[test]
fn dump_shows_pinned_tasks_as_locked_and_metrics_count_their_threads() {
    let _s = serial();
    let _w = watchdog("pinned_dump", WATCHDOG);
    let rt = rt(2);
    assert_eq!(rt.metrics().locked_threads, 0);
    let started = Arc::new(AtomicUsize::new(0));
    let pinned: Vec<_> = (0..3)
        .map(|i| {
            let s = started.clone();
            spawn_pinned_on(&rt, move || async move {
                if i == 0 {
                    // A local child: locked too, and on the same thread (not counted again).
                    drop(spawn_local(std::future::pending::<()>()));
                }
                s.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await
            })
        })
        .collect();
    let plain = rt.spawn(std::future::pending::<()>());
    wait_until("3 pinned tasks started", || started.load(Ordering::SeqCst) == 3);
    assert_eq!(rt.metrics().locked_threads, 3);
    let dump = rt.dump();
    let locked: Vec<_> = dump.iter().filter(|t| t.locked).collect();
    assert_eq!(locked.len(), 4, "{dump:#?}");
    for h in &pinned {
        assert!(dump.iter().any(|t| t.id == h.id() && t.locked), "{dump:#?}");
    }
    let plain_info = dump.iter().find(|t| t.id == plain.id()).unwrap();
    assert!(!plain_info.locked);
    assert!(
        locked[0].to_string().contains("locked to thread"),
        "{}",
        locked[0]
    );
    assert!(!plain_info.to_string().contains("locked"), "{plain_info}");
    for h in pinned {
        h.abort();
        assert!(rt.block_on(h).unwrap_err().is_cancelled());
    }
    wait_until("no locked threads left", || rt.metrics().locked_threads == 0);
    // The pinned tasks and the local child are gone; the plain task is left.
    wait_until("one task left", || rt.dump().len() == 1);
    plain.abort();
}

#[test]
fn thread_hooks_and_stack_size_apply_to_pinned_threads() {
    let _s = serial();
    let _w = watchdog("pinned_hooks", WATCHDOG);
    static STARTS: AtomicUsize = AtomicUsize::new(0);
    static STOPS: AtomicUsize = AtomicUsize::new(0);
    let on_pinned = |n: &'static AtomicUsize| {
        move || {
            if thread::current().name() == Some("gosched-pinned") {
                n.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    let rt = Builder::new()
        .maxprocs(1)
        .thread_stack_size(32 << 20)
        .on_thread_start(on_pinned(&STARTS))
        .on_thread_stop(on_pinned(&STOPS))
        .build()
        .unwrap();
    let big = rt.block_on(async {
        spawn_pinned(|| async {
            // 3 MiB on the stack (more in a debug build): past the default 2 MiB of a thread.
            let buf = std::hint::black_box([1u8; 3 << 20]);
            buf.iter().map(|&b| u64::from(b)).sum::<u64>()
        })
        .await
        .unwrap()
    });
    assert_eq!(big, 3 << 20);
    wait_until("no locked threads left", || rt.metrics().locked_threads == 0);
    assert_eq!(STARTS.load(Ordering::SeqCst), 1);
    assert_eq!(STOPS.load(Ordering::SeqCst), 1);
}

#[test]
fn a_pinned_task_can_start_and_await_another_pinned_task() {
    let _s = serial();
    let _w = watchdog("nested_pinned", WATCHDOG);
    let rt = rt(1);
    let (outer, inner) = rt.block_on(async {
        spawn_pinned(|| async {
            let me = thread::current().id();
            let marker = Rc::new(1u8);
            let inner = spawn_pinned(|| async {
                yield_now().await;
                thread::current().id()
            })
            .await
            .unwrap();
            assert_eq!(*marker, 1);
            (me, inner)
        })
        .await
        .unwrap()
    });
    assert_ne!(outer, inner, "each pinned task has a thread of its own");
    wait_until("no locked threads left", || rt.metrics().locked_threads == 0);
}

gosched_executor::task_local! {
    static REQUEST: Rc<RefCell<Vec<u32>>>;
}

#[test]
fn task_local_works_inside_a_pinned_task_with_a_not_send_value() {
    let _s = serial();
    let _w = watchdog("pinned_task_local", WATCHDOG);
    let rt = rt(2);
    let (seen, child_saw_it) = rt.block_on(async {
        spawn_pinned(|| {
            let log = Rc::new(RefCell::new(Vec::new()));
            REQUEST.scope(log.clone(), async move {
                for i in 0..5 {
                    REQUEST.with(|l| l.borrow_mut().push(i));
                    sleep(Duration::from_micros(100)).await;
                    yield_now().await;
                }
                // A local task is a new future: no scope, so no value.
                let child = spawn_local(async { REQUEST.try_with(|_| ()).is_ok() })
                    .await
                    .unwrap();
                let seen = log.borrow().clone();
                (seen, child)
            })
        })
        .await
        .unwrap()
    });
    assert_eq!(seen, vec![0, 1, 2, 3, 4]);
    assert!(!child_saw_it);
}
