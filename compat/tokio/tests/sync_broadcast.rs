//! tokio::sync::broadcast: fan-out, lagging, closing, resubscribe.

mod support;
use support::spawn;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

#[test]
fn every_receiver_gets_every_value() {
    let (tx, mut a) = broadcast::channel(4);
    let mut b = tx.subscribe();
    assert_eq!(tx.receiver_count(), 2);
    assert_eq!(tx.send(1).unwrap(), 2);
    tx.send(2).unwrap();
    assert_eq!(tx.len(), 2);
    assert_eq!((a.try_recv(), a.try_recv()), (Ok(1), Ok(2)));
    assert_eq!(tx.len(), 2, "b has not read them yet");
    assert_eq!(b.len(), 2);
    assert_eq!((b.try_recv(), b.try_recv()), (Ok(1), Ok(2)));
    assert!(tx.is_empty());
    assert_eq!(a.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn recv_waits_and_is_woken() {
    let (tx, mut rx) = broadcast::channel(2);
    let mut t = spawn(async { rx.recv().await });
    assert_pending!(t.poll());
    tx.send("x").unwrap();
    assert!(t.is_woken());
    assert_eq!(assert_ready!(t.poll()), Ok("x"));
}

#[test]
fn a_slow_receiver_lags_then_continues_with_the_oldest_kept() {
    let (tx, mut rx) = broadcast::channel(2);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(futures::executor::block_on(rx.recv()), Err(RecvError::Lagged(3)));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Ok(4));
    assert_eq!(RecvError::Lagged(3).to_string(), "channel lagged by 3");
}

#[test]
fn capacity_rounds_up_to_a_power_of_two() {
    let (tx, mut rx) = broadcast::channel(3);
    for i in 0..4 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.try_recv(), Ok(0), "capacity 3 keeps 4 values");
}

#[test]
fn closed_after_senders_drop_and_buffer_drains() {
    let (tx, mut rx) = broadcast::channel(2);
    tx.send(1).unwrap();
    let mut t = spawn(async { (rx.recv().await, rx.recv().await) });
    assert_pending!(t.poll());
    drop(tx);
    assert!(t.is_woken());
    assert_eq!(assert_ready!(t.poll()), (Ok(1), Err(RecvError::Closed)));
    drop(t);
    assert!(rx.is_closed());
}

#[test]
fn send_without_receivers_fails_and_resubscribe_starts_at_the_tail() {
    let (tx, rx) = broadcast::channel(2);
    tx.send(1).unwrap();
    let mut again = rx.resubscribe();
    drop(rx);
    assert_eq!(again.try_recv(), Err(TryRecvError::Empty));
    drop(again);
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert_eq!(tx.receiver_count(), 0);
}

#[test]
#[should_panic]
fn zero_capacity_panics() {
    let _ = broadcast::channel::<u8>(0);
}

#[test]
fn values_drop_once_every_receiver_has_them() {
    let (tx, mut a) = broadcast::channel(4);
    let b = tx.subscribe();
    let v = std::sync::Arc::new(());
    tx.send(v.clone()).unwrap();
    a.try_recv().unwrap();
    assert_eq!(std::sync::Arc::strong_count(&v), 2);
    drop(b);
    assert_eq!(std::sync::Arc::strong_count(&v), 1);
}
