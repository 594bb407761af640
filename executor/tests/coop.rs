//! `task::coop`: the budget's public surface (tokio 1.4x's shape). A poll on always-ready
//! resources yields after 128 units; `unconstrained` never yields; a `RestoreOnPending`
//! dropped without `made_progress` gives its unit back; outside a task nothing is budgeted.

mod common;

use common::watchdog;
use gosched_executor::coop as alias;
use gosched_executor::runtime::{Builder, Runtime};
use gosched_executor::task::coop;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// sysmon off: no preemption request can cut a count short.
fn rt() -> Runtime {
    Builder::new().maxprocs(1).sysmon(false).build().unwrap()
}

/// Counts the polls of the future it wraps.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        self.inner.as_mut().poll(cx)
    }
}

fn count_polls<F: Future>(f: F) -> (CountPolls<F>, Arc<AtomicUsize>) {
    let polls = Arc::new(AtomicUsize::new(0));
    let fut = CountPolls {
        inner: Box::pin(f),
        polls: polls.clone(),
    };
    (fut, polls)
}

/// How many `poll_proceed` calls succeed, with `made_progress`, before one is `Pending`.
fn ready_units(cx: &mut Context<'_>) -> usize {
    let mut n = 0;
    while let Poll::Ready(c) = coop::poll_proceed(cx) {
        c.made_progress();
        n += 1;
        assert!(n <= 10_000, "poll_proceed never ran out");
    }
    n
}

#[test]
fn a_poll_on_a_ready_resource_yields_after_128_units() {
    let _w = watchdog("yields_after_128", Duration::from_secs(30));
    let rt = rt();
    let mut first = true;
    let units = rt.block_on(rt.spawn(poll_fn(move |cx| {
        if first {
            first = false;
            // The Pending that ends the count woke the task: it is polled again.
            return Poll::Ready(Some(ready_units(cx)));
        }
        Poll::Ready(None)
    })));
    assert_eq!(units.unwrap(), Some(128));
}

#[test]
fn consume_budget_yields_once_per_128_units_and_refills() {
    let _w = watchdog("consume_budget_refills", Duration::from_secs(30));
    let rt = rt();
    let (fut, polls) = count_polls(async {
        for _ in 0..128 {
            coop::consume_budget().await;
        }
        let spent = !coop::has_budget_remaining();
        coop::consume_budget().await; // yields: a new poll, a new budget
        (spent, coop::has_budget_remaining())
    });
    let (spent, refilled) = rt.block_on(rt.spawn(fut)).unwrap();
    assert!(spent, "128 units spend the whole budget");
    assert!(refilled, "the next poll starts with a full budget");
    assert_eq!(polls.load(Ordering::Relaxed), 2, "exactly one yield");
}

#[test]
fn unconstrained_never_yields() {
    let _w = watchdog("unconstrained_never_yields", Duration::from_secs(30));
    let rt = rt();
    let (fut, polls) = count_polls(coop::unconstrained(async {
        for _ in 0..10_000 {
            coop::consume_budget().await;
        }
        coop::has_budget_remaining()
    }));
    assert!(rt.block_on(rt.spawn(fut)).unwrap());
    assert_eq!(polls.load(Ordering::Relaxed), 1, "one poll, no yield");
}

#[test]
fn unconstrained_leaves_the_outer_budget_as_it_was() {
    let _w = watchdog("unconstrained_restores", Duration::from_secs(30));
    let rt = rt();
    let units = rt.block_on(rt.spawn(poll_fn(|cx| {
        for _ in 0..100 {
            let c = coop::poll_proceed(cx).map(|c| c.made_progress());
            assert!(c.is_ready());
        }
        let mut inner = std::pin::pin!(coop::unconstrained(async {
            for _ in 0..1_000 {
                coop::consume_budget().await;
            }
        }));
        assert!(inner.as_mut().poll(cx).is_ready());
        Poll::Ready(ready_units(cx))
    })));
    assert_eq!(units.unwrap(), 28, "100 spent before, none inside");
}

#[test]
fn restore_on_pending_gives_the_unit_back() {
    let _w = watchdog("restore_on_pending", Duration::from_secs(30));
    let rt = rt();
    let units = rt.block_on(rt.spawn(poll_fn(|cx| {
        for _ in 0..1_000 {
            match coop::poll_proceed(cx) {
                Poll::Ready(guard) => drop(guard), // not ready after all: no progress
                Poll::Pending => panic!("dropped guards spent the budget"),
            }
        }
        let kept = coop::poll_proceed(cx);
        let Poll::Ready(kept) = kept else {
            panic!("budget left")
        };
        kept.made_progress();
        assert!(format!("{kept:?}").contains("made_progress: true"));
        drop(kept);
        Poll::Ready(ready_units(cx))
    })));
    assert_eq!(
        units.unwrap(),
        127,
        "only the unit with made_progress stays spent"
    );
}

#[test]
fn outside_a_task_nothing_is_budgeted() {
    let _w = watchdog("outside_a_task", Duration::from_secs(30));
    let rt = rt();
    rt.block_on(async {
        for _ in 0..1_000 {
            coop::consume_budget().await;
        }
        assert!(coop::has_budget_remaining());
        // The alias paths name the same functions.
        alias::consume_budget().await;
        gosched_executor::task::consume_budget().await;
        assert!(alias::has_budget_remaining());
    });
}
