//! loom model of the timer/poller handshake (time/deadlines.rs): the M about to block in the
//! poller announces it and reads every P's earliest deadline, while a task adds a timer that
//! becomes its P's earliest and then reads what the poller announced. Either the poller sees
//! the timer (and sleeps no later than it), or the adder sees the poller and breaks its poll:
//! never neither, which would leave the timer unfired while the poller sleeps past it (until
//! some unrelated event, or forever with nothing else to wake it).

use crate::time::deadlines::{AfterAdd, PollUntil};
use crate::time::heap::{Entry, NO_TIMER, Timers};
use loom::thread;
use std::sync::Arc;

/// The new timer's deadline (ns of the timer clock).
const WHEN: u64 = 5;

/// One run of the race on the real `PollUntil` and `Timers`. `adder_fence`: the adder's SeqCst
/// fence (false: the broken variant).
fn add_vs_block(adder_fence: bool) {
    let until = Arc::new(PollUntil::new());
    let timers = Arc::new(Timers::new());
    let (until2, timers2) = (until.clone(), timers.clone());
    let adder = thread::spawn(move || {
        // `Sleep`'s first pending poll: the heap's `add`, then `Shared::timer_added`.
        let earliest = timers2.add(WHEN, Arc::new(Entry::new())).unwrap();
        assert!(earliest, "the only timer is the earliest");
        if adder_fence {
            until2.timer_added(WHEN)
        } else {
            until2.timer_added_without_fence(WHEN)
        }
    });
    // The poller (`block_in_poller`): announce, read the deadlines, narrow the announcement.
    until.announce();
    let next = timers.next_when();
    until.set(next);
    let after = adder.join().unwrap();
    assert!(
        next != NO_TIMER || after == AfterAdd::BreakPoll,
        "lost timer: the poller sleeps past it ({next}) and the adder did {after:?}"
    );
    if next != NO_TIMER {
        assert_eq!(next, WHEN, "the poller sleeps until the new timer at most");
    }
}

#[test]
fn loom_timer_poller_handshake() {
    loom::model(|| add_vs_block(true));
}

/// The model can fail: without the adder's fence both sides may read the old value.
#[test]
#[should_panic(expected = "lost timer")]
fn loom_timer_poller_handshake_without_the_fence_loses_the_timer() {
    loom::model(|| add_vs_block(false));
}
