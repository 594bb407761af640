//! tokio::sync::mpsc: capacity, reserve and permits, close and drain, sender drop, errors,
//! cancellation, and many producers on gosched.

mod support;
use support::{leaked, spawn};
use tokio::sync::mpsc::{self, error::TryRecvError, error::TrySendError};

#[test]
fn capacity_is_reserved_per_message_and_freed_by_recv() {
    let (tx, mut rx) = mpsc::channel(2);
    assert_eq!((tx.capacity(), tx.max_capacity()), (2, 2));
    tx.try_send(1).unwrap();
    assert_eq!(tx.capacity(), 1);
    tx.try_send(2).unwrap();
    assert_eq!(tx.capacity(), 0);
    assert!(matches!(tx.try_send(3), Err(TrySendError::Full(3))));
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(tx.capacity(), 1);
    assert_eq!(rx.max_capacity(), 2);
}

#[test]
fn send_waits_for_capacity() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(1).unwrap();
    let mut t = spawn(tx.send(2));
    assert_pending!(t.poll());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(t.is_woken());
    assert_ready!(t.poll()).unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn recv_waits_and_is_woken_by_send() {
    let (tx, mut rx) = mpsc::channel::<u8>(4);
    let mut t = spawn(rx.recv());
    assert_pending!(t.poll());
    tx.try_send(7).unwrap();
    assert!(t.is_woken());
    assert_eq!(assert_ready!(t.poll()), Some(7));
}

#[test]
fn reserve_then_send_and_dropped_permit_returns_its_slot() {
    let (tx, mut rx) = mpsc::channel(1);
    let p = futures::executor::block_on(tx.reserve()).unwrap();
    assert_eq!(tx.capacity(), 0);
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    drop(p);
    assert_eq!(tx.capacity(), 1);
    let p = tx.try_reserve().unwrap();
    p.send("x");
    assert_eq!(rx.try_recv(), Ok("x"));
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn reserve_many_and_permit_iterator() {
    let (tx, mut rx) = mpsc::channel(3);
    assert!(
        futures::executor::block_on(tx.reserve_many(4)).is_err(),
        "more than max_capacity"
    );
    let mut it = futures::executor::block_on(tx.reserve_many(3)).unwrap();
    assert_eq!(it.len(), 3);
    assert_eq!(tx.capacity(), 0);
    it.next().unwrap().send(1);
    drop(it); // the two unused slots come back
    assert_eq!(tx.capacity(), 2);
    assert_eq!(rx.try_recv(), Ok(1));
    let it = tx.try_reserve_many(3).unwrap();
    assert!(tx.try_reserve_many(1).is_err());
    for (i, p) in it.enumerate() {
        p.send(i);
    }
    assert_eq!(
        (rx.try_recv(), rx.try_recv(), rx.try_recv()),
        (Ok(0), Ok(1), Ok(2))
    );
}

#[test]
fn owned_permits_give_the_sender_back() {
    let (tx, mut rx) = mpsc::channel(1);
    let p = futures::executor::block_on(tx.reserve_owned()).unwrap();
    let tx = p.send(5);
    let Err(TrySendError::Full(tx)) = tx.try_reserve_owned() else {
        panic!("expected Full")
    };
    assert_eq!(rx.try_recv(), Ok(5));
    let p = tx.try_reserve_owned().unwrap();
    let tx = p.release();
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn dropped_reserve_future_gives_up_its_place_and_waker() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let mut a = spawn(tx.reserve());
    let mut b = spawn(tx.reserve());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    assert_eq!(rx.try_recv(), Ok(0)); // the slot goes to a
    let c = a.drop_future();
    assert_eq!(leaked(&c), 0, "the dropped reserve released its waker");
    assert!(b.is_woken(), "a's slot went on to b");
    assert_ready!(b.poll()).unwrap().send(1);
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn dropped_recv_future_releases_its_waker() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let mut t = spawn(rx.recv());
    assert_pending!(t.poll());
    assert_eq!(t.wakers_held(), 1);
    let c = t.drop_future();
    assert_eq!(
        leaked(&c),
        0,
        "dropped with the future, not kept until the next send"
    );
    tx.try_send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn close_stops_sends_and_lets_the_receiver_drain() {
    let (tx, mut rx) = mpsc::channel(4);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let permit = tx.try_reserve().unwrap();
    let mut waiting = spawn(tx.closed());
    assert_pending!(waiting.poll());
    rx.close();
    assert!(rx.is_closed() && tx.is_closed());
    assert!(waiting.is_woken());
    assert_ready!(waiting.poll());
    assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
    assert!(futures::executor::block_on(tx.send(3)).is_err());
    assert!(futures::executor::block_on(tx.reserve()).is_err());
    // Buffered messages still arrive, and an outstanding permit may still send.
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    let mut r = spawn(rx.recv());
    assert_pending!(r.poll(), "a permit is outstanding, so the end is not reached");
    permit.send(9);
    assert!(r.is_woken());
    assert_eq!(assert_ready!(r.poll()), Some(9));
    drop(r);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(futures::executor::block_on(rx.recv()), None);
}

#[test]
fn dropping_the_last_sender_ends_recv_after_the_buffer_drains() {
    let (tx, mut rx) = mpsc::channel(4);
    let tx2 = tx.clone();
    tx.try_send(1).unwrap();
    drop(tx);
    let mut t = spawn(rx.recv());
    assert_eq!(assert_ready!(t.poll()), Some(1));
    drop(t);
    let mut t = spawn(rx.recv());
    assert_pending!(t.poll());
    drop(tx2);
    assert!(t.is_woken());
    assert_eq!(assert_ready!(t.poll()), None);
    drop(t);
    assert!(rx.is_closed());
}

#[test]
fn receiver_drop_fails_senders_and_drops_buffered_messages() {
    let (tx, rx) = mpsc::channel(2);
    let item = std::sync::Arc::new(());
    tx.try_send(item.clone()).unwrap();
    drop(rx);
    assert_eq!(
        std::sync::Arc::strong_count(&item),
        1,
        "the buffered message was dropped"
    );
    assert!(tx.is_closed());
    assert!(tx.try_send(item.clone()).is_err());
    futures::executor::block_on(tx.closed());
}

#[test]
fn recv_many_takes_up_to_the_limit() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    let mut buf = Vec::new();
    assert_eq!(futures::executor::block_on(rx.recv_many(&mut buf, 3)), 3);
    assert_eq!(futures::executor::block_on(rx.recv_many(&mut buf, 0)), 0);
    assert_eq!(futures::executor::block_on(rx.recv_many(&mut buf, 10)), 2);
    assert_eq!(buf, [0, 1, 2, 3, 4]);
    drop(tx);
    assert_eq!(futures::executor::block_on(rx.recv_many(&mut buf, 10)), 0);
}

#[test]
fn unbounded_channel_semantics() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    for i in 0..1000 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 1000);
    let weak = tx.downgrade();
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
    let tx2 = weak.upgrade().unwrap();
    assert!(tx2.same_channel(&tx));
    drop((tx, tx2));
    assert!(weak.upgrade().is_none(), "no strong sender left");
    for i in 0..1000 {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
    rx.close();
    assert_eq!(tx.send(1).unwrap_err().0, 1);
}

