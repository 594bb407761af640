//! `join!`, `try_join!` and `pin!`: outputs in order, all futures polled concurrently, the
//! first polled rotating unless `biased;`, `try_join!` stopping at the first `Err` and
//! dropping the rest.

use futures::channel::oneshot;
use futures::executor::block_on;
use std::cell::{Cell, RefCell};
use std::future::{Future, pending, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

/// A future that records `id` in `log` on each poll and completes on its `polls`-th poll
/// (waking itself until then).
fn recorder(id: u8, polls: u32, log: &RefCell<Vec<u8>>) -> impl Future<Output = u8> + '_ {
    let mut seen = 0;
    poll_fn(move |cx| {
        log.borrow_mut().push(id);
        seen += 1;
        if seen == polls {
            Poll::Ready(id)
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

#[test]
fn join_outputs_in_order() {
    block_on(async {
        assert_eq!(tokio::join!(async { 1 }), (1,));
        assert_eq!(tokio::join!(async { 1 },), (1,));
        assert_eq!(
            tokio::join!(async { 1 }, async { "two" }, async { 3.0 }),
            (1, "two", 3.0)
        );
        assert_eq!(tokio::join!(biased; async { 1 }, async { 2 },), (1, 2));
        let () = tokio::join!();
        // `join!` waits for every future even when one fails.
        let (a, b) = tokio::join!(async { Err::<(), _>("e") }, async { Ok::<_, ()>(5) });
        assert_eq!((a, b), (Err("e"), Ok(5)));
    });
}

#[test]
fn join_polls_all_concurrently() {
    block_on(async {
        let (tx1, rx1) = oneshot::channel::<u32>();
        let (tx2, rx2) = oneshot::channel::<u32>();
        // Each side waits for the other's message: a sequential wait would hang.
        let (a, b) = tokio::join!(
            async move {
                tx1.send(1).unwrap();
                rx2.await.unwrap()
            },
            async move {
                let v = rx1.await.unwrap();
                tx2.send(v + 1).unwrap();
                v
            },
        );
        assert_eq!((a, b), (2, 1));
    });
}

#[test]
fn join_rotates_the_first_polled_unless_biased() {
    let log = RefCell::new(Vec::new());
    block_on(async { tokio::join!(recorder(0, 3, &log), recorder(1, 3, &log)) });
    assert_eq!(*log.borrow(), [0, 1, 1, 0, 0, 1]);

    log.borrow_mut().clear();
    block_on(async { tokio::join!(biased; recorder(0, 3, &log), recorder(1, 3, &log)) });
    assert_eq!(*log.borrow(), [0, 1, 0, 1, 0, 1]);

    // A finished future is not polled again.
    log.borrow_mut().clear();
    block_on(async { tokio::join!(biased; recorder(0, 1, &log), recorder(1, 3, &log)) });
    assert_eq!(*log.borrow(), [0, 1, 1, 1]);
}

#[test]
fn join_accepts_into_future() {
    struct Later(u8);
    impl std::future::IntoFuture for Later {
        type Output = u8;
        type IntoFuture = std::future::Ready<u8>;
        fn into_future(self) -> Self::IntoFuture {
            std::future::ready(self.0)
        }
    }
    assert_eq!(block_on(async { tokio::join!(Later(1), Later(2)) }), (1, 2));
}

#[test]
fn try_join_all_ok() {
    block_on(async {
        let r: Result<(u8, &str), ()> = tokio::try_join!(async { Ok(1) }, async { Ok("x") });
        assert_eq!(r, Ok((1, "x")));
        let r: Result<(u8,), ()> = tokio::try_join!(biased; async { Ok(1) },);
        assert_eq!(r, Ok((1,)));
        let r: Result<(), ()> = tokio::try_join!();
        assert_eq!(r, Ok(()));
    });
}

#[test]
fn try_join_stops_at_first_error_and_drops_the_rest() {
    let dropped = Rc::new(Cell::new(false));
    let completed_dropped = Rc::new(Cell::new(false));
    let guard = DropFlag(dropped.clone());
    let done_guard = DropFlag(completed_dropped.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let mut fut = Box::pin(async {
        tokio::try_join!(
            async move {
                let _guard = guard;
                pending::<Result<(), &str>>().await
            },
            async move {
                rx.await.unwrap();
                Err::<(), _>("stop")
            },
            async move { Ok::<_, &str>(done_guard) },
        )
    });
    assert!(poll_once(fut.as_mut()).is_pending());
    assert!(!dropped.get());
    tx.send(()).unwrap();
    match poll_once(fut.as_mut()) {
        Poll::Ready(Err(e)) => assert_eq!(e, "stop"),
        other => panic!("expected the first error, got {:?}", other.map(|r| r.map(|_| ()))),
    }
    drop(fut);
    assert!(dropped.get(), "the pending future outlived try_join!");
    assert!(completed_dropped.get(), "a completed output leaked");
}

#[test]
fn try_join_error_does_not_wait_for_the_others() {
    let polls = Cell::new(0);
    let mut fut = Box::pin(async {
        tokio::try_join!(
            biased;
            async { Err::<(), u8>(7) },
            poll_fn(|_| {
                polls.set(polls.get() + 1);
                Poll::<Result<(), u8>>::Pending
            }),
        )
    });
    // One poll: a `try_join!` that waited for the pending future would stay pending here.
    assert_eq!(poll_once(fut.as_mut()), Poll::Ready(Err(7)));
    // Under `biased;` the error comes from the first future polled: nothing after it runs.
    assert_eq!(polls.get(), 0, "a future was polled after the error");
}

#[test]
fn pin_both_forms() {
    block_on(async {
        let a = async { 1 };
        let b = async { 2 };
        tokio::pin!(a, b);
        assert_eq!((&mut a).await + (&mut b).await, 3);
        tokio::pin! {
            let c = async { 3 };
            let d = async { 4 };
        }
        let erased: Pin<&mut dyn Future<Output = i32>> = c.as_mut();
        assert_eq!(erased.await + d.await, 7);
    });
}

#[test]
fn sixty_four_futures() {
    // The output is a 64-tuple of 1s: the literal pattern checks its arity and values.
    macro_rules! all_ones {
        ($($i:literal)*) => {
            matches!(tokio::join!($(async { $i }),*), ($($i,)*))
        };
    }
    let ok = block_on(async {
        all_ones!(
            1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
            1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
        )
    });
    assert!(ok);
}
