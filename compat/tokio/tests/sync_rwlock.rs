//! tokio::sync::RwLock: shared readers, exclusive writers, fairness, downgrade, owned guards.

mod support;
use std::sync::Arc;
use support::{leaked, spawn};
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

#[test]
fn readers_share_writers_exclude() {
    let l = RwLock::new(1);
    let a = l.try_read().unwrap();
    let b = l.try_read().unwrap();
    assert_eq!(*a + *b, 2);
    assert!(l.try_write().is_err());
    let mut w = spawn(l.write());
    assert_pending!(w.poll());
    drop(a);
    assert_pending!(w.poll());
    drop(b);
    assert!(w.is_woken());
    let mut g = assert_ready!(w.poll());
    *g = 5;
    assert!(l.try_read().is_err());
    drop(g);
    drop(w);
    assert_eq!(*l.try_read().unwrap(), 5);
}

#[test]
fn a_queued_writer_keeps_later_readers_out() {
    let l = RwLock::new(0);
    let r1 = l.try_read().unwrap();
    let mut w = spawn(l.write());
    assert_pending!(w.poll());
    assert!(l.try_read().is_err(), "a reader may not pass the waiting writer");
    let mut r2 = spawn(l.read());
    assert_pending!(r2.poll());
    drop(r1);
    assert!(w.is_woken());
    let g = assert_ready!(w.poll());
    assert_pending!(r2.poll());
    drop(g);
    assert!(r2.is_woken());
    let _r = assert_ready!(r2.poll());
}

#[test]
fn downgrade_admits_waiting_readers() {
    let l = RwLock::new(1);
    let w = l.try_write().unwrap();
    let mut r = spawn(l.read());
    assert_pending!(r.poll());
    let d = RwLockWriteGuard::downgrade(w);
    assert!(r.is_woken());
    assert_eq!(*assert_ready!(r.poll()) + *d, 2);
    assert!(l.try_write().is_err());
}

#[test]
fn max_readers_limits_concurrent_readers() {
    let l = RwLock::with_max_readers(0, 2);
    let _a = l.try_read().unwrap();
    let _b = l.try_read().unwrap();
    assert!(l.try_read().is_err());
}

#[test]
fn mapped_and_owned_guards() {
    let l = RwLock::new((1, 2));
    let r = RwLockReadGuard::map(l.try_read().unwrap(), |v| &v.1);
    assert_eq!(*r, 2);
    drop(r);
    let mut w = RwLockWriteGuard::map(l.try_write().unwrap(), |v| &mut v.0);
    *w = 10;
    drop(w);
    let a = Arc::new(RwLock::new(String::from("a")));
    let og = a.clone().try_write_owned().unwrap();
    assert!(a.clone().try_read_owned().is_err());
    let og = tokio::sync::OwnedRwLockWriteGuard::downgrade(og);
    let r2 = futures::executor::block_on(a.clone().read_owned());
    assert_eq!(format!("{}{}", *og, *r2), "aa");
    drop((og, r2));
    futures::executor::block_on(a.clone().write_owned()).push('b');
    assert_eq!(*a.blocking_read(), "ab");
    assert_eq!(l.into_inner(), (10, 2));
}

#[test]
fn dropped_write_future_gives_up_its_place() {
    let l = RwLock::new(0);
    let r = l.try_read().unwrap();
    let mut w = spawn(l.write());
    assert_pending!(w.poll());
    let c = w.drop_future();
    assert_eq!(leaked(&c), 0);
    let _r2 = l
        .try_read()
        .expect("readers are admitted again once the writer left");
    drop(r);
}

#[test]
fn readers_and_writers_across_gosched_tasks() {
    let v = support::run(async {
        let l = Arc::new(RwLock::new(0u64));
        let mut hs = Vec::new();
        for i in 0..8 {
            let l = l.clone();
            hs.push(gosched_executor::spawn(async move {
                for _ in 0..100 {
                    if i % 2 == 0 {
                        let mut g = l.write().await;
                        let v = *g;
                        gosched_executor::task::yield_now().await;
                        *g = v + 1;
                    } else {
                        let g = l.read().await;
                        let v = *g;
                        gosched_executor::task::yield_now().await;
                        assert_eq!(*g, v, "no writer while a reader holds the lock");
                    }
                }
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
        Arc::try_unwrap(l).expect("every task joined").into_inner()
    });
    assert_eq!(v, 400);
}

#[test]
fn try_map_gives_the_guard_back_on_none() {
    let l = RwLock::new(vec![1, 2]);
    let r = RwLockReadGuard::try_map(l.try_read().unwrap(), |v| v.get(5)).unwrap_err();
    let first = RwLockReadGuard::try_map(r, |v| v.first()).unwrap();
    assert_eq!(*first, 1);
    drop(first);
    let w = RwLockWriteGuard::try_map(l.try_write().unwrap(), |v| v.get_mut(9)).unwrap_err();
    let mut last = RwLockWriteGuard::try_map(w, |v| v.last_mut()).unwrap();
    *last = 20;
    assert!(l.try_read().is_err());
    drop(last);
    assert_eq!(*l.try_read().unwrap(), [1, 20]);
}
