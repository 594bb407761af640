//! Tests that play part of the scheduler by hand: sysmon's preemption request and the M's
//! `preempted` mark, each meant for one poll and for no later one.

use super::context;
use super::m::M;
use super::p::poll_id;
use crate::coop;
use crate::runtime::Builder;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// A poll that was preempted and then completed (here: marked by hand, as `coop::poll_proceed`
/// marks it, and then returning `Ready`) leaves nothing behind: the next task on the same M
/// that yields goes to the local tail, not the global one.
#[test]
fn a_preemption_mark_ends_with_its_poll() {
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let shared = rt.handle().shared.clone();
    let in_global = Arc::new(AtomicBool::new(true));
    let seen = in_global.clone();
    // X hands Y's handle out: it must complete in the poll it was preempted in.
    #[allow(clippy::async_yields_async)]
    let x = rt.spawn(async move {
        // Y runs next on this M (the hand-off slot): it spawns S, then yields; S runs next and
        // looks where Y went.
        let y = crate::spawn(async move {
            let s = crate::spawn(async move {
                seen.store(!shared.global.is_empty(), Ordering::SeqCst);
            });
            crate::task::yield_now().await;
            s.await.unwrap();
        });
        // This poll is preempted (as `poll_proceed` does when sysmon asks) and completes.
        super::p::note_preempted();
        y
    });
    let y = rt.block_on(x).unwrap();
    rt.block_on(y).unwrap();
    assert!(
        !in_global.load(Ordering::SeqCst),
        "a yield after an unrelated preempted poll went to the global queue"
    );
}

/// The P of a fresh runtime without sysmon. The runtime starts an M at build; it gives the P
/// back once it finds no work (and blocks in the poller).
fn take_idle_p(shared: &super::Shared) -> super::p::OwnedP {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match shared.take_idle_p() {
            Some(owned) => return owned,
            None if Instant::now() < deadline => thread::sleep(Duration::from_millis(1)),
            None => panic!("no idle P within 10 s"),
        }
    }
}

/// sysmon's request names the poll it saw: if that poll ends before the request lands, the
/// M's next poll (a new hop of the same slice here) is not asked to yield.
#[test]
fn a_stale_preemption_request_does_not_preempt_the_next_poll() {
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let shared = &rt.handle().shared;
    let n = shared.ps.len();
    let m = M::new(99, crossbeam_deque::Worker::new_fifo().stealer(), false);
    let p = &shared.ps[0];
    let owned = take_idle_p(shared);
    p.set_owned(&owned, &m);
    let seq1 = p.begin_poll(owned, false);
    // sysmon looks at poll `seq1` ...
    let view = shared.observe_p(0).expect("the P runs");
    assert_eq!(view.poll, Some(seq1));
    // ... which ends; the M starts the next poll, inheriting the slice ...
    let owned = p.end_poll(seq1).expect("not retaken");
    let seq2 = p.begin_poll(owned, true);
    let _unconstrained = coop::reset_pinned();
    coop::reset(&m.preempt, poll_id(0, seq2, n));
    // ... and only then does the request land.
    assert!(view.request_preempt());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(
        coop::poll_proceed(&mut cx).is_ready(),
        "a request meant for the poll before made this one yield"
    );
    // A request for the poll in progress is honoured.
    let view = shared.observe_p(0).expect("the P runs");
    assert!(view.request_preempt());
    assert_eq!(m.preempt_flag().poll(), poll_id(0, seq2, n));
    assert!(coop::poll_proceed(&mut cx).is_pending());
    assert!(context::with_worker(|cx| cx.is_none()), "this thread is no M");
    let owned = p.end_poll(seq2).expect("not retaken");
    shared.put_idle_p(owned);
}

/// sysmon's request to end a slice names the slice it saw: if the owner has started a new one
/// before the request lands, the new slice is not cut short (find step 1 leaves `runnext`).
#[test]
fn a_stale_slice_request_does_not_end_the_next_slice() {
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let shared = &rt.handle().shared;
    let m = M::new(99, crossbeam_deque::Worker::new_fifo().stealer(), false);
    let p = &shared.ps[0];
    let owned = take_idle_p(shared);
    p.set_owned(&owned, &m);
    let seq1 = p.begin_poll(owned, false);
    // sysmon looks at the slice (and judges it expired) ...
    let view = shared.observe_p(0).expect("the P runs");
    // ... the owner starts a new slice ...
    let owned = p.end_poll(seq1).expect("not retaken");
    let seq2 = p.begin_poll(owned, false);
    // ... and only then does the request land.
    view.request_preempt();
    assert!(
        !p.preempt_requested(),
        "a request for the old slice ends the new one"
    );
    assert!(!p.take_preempt());
    // A request for the slice in progress is honoured, once.
    shared.observe_p(0).expect("the P runs").request_preempt();
    assert!(p.preempt_requested());
    assert!(p.take_preempt());
    assert!(!p.take_preempt());
    let owned = p.end_poll(seq2).expect("not retaken");
    shared.put_idle_p(owned);
}
