//! The M's use of the netpoller (netpoll/) and of the timer heaps (time/): the find steps that
//! touch them (list "Where an M looks for work", sched/mod.rs) and sysmon's share.
//!
//! - Find step 0, Go's `checkTimers`: this P's due timers (`check_timers`; a thief runs a
//!   victim's in its last round of find step 6).
//! - Find steps 2 and 5: a non-blocking poll (`poll_nonblocking`), unless an M is blocked in
//!   the poller.
//! - Find step 8 (`block_in_poller`), for an M that gave up its P and found nothing: while
//!   every P is idle (or sysmon is off), one M blocks in the poller until an event, the
//!   nearest timer or a break, then runs every due timer; otherwise the M parks, until the
//!   nearest timer if there is one (`sleep_until_timer`). Busy Ms poll between tasks, and
//!   sysmon if nobody polled for 1 ms (`sysmon_poll`).
//! - Go's `injectglist`, in part: wakes made by the poller or by timers are collected
//!   (`Mode::Collecting`) and injected as one batch: the first task runs on this M, the rest go
//!   to its P's queue (or the global queue when it has no P), and one `wakep` lets a spinning
//!   M steal them. Go's spreading step (as many tasks as there are idle Ps to the global
//!   queue, with an M started for each) is not done: the HTTP tail was worse with it
//!   (see `inject_local`).
//!
//! The blocking poller and a timer added meanwhile meet in a handshake written in
//! time/deadlines.rs (`PollUntil`): the poller announces itself before it reads the deadlines,
//! so either it sees the new timer or the adder breaks its poll.
//!
//! Paused time (time/clock.rs): timers read `timer_now`, which stands still while paused. The M in
//! the blocking poll is the one that lets a paused clock jump: when the runtime is quiescent
//! (`quiescent`) it polls the network once without blocking and, if nothing came and
//! no hold was taken since it looked, moves the clock to the nearest deadline and runs the
//! timers due then (`paused_poll`, `Clock::advance_if_quiet`); if a hold was taken, it looks
//! again.

use super::context::{Mode, WorkerCx};
use super::p::OwnedP;
use super::shared::Shared;
use super::worker::acquirep;
use crate::diag::export::Kind;
use crate::loom::atomic::Ordering;
use crate::task::Notified;
use crate::time::heap::NO_TIMER;
use std::task::Waker;
use std::time::Duration;

/// sysmon polls the network if nobody did for this long. Go's is 10 ms; ours is 1 ms because
/// no M blocks in the poller while a P runs (find step 8), so a P stuck in a long poll would
/// otherwise leave the network unwatched for 10 ms.
const SYSMON_POLL_AFTER: u64 = 1_000_000;
/// sysmon runs a P's timers if they are overdue by this much (nobody ran them).
const SYSMON_TIMER_SLACK: u64 = 1_000_000;
/// With the clock paused and no jump to make, the blocking poller looks again this often even
/// without a break (`paused_poll`). Picked so a missed break costs a test 10 ms, not a hang,
/// and an idle paused runtime wakes 100 times a second at most.
const PAUSED_RECHECK: Duration = Duration::from_millis(10);

/// Whether nothing could make work runnable at the current time (time/clock.rs): no holds,
/// every P idle, every queue and spawn buffer empty. The caller has let go of its own hold.
/// Read in this order: a holder publishes its work before it lets go. `Some(seen)`: quiet,
/// and `seen` names the moment, for the jump (`Clock::advance_if_quiet`) to check that no
/// hold was taken since.
fn quiescent(shared: &Shared) -> Option<u64> {
    let seen = shared.time.clock.quiet()?;
    let idle = shared.idle.all_ps_idle()
        && shared.global.is_empty()
        && shared.ps.iter().all(|p| p.runq().is_empty())
        && shared.all_ms().iter().all(|m| m.buffer.is_empty());
    idle.then_some(seen)
}

/// Runs `f` with this M's wakes collected, and returns what they made runnable.
fn collect(cx: &WorkerCx, f: impl FnOnce()) -> Vec<Notified> {
    let prev = cx.mode.replace(Mode::Collecting);
    f();
    cx.mode.set(prev);
    std::mem::take(&mut *cx.collected.borrow_mut())
}

fn wake_all(wake: Vec<Waker>) {
    wake.into_iter().for_each(Waker::wake);
}

