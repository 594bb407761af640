//! tokio::sync::Mutex: FIFO, guards across awaits, try_lock, owned and mapped guards,
//! cancellation.

mod support;
use std::sync::Arc;
use support::{leaked, spawn};
use tokio::sync::{Mutex, MutexGuard, OwnedMutexGuard};

#[test]
fn lock_try_lock_and_unlock() {
    let m = Mutex::new(0);
    let mut g = m.try_lock().unwrap();
    *g += 1;
    assert!(m.try_lock().is_err());
    assert_eq!(m.try_lock().unwrap_err().to_string(), "operation would block");
    let mut t = spawn(m.lock());
    assert_pending!(t.poll());
    drop(g);
    assert!(t.is_woken());
    assert_eq!(*assert_ready!(t.poll()), 1);
}

#[test]
fn lockers_are_served_fifo_and_try_lock_cannot_barge() {
    let m = Mutex::new(Vec::new());
    let g = m.try_lock().unwrap();
    let mut a = spawn(async { m.lock().await.push('a') });
    let mut b = spawn(async { m.lock().await.push('b') });
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    drop(g);
    assert!(m.try_lock().is_err(), "the lock was handed to the first waiter");
    assert_pending!(b.poll(), "b is behind a");
    assert_ready!(a.poll());
    assert_ready!(b.poll());
    assert_eq!(*m.try_lock().unwrap(), ['a', 'b']);
}

#[test]
fn dropped_lock_future_gives_up_its_place() {
    let m = Mutex::new(());
    let g = m.try_lock().unwrap();
    let mut a = spawn(m.lock());
    let mut b = spawn(m.lock());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    drop(g); // handed to a
    let c = a.drop_future(); // a is cancelled holding the hand-off
    assert_eq!(leaked(&c), 0);
    assert!(b.is_woken());
    let _gb = assert_ready!(b.poll());
}

#[test]
fn map_try_map_and_owned_guards() {
    let m = Mutex::new((1, String::from("x")));
    let g = m.try_lock().unwrap();
    let mut s = MutexGuard::map(g, |v| &mut v.1);
    s.push('y');
    drop(s);
    let g = m.try_lock().unwrap();
    let g = MutexGuard::try_map(g, |_| None::<&mut u8>).unwrap_err();
    assert_eq!(g.0, 1);
    drop(g);
    let a = Arc::new(Mutex::new(5));
    let og = futures::executor::block_on(a.clone().lock_owned());
    assert!(a.clone().try_lock_owned().is_err());
    assert!(Arc::ptr_eq(OwnedMutexGuard::mutex(&og), &a));
    let mut mapped = OwnedMutexGuard::map(og, |v| v);
    *mapped += 1;
    drop(mapped);
    assert_eq!(*a.try_lock().unwrap(), 6);
    assert_eq!(m.into_inner().1, "xy");
}

#[test]
fn get_mut_into_inner_debug_and_statics() {
    static M: Mutex<u32> = Mutex::const_new(3);
    assert_eq!(*M.try_lock().unwrap(), 3);
    let mut m = Mutex::new(1);
    *m.get_mut() = 2;
    assert_eq!(format!("{m:?}"), "Mutex { data: 2 }");
    let g = m.try_lock().unwrap();
    assert_eq!(format!("{m:?}"), "Mutex { data: <locked> }");
    drop(g);
    assert_eq!(m.into_inner(), 2);
}

#[test]
fn blocking_lock_from_a_plain_thread() {
    let m = Arc::new(Mutex::new(0));
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    *m.blocking_lock() += 1;
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(*m.blocking_lock(), 400);
}

#[test]
fn guards_held_across_awaits_on_gosched() {
    let n = support::run(async {
        let m = Arc::new(Mutex::new(0u64));
        let mut hs = Vec::new();
        for _ in 0..8 {
            let m = m.clone();
            hs.push(gosched_executor::spawn(async move {
                for _ in 0..100 {
                    let mut g = m.lock().await;
                    let v = *g;
                    gosched_executor::task::yield_now().await; // held across an await
                    *g = v + 1;
                }
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
        Arc::try_unwrap(m).expect("every task joined").into_inner()
    });
    assert_eq!(n, 800);
}
