//! `select!`: tokio's syntax, random start unless `biased;`, losers dropped before the handler,
//! `else`, preconditions, patterns that fail to match, and handlers that leave the caller.

use futures::channel::oneshot;
use futures::executor::block_on;
use std::cell::Cell;
use std::future::{Future, pending, poll_fn, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// Sets its flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// A future that never completes and sets `flag` when dropped.
fn pending_with_flag(flag: &Rc<Cell<bool>>) -> impl Future<Output = ()> {
    let guard = DropFlag(flag.clone());
    async move {
        let _guard = guard;
        pending::<()>().await
    }
}

fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

#[test]
fn syntax_forms() {
    block_on(async {
        let a = tokio::select! { x = async { 1 } => x, };
        let b = tokio::select! { x = async { 2 } => x };
        let c = tokio::select! { x = async { 3 } => { x } };
        let d = tokio::select! {
            x = async { 4 } => { x }
            else => 0
        };
        let ready_fut = ready(5);
        let e = tokio::select! { x = ready_fut => x };
        let f = tokio::select! {
            x = async { 1 } => tokio::select! { y = async { x + 5 } => y },
        };
        assert_eq!((a, b, c, d, e, f), (1, 2, 3, 4, 5, 6));
    });
}

#[test]
fn else_only_and_all_preconditions_false() {
    block_on(async {
        assert_eq!(tokio::select! { else => 1 }, 1);
        assert_eq!(tokio::select! { biased; else => 2 }, 2);
        let polled = Cell::new(false);
        let v = tokio::select! {
            _ = poll_fn(|_| { polled.set(true); Poll::Ready(()) }), if false => 0,
            else => 3,
        };
        assert_eq!(v, 3);
        assert!(!polled.get(), "a disabled branch's future was polled");
    });
}

#[test]
fn random_start_unless_biased() {
    let mut wins = [0u32; 2];
    for _ in 0..1000 {
        let w = block_on(async {
            tokio::select! {
                _ = ready(()) => 0,
                _ = ready(()) => 1,
            }
        });
        wins[w] += 1;
    }
    // Each side wins about 500 times; 100 is many standard deviations (about 16) away.
    assert!(wins[0] > 100 && wins[1] > 100, "unfair start: {wins:?}");

    for _ in 0..200 {
        let w = block_on(async {
            tokio::select! {
                biased;
                _ = ready(()) => 0,
                _ = ready(()) => 1,
            }
        });
        assert_eq!(w, 0, "biased; must poll in the order written");
    }
}

#[test]
fn losers_dropped_before_the_handler_runs() {
    let flag_a = Rc::new(Cell::new(false));
    let flag_b = Rc::new(Cell::new(false));
    block_on(async {
        tokio::select! {
            _ = pending_with_flag(&flag_a) => unreachable!(),
            _ = async { } => {
                assert!(flag_a.get(), "the losing future is still alive in the handler");
            }
            _ = pending_with_flag(&flag_b) => unreachable!(),
        }
    });
    assert!(flag_b.get());
}

#[test]
fn dropping_a_pending_select_drops_every_branch() {
    let flags: Vec<_> = (0..3).map(|_| Rc::new(Cell::new(false))).collect();
    let mut fut = Box::pin(async {
        tokio::select! {
            _ = pending_with_flag(&flags[0]) => {}
            _ = pending_with_flag(&flags[1]) => {}
            _ = pending_with_flag(&flags[2]), if false => {}
        }
    });
    assert!(poll_once(fut.as_mut()).is_pending());
    assert!(flags.iter().all(|f| !f.get()));
    drop(fut);
    assert!(
        flags.iter().all(|f| f.get()),
        "a cancelled select! leaked a branch"
    );
}

#[test]
fn failed_pattern_disables_the_branch_and_select_continues() {
    let polls = Cell::new(0);
    let (tx, rx) = oneshot::channel::<u32>();
    let mut fut = Box::pin(async {
        tokio::select! {
            Some(_) = poll_fn(|_| { polls.set(polls.get() + 1); Poll::Ready(None::<u32>) }) => 0,
            v = rx => v.unwrap(),
        }
    });
    assert!(poll_once(fut.as_mut()).is_pending());
    assert!(poll_once(fut.as_mut()).is_pending());
    tx.send(9).unwrap();
    assert_eq!(poll_once(fut.as_mut()), Poll::Ready(9));
    assert_eq!(polls.get(), 1, "a completed branch was polled again");
}

#[test]
fn failed_patterns_fall_to_else() {
    block_on(async {
        let v = tokio::select! {
            Some(x) = async { None::<u8> } => x,
            Ok(x) = async { Err::<u8, ()>(()) } => x,
            else => 42,
        };
        assert_eq!(v, 42);
    });
}

#[test]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
fn all_disabled_without_else_panics() {
    block_on(async {
        tokio::select! {
            Some(x) = async { None::<u8> } => x,
        }
    });
}

#[test]
fn binding_modes_and_if_let_precondition() {
    block_on(async {
        let v = tokio::select! {
            Some(mut s) = async { Some(String::from("a")) } => { s.push('b'); s }
        };
        assert_eq!(v, "ab");
        let v = tokio::select! {
            Some(ref s) = async { Some(String::from("r")) } => s.clone(),
        };
        assert_eq!(v, "r");
        let v = tokio::select! {
            (Some(ref mut s), n) = async { (Some(String::from("m")), 1) } => { s.push('!'); (s.clone(), n) }
        };
        assert_eq!(v, ("m!".to_string(), 1));

        let maybe = Some(10u32);
        let none: Option<u32> = None;
        let v = tokio::select! {
            x = async move { x + 1 }, if let Some(x) = maybe => x,
            else => 0,
        };
        assert_eq!(v, 11);
        let v = tokio::select! {
            x = async move { x }, if let Some(x) = none => x,
            else => 7,
        };
        assert_eq!(v, 7);
    });
}

#[test]
fn handlers_reach_the_callers_control_flow() {
    async fn first_even(xs: &[u32]) -> Result<u32, String> {
        let mut i = 0;
        loop {
            let x = xs[i];
            i += 1;
            tokio::select! {
                v = async { x } => {
                    if v % 2 == 1 { continue; }
                    if v == 0 { return Err("zero".into()); }
                    let checked: Result<u32, String> = if v > 100 { Err("big".into()) } else { Ok(v) };
                    break Ok(checked?);
                }
            }
        }
    }
    block_on(async {
        assert_eq!(first_even(&[1, 3, 4]).await, Ok(4));
        assert_eq!(first_even(&[1, 0]).await, Err("zero".into()));
        assert_eq!(first_even(&[200]).await, Err("big".into()));
    });
}

#[test]
fn handler_may_use_what_a_future_borrowed() {
    block_on(async {
        let mut value = 1;
        async fn borrow(_: &mut i32) {
            pending().await
        }
        tokio::select! {
            _ = borrow(&mut value) => {}
            _ = async {} => { value += 1; }
        }
        assert_eq!(value, 2);
    });
}

#[test]
fn loop_with_pinned_futures_and_preconditions() {
    block_on(async {
        let (tx1, mut rx1) = oneshot::channel::<u32>();
        let (tx2, mut rx2) = oneshot::channel::<u32>();
        tx2.send(2).unwrap();
        tx1.send(1).unwrap();
        let (mut a, mut b) = (None, None);
        while a.is_none() || b.is_none() {
            tokio::select! {
                v = &mut rx1, if a.is_none() => a = Some(v.unwrap()),
                v = &mut rx2, if b.is_none() => b = Some(v.unwrap()),
            }
        }
        assert_eq!((a, b), (Some(1), Some(2)));

        let one = async {};
        tokio::pin!(one);
        let mut count = 0;
        loop {
            tokio::select! {
                biased;
                _ = &mut one, if count < 1 => count += 1,
                else => break,
            }
        }
        assert_eq!(count, 1);
    });
}

#[test]
fn sixty_four_branches() {
    let v = block_on(async {
        macro_rules! sixty_four {
            ($($i:literal)*) => { tokio::select! { $(x = async { $i } => x,)* } };
        }
        sixty_four!(
            1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
            1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
        )
    });
    assert_eq!(v, 1);
}

#[test]
fn never_returning_branch() {
    async fn never() -> ! {
        pending().await
    }
    let v = block_on(async {
        tokio::select! {
            _ = never() => 0,
            x = async { 1 } => x,
        }
    });
    assert_eq!(v, 1);
}

#[test]
fn works_in_send_futures_across_threads() {
    fn assert_send<T: Send>(t: T) -> T {
        t
    }
    let hits = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let fut = assert_send({
        let hits = hits.clone();
        let log = log.clone();
        async move {
            let (tx, rx) = oneshot::channel::<u32>();
            std::thread::spawn(move || tx.send(5).unwrap());
            tokio::select! {
                v = rx => { hits.fetch_add(1, Ordering::SeqCst); log.lock().unwrap().push(v.unwrap()); }
                _ = pending::<()>() => {}
            }
        }
    });
    block_on(fut);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(*log.lock().unwrap(), [5]);
}

#[test]
fn a_losing_branch_releases_what_it_waited_on() {
    let (tx, rx) = oneshot::channel::<u8>();
    let (counter, waker) = {
        #[derive(Default)]
        struct Count(AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let c = Arc::new(Count::default());
        (c.clone(), std::task::Waker::from(c))
    };
    let mut fut = Box::pin(async {
        tokio::select! {
            v = rx => v.ok(),
            _ = async {} => None,
        }
    });
    // Poll until the ready branch wins (the start is random: the receiver may be polled,
    // registering its waker, first).
    let out = fut.as_mut().poll(&mut Context::from_waker(&waker));
    assert_eq!(out, Poll::Ready(None));
    assert!(tx.is_canceled(), "the losing receiver is still alive");
    assert_eq!(tx.send(1), Err(1));
    assert_eq!(
        counter.0.load(Ordering::SeqCst),
        0,
        "a dropped branch's waker was woken"
    );
}
