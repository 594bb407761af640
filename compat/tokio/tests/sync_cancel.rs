//! A cancelled `select!` branch: each primitive's pending future loses a race inside a gosched
//! task and is dropped; the primitive must be fully usable afterwards (no lost permit, place,
//! slot or notification) and the next waiter must get what the loser had been handed.

mod support;
use futures::future::{Either, select};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Mutex, Notify, RwLock, Semaphore, mpsc, oneshot};

/// Polls `f` against a future that is ready on its second poll; `true` if `f` lost (and so
/// was dropped while pending).
async fn loses_to_a_yield<F: Future>(f: F) -> bool {
    let f = std::pin::pin!(f);
    let y = std::pin::pin!(gosched_executor::task::yield_now());
    matches!(select(f, y).await, Either::Right(_))
}

#[test]
fn cancelled_lock_and_acquire_branches_release_their_place() {
    support::run(async {
        let m = Arc::new(Mutex::new(0));
        let g = m.lock().await;
        assert!(loses_to_a_yield(m.lock()).await);
        drop(g);
        *m.try_lock().expect("no phantom waiter holds the lock") += 1;

        let s = Semaphore::new(1);
        let p = s.acquire().await.unwrap();
        assert!(loses_to_a_yield(s.acquire_many(1)).await);
        drop(p);
        assert_eq!(s.available_permits(), 1);

        let l = RwLock::new(());
        let r = l.read().await;
        assert!(loses_to_a_yield(l.write()).await);
        let _r2 = l
            .try_read()
            .expect("the cancelled writer no longer blocks readers");
        drop(r);
    });
}

#[test]
fn cancelled_recv_reserve_and_notified_branches() {
    support::run(async {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        assert!(loses_to_a_yield(rx.recv()).await);
        tx.try_send(1).unwrap();
        assert_eq!(rx.recv().await, Some(1), "recv is cancel-safe");

        tx.try_send(2).unwrap();
        assert!(loses_to_a_yield(tx.reserve()).await);
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(tx.capacity(), 1, "the cancelled reserve holds no slot");

        let n = Notify::new();
        assert!(loses_to_a_yield(n.notified()).await);
        n.notify_one();
        n.notified().await; // the permit was stored, not given to the dropped future

        let (otx, orx) = oneshot::channel::<u8>();
        let mut orx = orx;
        assert!(loses_to_a_yield(&mut orx).await);
        otx.send(3).unwrap();
        assert_eq!(orx.await, Ok(3));
    });
}

// A waiter cancelled after it was handed the lock/permit/notification passes it on: checked
// deterministically with hand-polled futures in sync_mutex.rs, sync_semaphore.rs, sync_notify.rs
// and sync_mpsc.rs (`dropped_*` tests).

/// Many tasks racing `reserve()` and `lock()` against a yield on two Ps, so that futures are
/// dropped at every stage (queued, handed a slot, completed): afterwards no slot or lock is
/// lost, and every message sent arrived.
#[test]
fn cancellation_under_contention_loses_nothing() {
    support::run(async {
        let (tx, mut rx) = mpsc::channel::<u32>(3);
        let m = Arc::new(Mutex::new(0u32));
        let mut hs = Vec::new();
        for _ in 0..4 {
            let (tx, m) = (tx.clone(), m.clone());
            hs.push(gosched_executor::spawn(async move {
                let mut sent = 0;
                for i in 0..2000 {
                    let reserve = std::pin::pin!(tx.reserve());
                    let y = std::pin::pin!(gosched_executor::task::yield_now());
                    if let Either::Left((Ok(permit), _)) = select(reserve, y).await {
                        permit.send(i);
                        sent += 1;
                    }
                    let lock = std::pin::pin!(m.lock());
                    let y = std::pin::pin!(gosched_executor::task::yield_now());
                    if let Either::Left((mut g, _)) = select(lock, y).await {
                        *g += 1;
                    }
                }
                sent
            }));
        }
        drop(tx);
        let mut received = 0u32;
        let drain = gosched_executor::spawn(async move {
            while rx.recv().await.is_some() {
                received += 1;
            }
            (received, rx)
        });
        let mut sent = 0;
        for h in hs {
            sent += h.await.unwrap();
        }
        let (received, rx) = drain.await.unwrap();
        assert_eq!(received, sent);
        assert_eq!(rx.capacity(), 3, "every slot came back");
        assert!(m.try_lock().is_ok(), "the lock is free");
    });
}
