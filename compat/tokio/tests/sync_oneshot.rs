//! tokio::sync::oneshot: send/receive, sender dropped, closed(), close, try_recv, blocking.

mod support;
use support::{leaked, spawn};
use tokio::sync::oneshot::{self, error::TryRecvError};

#[test]
fn send_then_receive() {
    let (tx, rx) = oneshot::channel();
    let mut t = spawn(rx);
    assert_pending!(t.poll());
    assert!(!tx.is_closed());
    tx.send(1).unwrap();
    assert!(t.is_woken());
    assert_eq!(assert_ready!(t.poll()), Ok(1));
}

#[test]
fn sender_dropped_without_sending_is_an_error() {
    let (tx, rx) = oneshot::channel::<u8>();
    let mut t = spawn(rx);
    assert_pending!(t.poll());
    drop(tx);
    assert!(t.is_woken());
    let e = assert_ready!(t.poll()).unwrap_err();
    assert_eq!(e.to_string(), "channel closed");
}

#[test]
fn closed_completes_when_the_receiver_drops() {
    let (mut tx, rx) = oneshot::channel::<u8>();
    let mut t = spawn(async move {
        tx.closed().await;
        tx.is_closed()
    });
    assert_pending!(t.poll());
    drop(rx);
    assert!(t.is_woken());
    assert!(assert_ready!(t.poll()));
}

#[test]
fn close_makes_send_fail_and_wakes_closed() {
    let (mut tx, mut rx) = oneshot::channel::<u8>();
    let mut t = spawn(async move {
        std::future::poll_fn(|cx| tx.poll_closed(cx)).await;
        tx
    });
    assert_pending!(t.poll());
    rx.close();
    assert!(t.is_woken());
    let tx = assert_ready!(t.poll());
    assert_eq!(tx.send(5), Err(5));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn a_value_sent_before_close_is_still_received() {
    let (tx, mut rx) = oneshot::channel();
    tx.send(3).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Ok(3));
}

#[test]
fn try_recv_states() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(rx.is_empty());
    tx.send(1).unwrap();
    assert!(!rx.is_empty());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert!(rx.is_terminated());
    assert_eq!(TryRecvError::Empty.to_string(), "channel empty");
}

#[test]
fn send_to_a_dropped_receiver_gives_the_value_back() {
    let (tx, rx) = oneshot::channel();
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send("v"), Err("v"));
}

#[test]
fn dropped_receiver_releases_its_waker() {
    let (tx, rx) = oneshot::channel::<u8>();
    let mut t = spawn(rx);
    assert_pending!(t.poll());
    let c = t.drop_future();
    assert_eq!(
        leaked(&c),
        0,
        "dropped with the receiver, not kept until the sender drops"
    );
    drop(tx);
}

#[test]
fn blocking_recv_from_a_thread() {
    let (tx, rx) = oneshot::channel();
    let h = std::thread::spawn(move || rx.blocking_recv());
    tx.send(9).unwrap();
    assert_eq!(h.join().unwrap(), Ok(9));
}

#[test]
fn round_trips_between_gosched_tasks() {
    let n = support::run(async {
        let mut n = 0;
        for i in 0..200 {
            let (tx, rx) = oneshot::channel();
            gosched_executor::spawn(async move { tx.send(i).unwrap() });
            n += rx.await.unwrap();
        }
        n
    });
    assert_eq!(n, (0..200).sum::<i32>());
}
