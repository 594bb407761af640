//! Spawning: from block_on, from inside a task, from a foreign thread; and outside a runtime.

mod common;

use common::{panic_message, watchdog};
use gosched_executor::runtime::{Builder, Handle, Runtime};
use std::time::Duration;

const N: u64 = 100_000;

#[test]
fn hundred_thousand_spawns_from_block_on() {
    let _w = watchdog("spawns_from_block_on", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..N)
            .map(|i| gosched_executor::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, N * (N - 1) / 2);
    let m = rt.metrics();
    assert!(m.spawned_total >= N, "{m:?}");
    assert!(m.polls_total >= N, "{m:?}");
}

#[test]
fn hundred_thousand_spawns_from_a_task() {
    let _w = watchdog("spawns_from_a_task", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let outer = rt.spawn(async {
        let handles: Vec<_> = (0..N)
            .map(|i| gosched_executor::spawn(async move { i * 2 }))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(rt.block_on(outer).unwrap(), N * (N - 1));
}

#[test]
fn spawn_from_a_foreign_thread_through_a_handle() {
    let _w = watchdog("foreign_thread", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let handle = rt.handle().clone();
    let joined: Vec<_> = (0..4u64)
        .map(|t| {
            let handle = handle.clone();
            std::thread::spawn(move || {
                assert!(Handle::try_current().is_none());
                let hs: Vec<_> = (0..1000u64)
                    .map(|i| handle.spawn(async move { t * 1000 + i }))
                    .collect();
                handle.block_on(async {
                    let mut s = 0;
                    for h in hs {
                        s += h.await.unwrap();
                    }
                    s
                })
            })
        })
        .collect();
    let total: u64 = joined.into_iter().map(|j| j.join().unwrap()).sum();
    assert_eq!(total, (0..4000u64).sum::<u64>());
}

#[test]
fn spawn_inside_a_task_sees_the_runtime() {
    let rt = Runtime::new().unwrap();
    let inner_has_handle = rt.block_on(rt.spawn(async {
        let h = gosched_executor::spawn(async { Handle::try_current().is_some() });
        h.await.unwrap() && gosched_executor::task::try_id().is_some()
    }));
    assert!(inner_has_handle.unwrap());
    rt.block_on(async {
        assert!(
            gosched_executor::task::try_id().is_none(),
            "block_on is not a task"
        )
    });
}

#[test]
fn spawn_outside_a_runtime_panics_with_the_fix() {
    let err = std::panic::catch_unwind(|| {
        drop(gosched_executor::spawn(async {}));
    })
    .unwrap_err();
    let msg = err.downcast_ref::<String>().expect("a formatted message");
    assert!(msg.contains("outside a gosched runtime"), "{msg}");
    assert!(msg.contains("Handle"), "the message names the fix: {msg}");
}

#[test]
fn handle_current_outside_panics_with_the_fix() {
    let err = std::panic::catch_unwind(Handle::current).unwrap_err();
    let msg = panic_message(&*err);
    assert!(msg.contains("no runtime here"), "{msg}");
}

#[test]
fn join_handle_ids_are_unique_and_match_task_id() {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let hs: Vec<_> = (0..100)
        .map(|_| rt.spawn(async { gosched_executor::task::id() }))
        .collect();
    let ids: Vec<_> = hs.iter().map(|h| h.id()).collect();
    let mut seen = ids.clone();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 100);
    for (h, id) in hs.into_iter().zip(ids) {
        assert_eq!(rt.block_on(h).unwrap(), id);
    }
}
