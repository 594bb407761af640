//! `task_local!`: the value follows its future across threads, steals and sysmon hand-offs;
//! no inheritance by spawned tasks; nesting; errors and panics that name the key; a panic
//! inside a scope drops the value and the runtime goes on.

mod common;

use common::{panic_message, watchdog};
use gosched_executor::runtime::{Builder, Runtime};
use gosched_executor::task::{self, AccessError};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

gosched_executor::task_local! {
    static REQUEST_ID: u64;
    static NAME: String;
    static GUARD: Tracked;
}

fn rt(maxprocs: usize) -> Runtime {
    Builder::new().maxprocs(maxprocs).build().unwrap()
}

/// A value that counts its drops.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn with_outside_a_scope_panics_naming_the_key() {
    let err = std::panic::catch_unwind(|| REQUEST_ID.with(|id| *id)).unwrap_err();
    let msg = panic_message(&*err);
    assert!(msg.contains("REQUEST_ID") && msg.contains("scope"), "{msg}");
    let err: AccessError = NAME.try_with(|n| n.len()).unwrap_err();
    assert!(err.to_string().contains("NAME"), "{err}");
    assert!(format!("{err:?}").contains("NAME"), "{err:?}");
    assert!(format!("{REQUEST_ID:?}").contains("REQUEST_ID"));
}

#[test]
fn the_value_follows_the_future_across_sysmon_handoffs() {
    let _w = watchdog("handoffs", Duration::from_secs(60));
    // One P, kept busy by a spinner: a scoped task that blocks its thread loses the P to
    // another M (sysmon's retake) and is polled next on whatever M then holds the P.
    let rt = rt(1);
    let stop = Arc::new(AtomicBool::new(false));
    let spin_stop = stop.clone();
    let spinner = rt.spawn(async move {
        while !spin_stop.load(Ordering::Relaxed) {
            task::yield_now().await;
        }
    });
    let scoped = rt.spawn(REQUEST_ID.scope(0xC0FFEE, async {
        let mut threads = HashSet::new();
        for round in 0..400 {
            assert_eq!(REQUEST_ID.get(), 0xC0FFEE, "round {round}");
            threads.insert(std::thread::current().id());
            if threads.len() >= 3 {
                break;
            }
            // Blocked in the kernel with work queued behind: sysmon hands the P off.
            std::thread::sleep(Duration::from_millis(3));
            assert_eq!(REQUEST_ID.get(), 0xC0FFEE, "round {round}, after the block");
            task::yield_now().await;
        }
        threads.len()
    }));
    let threads = rt.block_on(scoped).unwrap();
    stop.store(true, Ordering::Relaxed);
    rt.block_on(spinner).unwrap();
    assert!(rt.metrics().handoffs_total >= 1, "no handoff happened");
    assert!(
        threads >= 2,
        "the scoped future never moved to another thread ({threads})"
    );
}

#[test]
fn many_scoped_tasks_keep_their_own_values_across_steals() {
    let _w = watchdog("steals", Duration::from_secs(60));
    let rt = rt(2);
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let handles: Vec<_> = (0..32u64)
        .map(|i| {
            let threads = threads.clone();
            rt.spawn(REQUEST_ID.scope(i, async move {
                for _ in 0..200 {
                    assert_eq!(REQUEST_ID.get(), i);
                    threads.lock().unwrap().insert(std::thread::current().id());
                    task::yield_now().await;
                    assert_eq!(REQUEST_ID.get(), i);
                }
                REQUEST_ID.get()
            }))
        })
        .collect();
    rt.block_on(async {
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.await.unwrap(), i as u64);
        }
    });
    // Two Ps: the tasks ran on at least two threads, each always with its own value.
    assert!(threads.lock().unwrap().len() >= 2);
}

#[test]
fn spawned_tasks_do_not_inherit_the_value() {
    let _w = watchdog("no_inherit", Duration::from_secs(30));
    let rt = rt(2);
    let inner = rt.block_on(REQUEST_ID.scope(5, async {
        let child = gosched_executor::spawn(async { REQUEST_ID.try_with(|id| *id).is_err() });
        assert_eq!(REQUEST_ID.get(), 5);
        child.await.unwrap()
    }));
    assert!(inner, "a spawned task saw its parent's task-local value");
}

#[test]
fn nested_scopes_shadow_and_restore() {
    let _w = watchdog("nested", Duration::from_secs(30));
    let rt = rt(2);
    rt.block_on(NAME.scope("outer".to_string(), async {
        let inner = NAME.scope("inner".to_string(), async {
            task::yield_now().await;
            NAME.with(|n| n.clone())
        });
        assert_eq!(inner.await, "inner");
        assert_eq!(NAME.with(|n| n.clone()), "outer");
        let synced = NAME.sync_scope("sync".into(), || NAME.with(|n| n.clone()));
        assert_eq!(synced, "sync");
        assert_eq!(NAME.with(|n| n.clone()), "outer");
    }));
    assert!(NAME.try_with(|_| ()).is_err(), "the scope leaked past its future");
}

#[test]
fn a_panic_inside_a_scope_drops_the_value_and_the_runtime_goes_on() {
    let _w = watchdog("panic_in_scope", Duration::from_secs(30));
    let rt = rt(1);
    let drops = Arc::new(AtomicUsize::new(0));
    let err = rt
        .block_on(rt.spawn(GUARD.scope(Tracked(drops.clone()), async {
            task::yield_now().await;
            GUARD.with(|_| panic!("handler failed"))
        })))
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the scope's value was not dropped"
    );
    // The worker that unwound has no value left in its slot (one P: the same thread runs
    // these), and the runtime still runs tasks.
    for _ in 0..10 {
        let leaked = rt
            .block_on(rt.spawn(async { GUARD.try_with(|_| ()).is_ok() }))
            .unwrap();
        assert!(!leaked, "a panicked scope left its value set on the thread");
    }
    let v = rt
        .block_on(rt.spawn(REQUEST_ID.scope(1, async { REQUEST_ID.get() + 1 })))
        .unwrap();
    assert_eq!(v, 2);
}

#[test]
fn an_aborted_scope_drops_its_future_with_the_value_still_readable() {
    let _w = watchdog("abort_scope", Duration::from_secs(30));
    let rt = rt(2);
    let drops = Arc::new(AtomicUsize::new(0));
    let seen_in_drop = Arc::new(Mutex::new(None));

    /// Reads the task-local when dropped.
    struct ReadOnDrop(Arc<Mutex<Option<u64>>>);
    impl Drop for ReadOnDrop {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = REQUEST_ID.try_with(|id| *id).ok();
        }
    }

    let reader = ReadOnDrop(seen_in_drop.clone());
    let guard = Tracked(drops.clone());
    let h = rt.spawn(REQUEST_ID.scope(77, async move {
        let _reader = reader;
        let _guard = guard;
        std::future::pending::<()>().await;
    }));
    std::thread::sleep(Duration::from_millis(20));
    h.abort();
    assert!(rt.block_on(h).unwrap_err().is_cancelled());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(*seen_in_drop.lock().unwrap(), Some(77));
}

#[test]
fn sync_scope_restores_on_unwind() {
    let err = std::panic::catch_unwind(|| {
        REQUEST_ID.sync_scope(3, || {
            assert_eq!(REQUEST_ID.get(), 3);
            panic!("inside sync_scope")
        })
    })
    .unwrap_err();
    assert_eq!(panic_message(&*err), "inside sync_scope");
    assert!(REQUEST_ID.try_with(|_| ()).is_err());
}