#[test]
fn weak_sender_does_not_keep_the_channel_open() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let weak = tx.downgrade();
    assert_eq!(rx.sender_weak_count(), 1);
    drop(tx);
    assert_eq!(futures::executor::block_on(rx.recv()), None);
    assert!(weak.upgrade().is_none());
}

#[test]
#[should_panic]
fn zero_capacity_panics() {
    let _ = mpsc::channel::<u8>(0);
}

#[test]
fn error_messages_match_tokio() {
    use mpsc::error::SendError;
    assert_eq!(SendError(1).to_string(), "channel closed");
    assert_eq!(format!("{:?}", SendError(1)), "SendError { .. }");
    assert_eq!(TrySendError::Full(1).to_string(), "no available capacity");
    assert_eq!(TrySendError::Closed(1).to_string(), "channel closed");
    assert_eq!(TryRecvError::Empty.to_string(), "receiving on an empty channel");
    assert_eq!(
        TryRecvError::Disconnected.to_string(),
        "receiving on a closed channel"
    );
}

#[test]
fn blocking_send_and_recv_between_threads() {
    let (tx, mut rx) = mpsc::channel(2);
    let h = std::thread::spawn(move || {
        for i in 0..100 {
            tx.blocking_send(i).unwrap();
        }
    });
    for i in 0..100 {
        assert_eq!(rx.blocking_recv(), Some(i));
    }
    h.join().unwrap();
    assert_eq!(rx.blocking_recv(), None);
}

#[test]
fn four_producers_on_gosched_deliver_everything_in_per_sender_order() {
    let seen = support::run(async {
        let (tx, mut rx) = mpsc::channel::<(usize, usize)>(8);
        for p in 0..4 {
            let tx = tx.clone();
            gosched_executor::spawn(async move {
                for i in 0..500 {
                    tx.send((p, i)).await.unwrap();
                }
            });
        }
        drop(tx);
        let mut next = [0usize; 4];
        while let Some((p, i)) = rx.recv().await {
            assert_eq!(next[p], i, "per-sender order");
            next[p] += 1;
        }
        next
    });
    assert_eq!(seen, [500; 4]);
}

#[test]
fn send_timeout_times_out_on_a_full_channel_and_fails_on_a_closed_one() {
    use mpsc::error::SendTimeoutError;
    use std::time::Duration;
    support::run(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send_timeout(1, Duration::from_millis(10)).await.unwrap();
        match tx.send_timeout(2, Duration::from_millis(10)).await {
            Err(SendTimeoutError::Timeout(2)) => {}
            other => panic!("expected Timeout(2), got {other:?}"),
        }
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(tx.capacity(), 1, "the timed-out send holds no slot");
        rx.close();
        let e = tx.send_timeout(3, Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(e.to_string(), "channel closed");
        assert_eq!(e.into_inner(), 3);
    });
}
