//! tokio::task on gosched: JoinSet order and ids, abort, task_local!, and that every task is
//! a gosched task.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};
use tokio::task::{self, JoinSet};

fn paused() -> Runtime {
    Builder::new_current_thread().start_paused(true).build().unwrap()
}

fn multi() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).build().unwrap()
}

#[test]
fn join_set_returns_in_completion_order() {
    paused().block_on(async {
        let mut set = JoinSet::new();
        for i in [3u64, 1, 2] {
            set.spawn(async move {
                tokio::time::sleep(Duration::from_secs(i)).await;
                i
            });
        }
        assert_eq!(set.len(), 3);
        let mut order = Vec::new();
        while let Some(r) = set.join_next().await {
            order.push(r.unwrap());
        }
        assert_eq!(order, [1, 2, 3]);
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn join_next_with_id_matches_the_abort_handle() {
    multi().block_on(async {
        let mut set = JoinSet::new();
        let a = set.spawn(async {}).id();
        let b = set.spawn_blocking(|| ()).id();
        let mut seen = Vec::new();
        while let Some(r) = set.try_join_next_with_id() {
            seen.push(r.unwrap().0);
        }
        while let Some(r) = set.join_next_with_id().await {
            seen.push(r.unwrap().0);
        }
        seen.sort();
        let mut want = vec![a, b];
        want.sort();
        assert_eq!(seen, want);
    });
}

#[test]
fn join_set_abort_all_and_shutdown() {
    multi().block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..4 {
            set.spawn(std::future::pending::<()>());
        }
        set.spawn(async {});
        set.abort_all();
        let mut cancelled = 0;
        while let Some(r) = set.join_next().await {
            if let Err(e) = r {
                assert!(e.is_cancelled());
                cancelled += 1;
            }
        }
        assert!(cancelled >= 4);
        for _ in 0..3 {
            set.spawn(std::future::pending::<()>());
        }
        set.shutdown().await;
        assert!(set.is_empty());
    });
}

#[test]
fn join_set_drop_aborts_and_detach_all_does_not() {
    let rt = multi();
    rt.block_on(async {
        let dropped = Arc::new(AtomicBool::new(false));
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let mut set = JoinSet::new();
        let flag = Flag(dropped.clone());
        set.spawn(async move {
            let _f = flag;
            std::future::pending::<()>().await
        });
        drop(set);
        for _ in 0..1000 {
            if dropped.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(dropped.load(Ordering::SeqCst));

        let (tx, rx) = tokio_oneshot();
        let mut set = JoinSet::new();
        set.spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            tx.send(()).unwrap();
        });
        set.detach_all();
        assert!(set.is_empty());
        drop(set);
        assert!(rx.recv_timeout(Duration::from_secs(10)).is_ok());
    });
}

/// A std channel: the facade's sync module is another branch's.
fn tokio_oneshot() -> (std::sync::mpsc::Sender<()>, std::sync::mpsc::Receiver<()>) {
    std::sync::mpsc::channel()
}

#[test]
fn join_all_and_from_iterator() {
    multi().block_on(async {
        let set: JoinSet<u32> = (0..5u32).map(|i| async move { i }).collect();
        let mut all = set.join_all().await;
        all.sort();
        assert_eq!(all, [0, 1, 2, 3, 4]);
        let mut set = JoinSet::new();
        set.extend((0..2u32).map(|i| async move { i }));
        assert_eq!(set.len(), 2);
    });
}

#[test]
#[should_panic(expected = "boom")]
fn join_all_resumes_a_panic() {
    multi().block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("boom") });
        set.join_all().await;
    });
}

#[test]
fn abort_and_join_handle_surface() {
    multi().block_on(async {
        let h = tokio::spawn(std::future::pending::<()>());
        let abort = h.abort_handle();
        assert_eq!(abort.id(), h.id());
        assert!(!h.is_finished());
        abort.abort();
        let err = h.await.unwrap_err();
        assert!(err.is_cancelled());
        let p = tokio::spawn(async { panic!("in task") }).await.unwrap_err();
        assert!(p.is_panic());
        let h = tokio::spawn(std::future::pending::<()>());
        h.abort();
        let io: std::io::Error = h.await.unwrap_err().into();
        assert_eq!(io.kind(), std::io::ErrorKind::Other);
    });
}

#[test]
fn spawned_tasks_are_gosched_tasks() {
    multi().block_on(async {
        assert!(task::try_id().is_none(), "block_on's own future is not a task");
        let (tok, gos) = tokio::spawn(async { (task::id(), gosched_executor::task::id()) })
            .await
            .unwrap();
        assert_eq!(tok, gos);
        let blocking = task::spawn_blocking(|| 5).await.unwrap();
        assert_eq!(blocking, 5);
        let v = tokio::spawn(async { task::block_in_place(|| 6) }).await.unwrap();
        assert_eq!(v, 6);
        task::yield_now().await;
        task::consume_budget().await;
    });
}

tokio::task_local! {
    static NUMBER: u32;
    static NAME: String;
}

