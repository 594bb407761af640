//! tokio::sync::Semaphore: permits, FIFO fairness, close, owned permits, cancellation.

mod support;
use std::sync::Arc;
use support::{leaked, spawn};
use tokio::sync::{Semaphore, TryAcquireError};

#[test]
fn try_acquire_and_release() {
    let s = Semaphore::new(2);
    let a = s.try_acquire().unwrap();
    let b = s.try_acquire().unwrap();
    assert_eq!(s.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    assert_eq!(s.available_permits(), 0);
    drop(a);
    assert_eq!(s.available_permits(), 1);
    drop(b);
    assert_eq!(s.try_acquire_many(2).unwrap().num_permits(), 2);
    assert_eq!(s.available_permits(), 2);
}

#[test]
fn acquire_waits_and_is_woken_by_release() {
    let s = Semaphore::new(1);
    let p = s.try_acquire().unwrap();
    let mut t = spawn(s.acquire());
    assert_pending!(t.poll());
    assert!(!t.is_woken());
    drop(p);
    assert!(t.is_woken());
    let p2 = assert_ready!(t.poll()).unwrap();
    assert_eq!(s.available_permits(), 0);
    drop(p2);
    assert_eq!(s.available_permits(), 1);
}

#[test]
fn fifo_large_acquire_many_at_the_head_blocks_later_small_ones() {
    let s = Semaphore::new(3);
    let held = s.try_acquire_many(3).unwrap();
    let mut big = spawn(s.acquire_many(2));
    let mut small = spawn(s.acquire());
    assert_pending!(big.poll());
    assert_pending!(small.poll());
    // One permit frees: the head (needs 2) keeps it; the later small acquire must not take it.
    let mut held = held;
    let one = held.split(1).unwrap();
    drop(one);
    assert_eq!(
        s.available_permits(),
        0,
        "the freed permit went to the head waiter"
    );
    assert!(
        s.try_acquire().is_err(),
        "try_acquire cannot barge past a queued waiter"
    );
    assert_pending!(small.poll());
    assert_pending!(big.poll());
    drop(held); // two more: the head completes, then the small one.
    assert!(big.is_woken());
    assert!(small.is_woken());
    let b = assert_ready!(big.poll()).unwrap();
    let sm = assert_ready!(small.poll()).unwrap();
    assert_eq!((b.num_permits(), sm.num_permits()), (2, 1));
}

#[test]
fn waiters_are_served_in_arrival_order() {
    let s = Semaphore::new(1);
    let p = s.try_acquire().unwrap();
    let mut a = spawn(s.acquire());
    let mut b = spawn(s.acquire());
    assert_pending!(b.poll()); // b queues first
    assert_pending!(a.poll());
    drop(p);
    assert!(b.is_woken());
    assert!(!a.is_woken());
    assert_pending!(a.poll());
    let pb = assert_ready!(b.poll()).unwrap();
    drop(pb);
    assert!(a.is_woken());
    let _pa = assert_ready!(a.poll()).unwrap();
}

#[test]
fn dropped_acquire_leaves_the_queue_and_passes_its_permits_on() {
    let s = Semaphore::new(2);
    let held = s.try_acquire_many(2).unwrap();
    let mut head = spawn(s.acquire_many(2));
    let mut next = spawn(s.acquire());
    assert_pending!(head.poll());
    assert_pending!(next.poll());
    let mut held = held;
    drop(held.split(1).unwrap()); // one permit handed to the head, which still needs one
    assert_eq!(s.available_permits(), 0);
    assert_eq!(head.wakers_held(), 1);
    let c = head.drop_future();
    assert_eq!(leaked(&c), 0, "the dropped acquire released its waker");
    assert!(next.is_woken(), "the head's permit went to the next waiter");
    let _pn = assert_ready!(next.poll()).unwrap();
    drop(held);
    assert_eq!(s.available_permits(), 1);
}

#[test]
fn close_fails_waiting_and_later_acquires() {
    let s = Semaphore::new(0);
    let mut t = spawn(s.acquire());
    assert_pending!(t.poll());
    s.close();
    assert!(s.is_closed());
    assert!(t.is_woken());
    assert!(assert_ready!(t.poll()).is_err());
    assert_eq!(s.try_acquire().unwrap_err(), TryAcquireError::Closed);
    assert!(futures::executor::block_on(s.acquire()).is_err());
    assert_eq!(
        tokio::sync::AcquireError::to_string(&futures::executor::block_on(s.acquire()).unwrap_err()),
        "semaphore closed"
    );
    // Permits may still be added and counted after close.
    s.add_permits(2);
    assert_eq!(s.available_permits(), 2);
}

#[test]
fn owned_permits() {
    let s = Arc::new(Semaphore::new(3));
    let mut a = s.clone().try_acquire_owned().unwrap();
    let b = futures::executor::block_on(s.clone().acquire_many_owned(2)).unwrap();
    assert_eq!(s.available_permits(), 0);
    assert!(s.clone().try_acquire_many_owned(1).is_err());
    a.merge(b);
    assert_eq!(a.num_permits(), 3);
    assert!(Arc::ptr_eq(a.semaphore(), &s));
    let c = a.split(2).unwrap();
    assert!(a.split(5).is_none());
    drop(c);
    assert_eq!(s.available_permits(), 2);
    let mut t = spawn(s.clone().acquire_many_owned(3));
    assert_pending!(t.poll());
    drop(a);
    let _pt = assert_ready!(t.poll()).unwrap();
}

#[test]
fn forget_and_forget_permits() {
    let s = Semaphore::new(5);
    s.try_acquire_many(2).unwrap().forget();
    assert_eq!(s.available_permits(), 3);
    assert_eq!(s.forget_permits(10), 3);
    assert_eq!(s.available_permits(), 0);
    s.add_permits(1);
    assert_eq!(s.available_permits(), 1);
}

#[test]
#[should_panic]
fn merging_permits_of_two_semaphores_panics() {
    let (a, b) = (Semaphore::new(1), Semaphore::new(1));
    let mut pa = a.try_acquire().unwrap();
    pa.merge(b.try_acquire().unwrap());
}

#[test]
#[should_panic]
fn adding_past_max_permits_panics() {
    let s = Semaphore::new(Semaphore::MAX_PERMITS);
    s.add_permits(1);
}

#[test]
fn const_new_in_a_static() {
    static S: Semaphore = Semaphore::const_new(1);
    assert_eq!(S.try_acquire().unwrap().num_permits(), 1);
}

#[test]
fn many_tasks_share_the_permits_on_gosched() {
    let out = support::run(async {
        let s = Arc::new(Semaphore::new(3));
        let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..16 {
            let (s, inside) = (s.clone(), inside.clone());
            handles.push(gosched_executor::spawn(async move {
                for _ in 0..200 {
                    let _p = s.acquire().await.unwrap();
                    let n = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    assert!(n < 3, "more holders than permits");
                    gosched_executor::task::yield_now().await;
                    inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        s.available_permits()
    });
    assert_eq!(out, 3);
}

/// A waker whose drop uses the same semaphore: it must be woken and dropped after the lock.
struct ReleaseOnDrop(Arc<Semaphore>);

impl std::task::Wake for ReleaseOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        self.0.add_permits(1);
        let _ = self.0.try_acquire();
    }
}

#[test]
fn a_waker_that_uses_the_semaphore_in_its_drop_does_not_deadlock() {
    support::with_watchdog(|| {
        use std::future::Future;
        for how in 0..3 {
            let s = Arc::new(Semaphore::new(0));
            let mut fut = Box::pin(s.acquire_many(100));
            {
                let w = std::task::Waker::from(Arc::new(ReleaseOnDrop(s.clone())));
                let mut cx = std::task::Context::from_waker(&w);
                assert!(fut.as_mut().poll(&mut cx).is_pending());
            }
            match how {
                0 => drop(fut), // cancel: the entry's waker drops
                1 => {
                    s.close(); // close: wakes (drops) it
                    drop(fut);
                }
                _ => {
                    s.add_permits(100); // hand-off: wakes (drops) it
                    drop(fut);
                }
            }
        }
    });
}

#[test]
fn max_permits_bounds() {
    let s = Semaphore::new(0);
    s.add_permits(Semaphore::MAX_PERMITS);
    assert_eq!(s.available_permits(), Semaphore::MAX_PERMITS);
    let s = Semaphore::new(Semaphore::MAX_PERMITS - 1);
    s.add_permits(1);
    assert!(std::panic::catch_unwind(|| Semaphore::new(Semaphore::MAX_PERMITS + 1)).is_err());
}
