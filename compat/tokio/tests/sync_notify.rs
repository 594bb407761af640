//! tokio::sync::Notify: stored permits, notify_waiters, FIFO, enable, cancellation.

mod support;
use std::sync::Arc;
use support::{leaked, spawn};
use tokio::sync::Notify;

#[test]
fn notify_one_before_notified_stores_a_permit() {
    let n = Notify::new();
    n.notify_one();
    let mut t = spawn(n.notified());
    assert_ready!(t.poll());
    // Only one permit is stored, however many notify_one calls came first.
    n.notify_one();
    n.notify_one();
    assert_ready!(spawn(n.notified()).poll());
    assert_pending!(spawn(n.notified()).poll());
}

#[test]
fn notify_one_wakes_a_waiter() {
    let n = Notify::new();
    let mut t = spawn(n.notified());
    assert_pending!(t.poll());
    n.notify_one();
    assert!(t.is_woken());
    assert_ready!(t.poll());
    // The notification was consumed by the waiter: no permit left.
    assert_pending!(spawn(n.notified()).poll());
}

#[test]
fn notify_one_is_fifo_and_notify_last_is_lifo() {
    let n = Notify::new();
    let mut a = spawn(n.notified());
    let mut b = spawn(n.notified());
    let mut c = spawn(n.notified());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    assert_pending!(c.poll());
    n.notify_one();
    assert!(a.is_woken() && !b.is_woken() && !c.is_woken());
    n.notify_last();
    assert!(c.is_woken() && !b.is_woken());
    assert_ready!(a.poll());
    assert_ready!(c.poll());
    assert_pending!(b.poll());
}

#[test]
fn notify_waiters_wakes_all_created_before_and_stores_nothing() {
    let n = Notify::new();
    let mut polled = spawn(n.notified());
    assert_pending!(polled.poll());
    let mut unpolled = spawn(n.notified()); // created before the call, never polled
    n.notify_waiters();
    assert!(polled.is_woken());
    assert_ready!(polled.poll());
    assert_ready!(unpolled.poll());
    let mut later = spawn(n.notified());
    assert_pending!(later.poll(), "notify_waiters stores no permit");
}

#[test]
fn enable_registers_without_polling() {
    let n = Notify::new();
    let mut f = Box::pin(n.notified());
    assert!(!f.as_mut().enable());
    n.notify_one(); // goes to the enabled future, not into a stored permit
    assert_pending!(spawn(n.notified()).poll());
    let mut t = spawn(f);
    assert_ready!(t.poll());
}

#[test]
fn dropped_notified_passes_its_notification_on() {
    let n = Notify::new();
    let mut a = spawn(n.notified());
    let mut b = spawn(n.notified());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    n.notify_one(); // to a
    let c = a.drop_future(); // a is cancelled before it returned Ready
    assert_eq!(leaked(&c), 0, "the dropped future released its waker");
    assert!(b.is_woken(), "a's notification went to b");
    assert_ready!(b.poll());
}

#[test]
fn dropped_notified_with_no_one_left_stores_the_permit() {
    let n = Notify::new();
    let mut a = spawn(n.notified());
    assert_pending!(a.poll());
    n.notify_one();
    drop(a);
    assert_ready!(spawn(n.notified()).poll());
}

#[test]
fn dropped_waiting_notified_releases_its_waker_and_place() {
    let n = Notify::new();
    let mut a = spawn(n.notified());
    let mut b = spawn(n.notified());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    let c = a.drop_future();
    assert_eq!(leaked(&c), 0);
    n.notify_one();
    assert!(b.is_woken());
    assert_ready!(b.poll());
}

#[test]
fn ping_pong_across_tasks_on_gosched() {
    // Each side's notify_one may come before the other side awaits: the stored permit keeps
    // every round from being lost.
    let rounds = support::run(async {
        let (ping, pong) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let (ping2, pong2) = (ping.clone(), pong.clone());
        let h = gosched_executor::spawn(async move {
            for _ in 0..1000 {
                ping2.notified().await;
                pong2.notify_one();
            }
        });
        for _ in 0..1000 {
            ping.notify_one();
            pong.notified().await;
        }
        h.await.unwrap();
        1000
    });
    assert_eq!(rounds, 1000);
}

#[test]
fn owned_notified_is_static_and_passes_on_like_notified() {
    let n = Arc::new(Notify::new());
    let mut a = spawn(n.clone().notified_owned());
    let mut b = spawn(n.clone().notified_owned());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    n.notify_one();
    drop(a);
    assert!(b.is_woken());
    assert_ready!(b.poll());
    let mut f: std::pin::Pin<Box<tokio::sync::futures::OwnedNotified>> = Box::pin(n.clone().notified_owned());
    assert!(!f.as_mut().enable());
    n.notify_waiters();
    assert_ready!(spawn(f).poll());
}

/// A waker whose drop notifies the same `Notify` (it may run any code): dropping or waking it
/// must not happen under the `Notify`'s lock.
struct NotifyOnDrop(Arc<Notify>);

impl std::task::Wake for NotifyOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        self.0.notify_waiters();
        self.0.notify_one();
    }
}

#[test]
fn a_waker_that_notifies_in_its_drop_does_not_deadlock() {
    support::with_watchdog(|| {
        use std::future::Future;
        let notify = Arc::new(Notify::new());
        let mut fut = Box::pin(notify.notified());
        {
            let waker = std::task::Waker::from(Arc::new(NotifyOnDrop(notify.clone())));
            let mut cx = std::task::Context::from_waker(&waker);
            assert!(fut.as_mut().poll(&mut cx).is_pending());
        }
        notify.notify_waiters(); // wakes, and so drops, the last clone of that waker
        drop(fut);
        // The waker's drop stored a permit (notify_one with nobody queued): take it.
        assert_ready!(spawn(notify.notified()).poll());
        let mut fut = Box::pin(notify.notified());
        {
            let waker = std::task::Waker::from(Arc::new(NotifyOnDrop(notify.clone())));
            let mut cx = std::task::Context::from_waker(&waker);
            assert!(fut.as_mut().poll(&mut cx).is_pending());
        }
        drop(fut); // the queued waker is dropped with the future
    });
}
