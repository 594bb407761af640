//! tokio::sync::watch: changed after send, borrow_and_update, send_modify, closing.

mod support;
use support::spawn;
use tokio::sync::watch;

#[test]
fn changed_after_send() {
    let (tx, mut rx) = watch::channel(0);
    assert!(!rx.has_changed().unwrap());
    let mut t = spawn(async { rx.changed().await });
    assert_pending!(t.poll());
    tx.send(1).unwrap();
    assert!(t.is_woken());
    assert_ready!(t.poll()).unwrap();
    drop(t);
    assert_eq!(*rx.borrow(), 1);
    assert!(!rx.has_changed().unwrap(), "changed() marked the value seen");
}

#[test]
fn borrow_and_update_marks_seen_but_borrow_does_not() {
    let (tx, mut rx) = watch::channel("a");
    tx.send("b").unwrap();
    let r = rx.borrow();
    assert!(r.has_changed());
    drop(r);
    assert!(rx.has_changed().unwrap());
    let r = rx.borrow_and_update();
    assert!(r.has_changed());
    assert_eq!(*r, "b");
    drop(r);
    assert!(!rx.has_changed().unwrap());
    assert!(!rx.borrow().has_changed());
    rx.mark_changed();
    assert!(rx.has_changed().unwrap());
    rx.mark_unchanged();
    assert!(!rx.has_changed().unwrap());
}

#[test]
fn send_modify_and_send_if_modified() {
    let (tx, mut rx) = watch::channel(vec![1]);
    tx.send_modify(|v| v.push(2));
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow_and_update(), [1, 2]);
    assert!(!tx.send_if_modified(|v| {
        v.push(3);
        false
    }));
    assert!(!rx.has_changed().unwrap(), "an unmodified send notifies nobody");
    assert_eq!(*rx.borrow(), [1, 2, 3]);
    assert_eq!(tx.send_replace(vec![9]), [1, 2, 3]);
    assert!(rx.has_changed().unwrap());
}

#[test]
fn send_without_receivers_fails_but_send_replace_stores() {
    let (tx, rx) = watch::channel(1);
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert_eq!(*tx.borrow(), 1, "a failed send stores nothing");
    tx.send_replace(3);
    let rx = tx.subscribe();
    assert_eq!(*rx.borrow(), 3);
    assert!(
        !rx.has_changed().unwrap(),
        "a new subscriber has seen the current value"
    );
    assert_eq!(tx.receiver_count(), 1);
}

#[test]
fn changed_fails_once_the_sender_is_gone() {
    let (tx, mut rx) = watch::channel(0);
    tx.send(1).unwrap();
    drop(tx);
    // The unseen value first, then the error.
    assert!(futures::executor::block_on(rx.changed()).is_ok());
    assert!(futures::executor::block_on(rx.changed()).is_err());
    assert!(rx.has_changed().is_err());
    assert_eq!(*rx.borrow(), 1);
}

#[test]
fn sender_closed_waits_for_every_receiver() {
    let (tx, rx) = watch::channel(0);
    let rx2 = rx.clone();
    let mut t = spawn(tx.closed());
    assert_pending!(t.poll());
    drop(rx);
    assert_pending!(t.poll());
    drop(rx2);
    assert!(t.is_woken());
    assert_ready!(t.poll());
}

#[test]
fn wait_for_checks_the_current_value_first() {
    let (tx, mut rx) = watch::channel(5);
    assert_eq!(*futures::executor::block_on(rx.wait_for(|v| *v == 5)).unwrap(), 5);
    let mut t = spawn(async { *rx.wait_for(|v| *v > 10).await.unwrap() });
    assert_pending!(t.poll());
    tx.send(7).unwrap();
    assert_pending!(t.poll());
    tx.send(11).unwrap();
    assert_eq!(assert_ready!(t.poll()), 11);
}

#[test]
fn every_receiver_sees_the_latest_value_on_gosched() {
    let last = support::run(async {
        let (tx, rx) = watch::channel(0u32);
        let mut hs = Vec::new();
        for _ in 0..4 {
            let mut rx = rx.clone();
            hs.push(gosched_executor::spawn(async move {
                while *rx.borrow_and_update() != 100 {
                    rx.changed().await.unwrap();
                }
            }));
        }
        for i in 1..=100 {
            tx.send(i).unwrap();
            gosched_executor::task::yield_now().await;
        }
        for h in hs {
            h.await.unwrap();
        }
        *rx.borrow()
    });
    assert_eq!(last, 100);
}

#[test]
fn a_panicking_send_modify_keeps_the_value_but_notifies_nobody() {
    let (tx, mut rx) = watch::channel("one");
    let mut rx2 = rx.clone();
    let mut t = spawn(async move { rx2.changed().await });
    assert_pending!(t.poll());
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tx.send_modify(|v| {
            *v = "panicked";
            panic!("inside send_modify");
        })
    }));
    assert!(r.is_err());
    assert_pending!(t.poll());
    assert_eq!(*rx.borrow(), "panicked");
    tx.send_modify(|v| *v = "three");
    assert!(t.is_woken());
    assert_ready!(t.poll()).unwrap();
    assert_eq!(*rx.borrow_and_update(), "three");
}

#[test]
fn is_closed_follows_subscribe() {
    let (tx, rx) = watch::channel(0);
    drop(rx);
    assert!(tx.is_closed());
    let rx = tx.subscribe();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
}