/// Go's `injectglist` for an M with P `p`: returns the first task to run now; the rest go
/// to the P's queue and one idle P is woken to steal them.
///
/// Go's version first hands as many tasks as there are idle Ps to the global queue and starts
/// an M for each (`startIdle(n)`). That was built, and it made the HTTP tail worse
/// (BENCHMARKS.md, "injectglist"). One `wakep` (a spinning M steals the rest) is kept.
fn inject_local(cx: &WorkerCx, p: &OwnedP, list: Vec<Notified>) -> Option<Notified> {
    let shared = &cx.shared;
    let mut list = list.into_iter();
    let first = list.next()?;
    let mut more = false;
    let local = shared.local(p);
    for t in list {
        local.put(t, false, &shared.global);
        more = true;
    }
    if more {
        shared.wakep();
    }
    Some(first)
}

/// Go's `checkTimers`: runs the due timers of P `victim`, the M's own `p` (or, when stealing,
/// another's: `try_only` skips a heap whose lock is busy). Returns the first task they woke;
/// the rest are queued on `p`.
#[inline(always)]
pub(super) fn check_timers(cx: &WorkerCx, p: &OwnedP, victim: usize, try_only: bool) -> Option<Notified> {
    let now = cx.shared.timers_due(victim)?;
    run_due_timers(cx, p, victim, now, try_only)
}

/// `check_timers`' slow path: P `victim` has timers due at `now`; run them.
fn run_due_timers(cx: &WorkerCx, p: &OwnedP, victim: usize, now: u64, try_only: bool) -> Option<Notified> {
    let timers = &cx.shared.ps[victim].timers;
    let mut wake = Vec::new();
    timers.run(now, &mut wake, try_only);
    if wake.is_empty() {
        return None;
    }
    let list = collect(cx, || wake_all(wake));
    inject_local(cx, p, list)
}

/// Find steps 2 and 5: a non-blocking poll, if anything is registered and nobody is blocked
/// in the poller.
pub(super) fn poll_nonblocking(cx: &WorkerCx, p: &OwnedP) -> Option<Notified> {
    let shared = &cx.shared;
    let poller = &shared.poller;
    if !poller.has_sources() || poller.blocking.load(Ordering::Relaxed) {
        return None;
    }
    let list = collect(cx, || {
        poller.poll(Some(Duration::ZERO), false);
    });
    if list.is_empty() {
        return None;
    }
    shared
        .netpoll_wakeups
        .fetch_add(list.len() as u64, Ordering::Relaxed);
    cx.m.trace_instant(&shared.diag, Kind::Netpoll, list.len() as u64);
    inject_local(cx, p, list)
}

/// Find step 8: the M holds no P and found no work.
///
/// If every P is idle and no other M is blocked in the poller, this one blocks there until an
/// event, the nearest timer, or a break; then it runs every due timer and takes an idle P for
/// what it found.
///
/// If some P is still running (and sysmon runs), its M polls the network itself (every 61st
/// poll, find step 2, and when it runs dry, find step 5), and sysmon polls if nobody did for
/// 1 ms. An M blocked in the poller then would only wake for each event to compete for the
/// cores with the running Ms (a worse HTTP tail). So this M parks, until the nearest timer if
/// there is one (then it runs the due timers itself).
///
/// `Some`: the M holds that P now (look for work); `None`: park.
pub(super) fn block_in_poller(cx: &WorkerCx) -> Option<OwnedP> {
    let shared = &cx.shared;
    let poller = &shared.poller;
    // The M that makes every P idle sees it (`all_ps_idle`). Without sysmon nobody else
    // would watch the network while a P runs one long poll, so then this M blocks in the
    // poller as Go's does.
    if shared.config.sysmon && !shared.idle.all_ps_idle() {
        return sleep_until_timer(cx);
    }
    if poller.blocking.swap(true, Ordering::SeqCst) {
        return None;
    }
    // The poller's half of the handshake (time/deadlines.rs): from here on any timer added
    // breaks the poll, until `set` below narrows it to the deadlines read after this.
    shared.time.poll_until.announce();
    if shared.is_shutdown() {
        shared.time.poll_until.clear();
        poller.blocking.store(false, Ordering::SeqCst);
        return None;
    }
    // Rule 1 of time/clock.rs: this M stops holding while it blocks (and before it checks).
    shared.time.let_go();
    let (mut list, io) = loop {
        let (timeout, step) = if shared.time.clock.is_paused() {
            paused_poll(shared)
        } else {
            let next = shared.next_timer();
            let timeout = match next {
                NO_TIMER => None,
                w => Some(Duration::from_nanos(w.saturating_sub(shared.time.timer_now()))),
            };
            shared.time.poll_until.set(next);
            (timeout, Step::Wait)
        };
        cx.m.blocked.store(true, Ordering::Relaxed);
        cx.m.trace_instant(&shared.diag, Kind::Park, 1);
        let mut list = collect(cx, || {
            poller.poll(timeout, true);
        });
        cx.m.trace_instant(&shared.diag, Kind::Park, 0);
        cx.m.blocked.store(false, Ordering::Relaxed);
        let io = list.len();
        if io == 0 {
            // The jump and the wake of `advance`'s callers happen only if no hold was taken
            // since the look (a wake from outside the runtime, I/O readiness of a pinned task
            // or of `block_on`, both not in `list`): else look again, still without a hold,
            // so the last let-go breaks the poll and auto-advance cannot stall.
            let acted = match step {
                Step::Wait => true,
                Step::Jump { to, seen } => shared.time.clock.advance_if_quiet(seen, to),
                Step::WakeIdleWaiters { seen } => {
                    let quiet = shared.time.clock.still_quiet(seen);
                    if quiet {
                        list.extend(collect(cx, || {
                            shared.time.clock.wake_idle_waiters();
                        }));
                    }
                    quiet
                }
            };
            if !acted && !shared.is_shutdown() {
                continue;
            }
        }
        break (list, io);
    };
    shared.time.hold();
    shared.time.poll_until.clear();
    poller.blocking.store(false, Ordering::SeqCst);
    list.extend(run_all_timers(cx));
    if io > 0 {
        shared.netpoll_wakeups.fetch_add(io as u64, Ordering::Relaxed);
        cx.m.trace_instant(&shared.diag, Kind::Netpoll, io as u64);
    }
    take_idle_p_for(cx, list)
}

