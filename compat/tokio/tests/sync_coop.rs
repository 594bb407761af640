//! The sync primitives spend the task's cooperative budget: a loop over an always-ready
//! channel or lock still lets the other tasks on its P run.

mod support;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{Mutex, Semaphore, mpsc};

/// Runs `ready_loop` (10 000 ready operations) on a single P next to a task that sets a flag;
/// returns whether the flag was seen set before the loop ended.
fn other_task_ran_during<F, Fut>(ready_loop: F) -> bool
where
    F: FnOnce(Arc<AtomicBool>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    support::run_one_p(async move {
        let flag = Arc::new(AtomicBool::new(false));
        let f2 = flag.clone();
        let other = gosched_executor::spawn(async move { f2.store(true, Ordering::SeqCst) });
        let seen = ready_loop(flag).await;
        other.await.unwrap();
        seen
    })
}

#[test]
fn mpsc_recv_loop_yields() {
    assert!(other_task_ran_during(|flag| async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
        for _ in 0..10_000 {
            rx.recv().await.unwrap();
            if flag.load(Ordering::SeqCst) {
                return true;
            }
        }
        false
    }));
}

#[test]
fn bounded_send_loop_yields() {
    assert!(other_task_ran_during(|flag| async move {
        let (tx, _rx) = mpsc::channel(10_000);
        for i in 0..10_000 {
            tx.send(i).await.unwrap();
            if flag.load(Ordering::SeqCst) {
                return true;
            }
        }
        false
    }));
}

#[test]
fn mutex_lock_loop_yields() {
    assert!(other_task_ran_during(|flag| async move {
        let m = Mutex::new(0);
        for _ in 0..10_000 {
            *m.lock().await += 1;
            if flag.load(Ordering::SeqCst) {
                return true;
            }
        }
        false
    }));
}

#[test]
fn semaphore_acquire_loop_yields() {
    assert!(other_task_ran_during(|flag| async move {
        let s = Semaphore::new(1);
        for _ in 0..10_000 {
            drop(s.acquire().await.unwrap());
            if flag.load(Ordering::SeqCst) {
                return true;
            }
        }
        false
    }));
}

#[test]
fn polls_that_find_nothing_ready_give_their_unit_back() {
    support::run(async {
        let (_tx, mut rx) = mpsc::channel::<u8>(1);
        let s = Semaphore::new(0);
        let mut acquire = Box::pin(s.acquire());
        std::future::poll_fn(|cx| {
            for _ in 0..1000 {
                assert!(rx.poll_recv(cx).is_pending());
                assert!(acquire.as_mut().poll(cx).is_pending());
            }
            assert!(gosched_executor::task::coop::has_budget_remaining());
            std::task::Poll::Ready(())
        })
        .await;
    });
}