#[test]
fn task_local_scope_nests_and_crosses_awaits() {
    multi().block_on(async {
        NUMBER
            .scope(1, async {
                assert_eq!(NUMBER.get(), 1);
                NUMBER
                    .scope(2, async {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        assert_eq!(NUMBER.get(), 2);
                    })
                    .await;
                task::yield_now().await;
                assert_eq!(NUMBER.get(), 1);
            })
            .await;
        assert!(NUMBER.try_with(|n| *n).is_err());
        assert!(NUMBER.try_get().is_err());
        // tokio's get() clones (String is Clone, not Copy).
        let name = NAME.scope("gopher".into(), async { NAME.get() }).await;
        assert_eq!(name, "gopher");
        // Not inherited by spawned tasks.
        let inherited = NUMBER
            .scope(9, async {
                tokio::spawn(async { NUMBER.try_get().is_ok() }).await.unwrap()
            })
            .await;
        assert!(!inherited);
        assert_eq!(NUMBER.sync_scope(4, || NUMBER.get()), 4);
    });
}

#[test]
fn task_local_value_is_seen_by_the_futures_drop() {
    struct SeesLocal(Arc<AtomicBool>);
    impl Drop for SeesLocal {
        fn drop(&mut self) {
            self.0.store(NUMBER.try_get() == Ok(5), Ordering::SeqCst);
        }
    }
    let seen = Arc::new(AtomicBool::new(false));
    let guard = SeesLocal(seen.clone());
    let fut = NUMBER.scope(5, async move {
        let _g = guard;
        std::future::pending::<()>().await
    });
    let mut fut = Box::pin(fut);
    assert_eq!(fut.as_mut().take_value(), Some(5));
    drop(fut);
    assert!(!seen.load(Ordering::SeqCst), "the value was taken out");
    let seen = Arc::new(AtomicBool::new(false));
    let guard = SeesLocal(seen.clone());
    drop(NUMBER.scope(5, async move {
        let _g = guard;
    }));
    assert!(seen.load(Ordering::SeqCst));
}

#[test]
#[should_panic(expected = "cannot access a task-local storage value without setting it first")]
fn task_local_with_outside_scope_panics() {
    NUMBER.with(|_| ());
}

#[test]
fn coop_surface_is_gosched_budget() {
    multi().block_on(async {
        let spent_all = tokio::spawn(async {
            // A leaf future spends one unit per ready poll; 1000 ready polls in one task
            // exhaust the 128-unit budget at least once (the task is requeued, not stuck).
            let mut saw_empty = false;
            for _ in 0..1000 {
                std::future::poll_fn(|cx| task::coop::poll_proceed(cx).map(|r| r.made_progress())).await;
                saw_empty |= !task::coop::has_budget_remaining();
            }
            saw_empty
        });
        assert!(spent_all.await.unwrap());
        let never_empty = tokio::spawn(task::unconstrained(async {
            let mut always = true;
            for _ in 0..1000 {
                task::consume_budget().await;
                always &= task::coop::has_budget_remaining();
            }
            always
        }));
        assert!(never_empty.await.unwrap());
    });
}

#[test]
fn join_set_after_its_runtime_is_gone() {
    let rt = multi();
    let mut set = JoinSet::new();
    rt.block_on(async {
        for _ in 0..3 {
            set.spawn(std::future::pending::<()>());
        }
    });
    drop(rt);
    let mut cancelled = 0;
    while let Some(r) = futures::executor::block_on(set.join_next()) {
        assert!(r.unwrap_err().is_cancelled());
        cancelled += 1;
    }
    assert_eq!(cancelled, 3);
}

#[test]
fn dump_shows_the_callers_spawn_line() {
    let rt = multi();
    let h1 = rt.spawn(std::future::pending::<()>());
    let line1 = line!() - 1;
    let h2 = rt.handle().spawn(std::future::pending::<()>());
    let line2 = line!() - 1;
    let mut set = JoinSet::new();
    let (spawned, dump) = rt.block_on(async {
        let h3 = tokio::spawn(std::future::pending::<()>());
        let line3 = line!() - 1;
        let h4 = set.spawn(std::future::pending::<()>());
        let line4 = line!() - 1;
        let dump = gosched_executor::runtime::Handle::current().dump();
        ([(h3.id(), line3), (h4.id(), line4)], dump)
    });
    for (id, line) in [(h1.id(), line1), (h2.id(), line2)].into_iter().chain(spawned) {
        let info = dump.iter().find(|t| t.id == id).expect("task in the dump");
        assert!(
            info.spawned_at.file().ends_with("task_api.rs"),
            "{}",
            info.spawned_at
        );
        assert_eq!(info.spawned_at.line(), line);
    }
}

#[test]
fn join_next_spends_budget_so_other_tasks_run() {
    let rt = Builder::new_current_thread().build().unwrap();
    let seen_at = rt.block_on(rt.spawn(async {
        let mut set = JoinSet::new();
        let handles: Vec<_> = (0..1000).map(|_| set.spawn(async {})).collect();
        // Let every member finish before joining, so join_next never waits. (Sleeping, not
        // yield_now: a yielded task stays on the local queue, and one P then reads the
        // global queue, where most of the 1000 overflowed, once per 61 ticks.)
        for _ in 0..10_000 {
            if handles.iter().all(|h| h.is_finished()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let done = handles.iter().filter(|h| h.is_finished()).count();
        assert_eq!(done, 1000);
        let other_ran = Arc::new(AtomicBool::new(false));
        let flag = other_ran.clone();
        tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
        let (mut joined, mut seen_at) = (0, None);
        while let Some(r) = set.join_next().await {
            r.unwrap();
            joined += 1;
            if seen_at.is_none() && other_ran.load(Ordering::SeqCst) {
                seen_at = Some(joined);
            }
        }
        assert_eq!(joined, 1000);
        seen_at
    }));
    let seen_at = seen_at
        .unwrap()
        .expect("the other task ran while the set was joined");
    assert!(seen_at < 1000, "it ran only after all 1000 joins");
}