/// What the blocking poller does after a poll that found no I/O.
enum Step {
    /// Nothing more: run the timers due by the clock (if any).
    Wait,
    /// The runtime is quiescent and the clock paused: jump it to deadline `to`, if no hold
    /// was taken since the look that returned `seen`.
    Jump { to: u64, seen: u64 },
    /// The runtime is quiescent at the current paused time: wake `advance`'s callers (if it
    /// still is).
    WakeIdleWaiters { seen: u64 },
}

/// How long to poll while the clock is paused, and what to do then. Timers due already: a
/// quick poll, then they run. The runtime quiescent: a poll without blocking (I/O that is
/// ready wins over the jump), then wake `advance`'s callers waiting for idleness, else jump to
/// the nearest deadline. Not quiescent: wait for I/O, a break (the last hold let go, a timer
/// added), or `PAUSED_RECHECK` at most. The recheck is a safety net: every let-go and timer
/// that matters breaks the poll (a break that a non-blocking poller consumed first stays
/// pending for this M: netpoll/wake.rs).
fn paused_poll(shared: &Shared) -> (Option<Duration>, Step) {
    // "Polling, until unknown" (stored by the caller) stays: any timer added breaks the poll.
    let Some(seen) = quiescent(shared) else {
        let next = shared.next_timer();
        let due = next != NO_TIMER && next <= shared.time.timer_now();
        return (
            Some(if due { Duration::ZERO } else { PAUSED_RECHECK }),
            Step::Wait,
        );
    };
    // The deadlines are read after the look at the holds: a holder arms its timer before it
    // lets go, so the nearest one is seen. Cancelled timers are no deadlines to jump to.
    let next = if shared.next_timer() == NO_TIMER {
        NO_TIMER
    } else {
        let live = shared.ps.iter().map(|p| p.timers.next_live_when()).min();
        live.unwrap_or(NO_TIMER)
    };
    let now = shared.time.timer_now();
    if next != NO_TIMER && next <= now {
        return (Some(Duration::ZERO), Step::Wait);
    }
    if shared.time.clock.has_idle_waiters() {
        (Some(Duration::ZERO), Step::WakeIdleWaiters { seen })
    } else if next <= crate::time::clock::MAX_PAUSED_NS {
        (Some(Duration::ZERO), Step::Jump { to: next, seen })
    } else {
        // Nothing to jump to (no timer, or one past the latest time a paused clock shows):
        // only I/O, a new timer or a new task can change that.
        (Some(PAUSED_RECHECK), Step::Wait)
    }
}

/// Find step 8 while some P runs: park, until the nearest timer if any, then run the due
/// timers.
/// With the clock paused the real time of the next deadline means nothing: park until woken
/// (the M in the blocking poll moves the clock and runs the timers).
fn sleep_until_timer(cx: &WorkerCx) -> Option<OwnedP> {
    let shared = &cx.shared;
    let next = shared.next_timer();
    if next == NO_TIMER || shared.time.clock.is_paused() {
        return None;
    }
    let timeout = Duration::from_nanos(next.saturating_sub(shared.time.timer_now()));
    match shared.stopm_timeout(cx, timeout) {
        Some(super::m::Wakeup::Run { p, spinning }) => {
            let p = acquirep(cx, p);
            cx.adopt_spinning(spinning);
            Some(p)
        }
        Some(super::m::Wakeup::Exit | super::m::Wakeup::Retire) => None,
        None => {
            let list = run_all_timers(cx);
            take_idle_p_for(cx, list)
        }
    }
}

