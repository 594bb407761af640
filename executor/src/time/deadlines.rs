//! The runtime's timekeeping, [`Timekeeper`]: the timer clock with its auto-advance holds
//! (time/clock.rs), the real clock of traces (`now_ns`), deadlines as clock values
//! (`instant_to_ns`), the earliest deadline of a set of heaps (`next_timer`, `due`), and the
//! timer/poller handshake (`PollUntil`, `timer_added`). The heaps themselves are heap.rs, one
//! per P; who runs them is sched/poller.rs (find step 0, the blocking poller of find step 8,
//! sysmon). What the scheduler does with the answers (break the poll, wake an M) is
//! `Shared::timer_added` and `Shared::let_go` (sched/shared.rs).
//!
//! # The timer/poller handshake (Go's `wakeNetPoller`)
//! The one M blocked in the poller sleeps until the earliest deadline of every P's heap, so a
//! timer that becomes some P's earliest while it sleeps must break its poll if the poll would
//! sleep past it. It is a Dekker pair on two words, `PollUntil` and each heap's `next_when`:
//! - the poller publishes "polling, until unknown" (`PollUntil::announce`: a SeqCst store,
//!   then a SeqCst fence) and then reads every P's earliest deadline (`next_timer`);
//! - the adder publishes the deadline (`Timers::add`, under the heap lock) and then, if it is
//!   that heap's earliest, reads `PollUntil` after a SeqCst fence (`PollUntil::timer_added`).
//!
//! Either the poller sees the new timer, or the adder sees the poller and breaks its poll: the
//! fences forbid both reading the old value. The loom model `loom_timer_poller_handshake`
//! (tests/loom_timer.rs) checks it on `PollUntil` and `Timers`, and shows that the adder's
//! fence is needed. With nobody in the poller the adder wakes an M (`wakep`), so some M looks
//! at the timers.

use crate::loom::atomic::{AtomicU64, Ordering, fence};
use crate::time::clock::Clock;
use crate::time::heap::{NO_TIMER, Timers};
use std::time::Instant;

/// `PollUntil` when nobody is blocked in the poller.
const NOT_POLLING: u64 = 0;
/// `PollUntil` while the poller is blocked but has not read the deadlines yet, or found none:
/// any new timer is earlier.
const UNTIL_UNKNOWN: u64 = u64::MAX;

/// When the blocking poll times out by itself, in ns of the timer clock (`NOT_POLLING`: nobody
/// polls; `u64::MAX`: never). Written only by the M that holds the poller's `blocking` flag.
pub(crate) struct PollUntil(AtomicU64);

/// What the adder of a new earliest timer must do (`PollUntil::timer_added`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterAdd {
    /// Nobody is blocked in the poller: make sure an M looks at the timers (`wakep`).
    WakeM,
    /// The poller would sleep past the new deadline: break its poll.
    BreakPoll,
    /// The poller wakes by itself in time.
    Nothing,
}

impl PollUntil {
    pub(crate) fn new() -> PollUntil {
        PollUntil(AtomicU64::new(NOT_POLLING))
    }

    /// The poller's first half, before it reads the deadlines: "polling, until unknown". From
    /// here on a timer added anywhere breaks the poll, until `set` narrows it.
    pub(crate) fn announce(&self) {
        self.0.store(UNTIL_UNKNOWN, Ordering::SeqCst);
        // SeqCst fence: pairs with the one in `timer_added`, so this store and the deadline
        // loads that follow cannot pass each other (store buffering).
        fence(Ordering::SeqCst);
    }

    /// The poller read the deadlines: its poll times out at `next` (`NO_TIMER`: never). A
    /// timer added before `next` breaks it.
    pub(crate) fn set(&self, next: u64) {
        self.0.store(next, Ordering::SeqCst);
    }

    /// The poller is done (or gave up before polling): nobody polls.
    pub(crate) fn clear(&self) {
        self.0.store(NOT_POLLING, Ordering::SeqCst);
    }

    /// The adder's second half: a timer at `when` became some P's earliest (its `next_when`
    /// is published). Says whether the poller must be broken, or an M woken.
    pub(crate) fn timer_added(&self, when: u64) -> AfterAdd {
        // SeqCst fence: pairs with `announce`'s (see the module header).
        fence(Ordering::SeqCst);
        after_add(when, self.0.load(Ordering::SeqCst))
    }

    /// `timer_added` without its fence: the broken variant the loom model must catch.
    #[cfg(all(loom, test))]
    pub(crate) fn timer_added_without_fence(&self, when: u64) -> AfterAdd {
        after_add(when, self.0.load(Ordering::SeqCst))
    }
}

/// The adder's decision, given what it read of `PollUntil`.
fn after_add(when: u64, until: u64) -> AfterAdd {
    if until == NOT_POLLING {
        AfterAdd::WakeM
    } else if when < until {
        AfterAdd::BreakPoll
    } else {
        AfterAdd::Nothing
    }
}

/// A runtime's timekeeping (module docs).
///
/// # Fields
/// - `started`: fixed; the instant timer time 0 stands for.
/// - `clock`: the timer clock and the auto-advance holds (time/clock.rs).
/// - `poll_until`: the blocking poller's side of the handshake (module docs); written only by
///   the M that holds the poller's `blocking` flag.
pub(crate) struct Timekeeper {
    started: Instant,
    pub(crate) clock: Clock,
    pub(crate) poll_until: PollUntil,
}

impl Timekeeper {
    pub(crate) fn new(started: Instant, paused: bool) -> Timekeeper {
        Timekeeper {
            started,
            clock: Clock::new(started, paused),
            poll_until: PollUntil::new(),
        }
    }

    /// The clock of timer deadlines: ns since the runtime started, standing still while the
    /// clock is paused (time/clock.rs).
    #[inline]
    pub(crate) fn timer_now(&self) -> u64 {
        self.clock.now_ns()
    }

    /// Takes an auto-advance hold (time/clock.rs, "Paused time and auto-advance").
    #[inline]
    pub(crate) fn hold(&self) {
        self.clock.hold();
    }

    /// Lets go of a hold; true if it was the last one while the clock is paused: the caller
    /// breaks the blocking poll, so the M there checks whether the clock may jump now
    /// (`Shared::let_go`).
    #[inline]
    pub(crate) fn let_go(&self) -> bool {
        self.clock.let_go()
    }

    /// A std instant as a deadline: ns since the runtime started (below `NO_TIMER`).
    pub(crate) fn instant_to_ns(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.started).as_nanos()).unwrap_or(u64::MAX - 1)
    }

    /// The earliest timer of `heaps` (every P's), or `NO_TIMER`.
    pub(crate) fn next_timer<'a>(&self, heaps: impl Iterator<Item = &'a Timers>) -> u64 {
        heaps.map(Timers::next_when).min().unwrap_or(NO_TIMER)
    }

    /// The clock, if `heap` has a timer due by now (the clock is read only if it has one).
    #[inline]
    pub(crate) fn due(&self, heap: &Timers) -> Option<u64> {
        let next = heap.next_when();
        if next == NO_TIMER {
            return None;
        }
        let now = self.timer_now();
        (now >= next).then_some(now)
    }

    /// Go's `wakeNetPoller`, the decision: a timer at `when` became some P's earliest (the
    /// adder's half of the handshake, after `Timers::add`).
    pub(crate) fn timer_added(&self, when: u64) -> AfterAdd {
        self.poll_until.timer_added(when)
    }
}