/// Runs every P's due timers (an M without a P: the poller, or one woken by its timer) and
/// returns the tasks they made runnable.
fn run_all_timers(cx: &WorkerCx) -> Vec<Notified> {
    let shared = &cx.shared;
    if shared.next_timer() == NO_TIMER {
        return Vec::new();
    }
    let now = shared.time.timer_now();
    let mut wake = Vec::new();
    for p in shared.ps.iter() {
        p.timers.run(now, &mut wake, false);
    }
    if wake.is_empty() {
        return Vec::new();
    }
    collect(cx, || wake_all(wake))
}

/// An M without a P has made `list` runnable: take an idle P and queue the batch there, with
/// one `wakep` when there is more than one task (`Some`), or give them all to the global queue
/// with a `wakep` (`None`: park).
fn take_idle_p_for(cx: &WorkerCx, list: Vec<Notified>) -> Option<OwnedP> {
    let shared = &cx.shared;
    if shared.is_shutdown() {
        return None;
    }
    match shared.take_idle_p() {
        Some(p) => {
            let p = acquirep(cx, p);
            let more = list.len() > 1;
            let local = shared.local(&p);
            for t in list {
                local.put(t, false, &shared.global);
            }
            if more {
                shared.wakep();
            }
            Some(p)
        }
        None => {
            if !list.is_empty() {
                use super::runq::Overflow;
                shared.global.push_batch(list);
                shared.wakep();
            }
            None
        }
    }
}

/// For sysmon's sleep: how long until the network counts as unpolled (`sysmon_poll` polls it
/// then); `None` if nothing is registered or an M is blocked in the poller.
pub(crate) fn sysmon_poll_due_in(shared: &Shared) -> Option<Duration> {
    let poller = &shared.poller;
    if !poller.has_sources() || poller.blocking.load(Ordering::Relaxed) {
        return None;
    }
    let last = poller.last_poll.load(Ordering::Relaxed);
    let since = crate::time::monotonic::precise_now_ns().saturating_sub(last);
    Some(Duration::from_nanos(
        (SYSMON_POLL_AFTER + 1).saturating_sub(since),
    ))
}

/// For sysmon's sleep: how long until P `pid`'s nearest timer is overdue enough for
/// `sysmon_poll` to run it; `None` without a timer, or while the clock is paused.
pub(crate) fn sysmon_timer_due_in(shared: &Shared, pid: usize) -> Option<Duration> {
    let when = shared.ps[pid].timers.next_when();
    if when == NO_TIMER || shared.time.clock.is_paused() {
        return None;
    }
    let due = when.saturating_add(SYSMON_TIMER_SLACK);
    Some(Duration::from_nanos(due.saturating_sub(shared.time.timer_now())))
}

/// sysmon's share: poll the network if nobody did for 1 ms, and run timers that are overdue
/// by 1 ms because every M is busy or stuck. Wakes go to the global queue (sysmon has no P). Returns
/// whether it made anything runnable.
pub(crate) fn sysmon_poll(shared: &Shared) -> bool {
    let poller = &shared.poller;
    if poller.blocking.load(Ordering::SeqCst) {
        return false;
    }
    let last = poller.last_poll.load(Ordering::Relaxed);
    let poll_net = poller.has_sources()
        && crate::time::monotonic::precise_now_ns().saturating_sub(last) > SYSMON_POLL_AFTER;
    let now = shared.time.timer_now();
    let overdue = |p: &super::p::P| p.timers.next_when().saturating_add(SYSMON_TIMER_SLACK) <= now;
    if !poll_net && !shared.ps.iter().any(overdue) {
        return false;
    }
    // Rule 4 of time/clock.rs: a hold from before it takes anything out of the poller or a heap
    // until its wakes are in the global queue.
    shared.time.hold();
    let mut acted = false;
    if poll_net {
        if let Some(n) = poller.poll(Some(Duration::ZERO), false) {
            shared.netpoll_wakeups.fetch_add(n as u64, Ordering::Relaxed);
            acted |= n > 0;
        }
    }
    let mut wake = Vec::new();
    for p in shared.ps.iter().filter(|p| overdue(p)) {
        p.timers.run(now, &mut wake, true);
    }
    acted |= !wake.is_empty();
    wake_all(wake);
    shared.let_go();
    acted
}
