//! sysmon's watch of the running Ps (Go's `retake`, the policy half): what it remembers of
//! each P between rounds (`PWatch`), and its three policies, each a function with its
//! threshold:
//! 1. **Blocked in the kernel** (`blocked_hand_off`, Go's syscall case): a poll whose M's CPU
//!    clock stands still (a `std::thread::sleep`, a sync lock, blocking I/O) loses its P once
//!    stuck `BLOCKED_RETAKE_AFTER` with work behind it. A clock that stands still because the
//!    thread waits for a CPU (more Ms than cores) is not a block: where
//!    `/proc/self/task/<tid>/stat` says the thread is runnable (`R`), it counts as computing.
//! 2. **Running too long** (`running_preempt`, then `running_hand_off`, Go's running case):
//!    a P whose `schedtick` has not moved for `preempt_slice` is asked to end its slice
//!    (`PView::request_preempt`: the task that would inherit it goes to the global tail,
//!    sched/mod.rs "The time slice", and a running poll's budget reads zero), again every
//!    round while the tick stays frozen; a poll still running a round after it was asked to
//!    yield loses its P, with work behind it.
//! 3. **Stalled M** (`stalled_wake_thief`): a P with queued tasks whose M has started no poll
//!    for `STALL_WAKE_AFTER` while another P is idle gets a thief (`PView::wake_thief`).
//!
//! `retake` only dispatches: it looks at each P (`Shared::observe_p`), brings the P's record
//! up to date (`PWatch::track`, which samples the CPU clock), and asks the policies in that
//! order; each also says when it needs to look again (`Next`). The acts themselves are
//! `PView`'s (sched/p.rs, next to the ownership protocol they take part in).
//!
//! `watch_from_m` is the running Ms' share: every 61st poll an M looks at the other Ps and
//! kicks a sysmon that sleeps long when one has been in the same poll for
//! `BLOCKED_RETAKE_AFTER` with work behind it.

use super::Next;
use super::note::{Kick, Why};
use crate::loom::Arc;
use crate::loom::atomic::Ordering;
use crate::sched::Shared;
use crate::sched::m::M;
use crate::sched::p::{PStatus, PView};
use std::time::{Duration, Instant};

/// Policy 1: a poll blocked in the kernel this long, with work queued behind it, loses its P
/// (Go retakes a P in a syscall after one 20 µs sysmon tick; we wait a little longer so that
/// a short blocking call, a page fault or a contended lock does not cost a thread switch).
pub(super) const BLOCKED_RETAKE_AFTER: Duration = Duration::from_millis(1);
/// Policy 3: a P with queued tasks whose M has not started a poll for this long (it is in one
/// long poll, or the OS took its CPU away) while another P is idle: sysmon wakes an M to steal
/// them (`wakep`). Without it they would wait for the slice (10 ms) or for a retake; a poll's
/// first spawn or wake does not wake an M by design (find.rs: it runs next on this M). 100 µs:
/// a few typical polls, well under the slice.
const STALL_WAKE_AFTER: Duration = Duration::from_micros(100);
/// Shortest window over which the stuck thread's CPU clock is compared with the wall clock.
const CPU_SAMPLE: Duration = Duration::from_micros(200);

/// What sysmon remembers of one P between rounds (Go's `sysmontick`).
#[derive(Clone, Copy)]
pub(super) struct PWatch {
    /// Slice accounting: the `schedtick` seen and since when.
    schedtick: u32,
    since: Instant,
    /// The poll being watched (its sequence number), since when it counts as running, and the
    /// round that first saw it.
    pub(super) seq: Option<u64>,
    poll_since: Instant,
    pub(super) seen_at: Instant,
    /// Last CPU-clock sample of the polling M, and when it was taken.
    cpu: Option<u64>,
    cpu_at: Instant,
    /// The last sample said the M is blocked (its CPU clock stood still).
    blocked: bool,
    /// A preemption was requested for this poll.
    preempt_sent: bool,
    /// A preemption was requested for the current (expired) slice.
    requested: bool,
    /// The owning M's poll count, and since when it stood still.
    polls: u64,
    polls_at: Instant,
}

impl PWatch {
    pub(super) fn new(now: Instant) -> PWatch {
        PWatch {
            schedtick: 0,
            since: now,
            seq: None,
            poll_since: now,
            seen_at: now,
            cpu: None,
            cpu_at: now,
            blocked: false,
            preempt_sent: false,
            requested: false,
            polls: 0,
            polls_at: now,
        }
    }

    /// The P is idle: nothing to watch until it runs again.
    fn forget(&mut self, now: Instant) {
        self.seq = None;
        self.since = now;
        self.requested = false;
    }

    /// The earliest moment the poll watched could be worth a retake under policy 1 (the next
    /// look at it while work waits behind it). Not sampled since first seen: once a sample can
    /// say blocked (`CPU_SAMPLE` after the first) and the poll counts as stuck
    /// `BLOCKED_RETAKE_AFTER`. Sampled: when it has been stuck that long, or, past that (it
    /// computes), again `BLOCKED_RETAKE_AFTER` from now, in case it blocks.
    fn retake_worthy_at(&self, now: Instant) -> Instant {
        let worth = self.poll_since + BLOCKED_RETAKE_AFTER;
        if self.cpu_at == self.seen_at {
            worth.max(self.cpu_at + CPU_SAMPLE)
        } else if worth > now {
            worth
        } else {
            now + BLOCKED_RETAKE_AFTER
        }
    }

    /// Brings the poll record up to date: a new poll starts a new record (counted as running
    /// since `first_seen`); a poll seen before has its M's CPU clock sampled (at most every
    /// `CPU_SAMPLE`). Returns the poll and its M if it is one seen before (the policies may
    /// act on it).
    fn track<'a>(&mut self, p: &PView<'a>, now: Instant, first_seen: Instant) -> Option<(u64, &'a M)> {
        let (seq, m) = (p.poll, p.m);
        if seq != self.seq {
            self.seq = seq;
            self.poll_since = first_seen;
            self.seen_at = now;
            self.cpu = m.and_then(|m| m.cpu_time());
            self.cpu_at = now;
            self.blocked = false;
            self.preempt_sent = false;
            return None;
        }
        let (Some(seq), Some(m)) = (seq, m) else {
            return None;
        };
        if now.duration_since(self.cpu_at) >= CPU_SAMPLE {
            let cpu = m.cpu_time();
            let wall = now.duration_since(self.cpu_at).as_nanos() as u64;
            // Blocked: the thread ran less than a quarter of the wall time since the last
            // sample. Without a CPU clock it counts as computing.
            self.blocked = matches!((self.cpu, cpu), (Some(a), Some(b)) if b.saturating_sub(a) * 4 < wall)
                && m.kernel_runnable() != Some(true);
            self.cpu = cpu;
            self.cpu_at = now;
            crate::diag::poll::sysmon_sample(&m.diag, seq, self.blocked);
        }
        Some((seq, m))
    }
}

/// Go's `retake`, the policy half: which P to preempt, retake or find a thief for, and when.
/// Returns whether it did anything; `next` learns when a P needs a look again.
pub(super) fn retake(
    shared: &Arc<Shared>,
    watch: &mut [PWatch],
    now: Instant,
    kick: Kick,
    next: &mut Next,
) -> bool {
    let mut acted = false;
    // A poll first seen this round is watched closely (a deadline when it could be worth a
    // retake) only if no other M runs to notice it stuck (`watch_from_m`), or sysmon was
    // kicked. An M that kicked it has watched that poll for `BLOCKED_RETAKE_AFTER` already,
    // so then the poll counts as seen that long (sysmon's own sample still decides).
    let busy = shared.ps.len() - shared.idle.idle_p_count();
    let close = kick != Kick::None || busy <= 1;
    let first_seen = match kick {
        Kick::Stuck => now.checked_sub(BLOCKED_RETAKE_AFTER).unwrap_or(now),
        _ => now,
    };
    for (pid, w) in watch.iter_mut().enumerate() {
        let Some(p) = shared.observe_p(pid) else {
            w.forget(now);
            continue;
        };
        if let Some((seq, m)) = w.track(&p, now, first_seen) {
            if blocked_hand_off(shared, &p, w, (seq, m), now) || running_hand_off(shared, &p, w, (seq, m)) {
                acted = true;
                continue;
            }
        }
        blocked_next_look(shared, pid, &p, w, (now, close), next);
        acted |= stalled_wake_thief(shared, &p, w, now, next);
        acted |= running_preempt(shared, &p, w, now, next);
    }
    acted
}

/// Policy 1: the poll seen before whose M's CPU clock stood still at the last sample loses its
/// P once stuck `BLOCKED_RETAKE_AFTER`, with work behind it. True if it retook the P.
fn blocked_hand_off(
    shared: &Arc<Shared>,
    p: &PView<'_>,
    w: &mut PWatch,
    poll: (u64, &M),
    now: Instant,
) -> bool {
    w.blocked && now.duration_since(w.poll_since) >= BLOCKED_RETAKE_AFTER && hand_off(shared, p, w, poll)
}

/// Policy 1's next look at a poll with work behind it: when it could first be worth a retake
/// (sampled, and stuck long enough); at a poll without work behind it, when a timer of its P
/// comes due (its tasks are then work behind it). A poll first seen this round gets a look
/// only if sysmon watches it `close`ly.
fn blocked_next_look(
    shared: &Arc<Shared>,
    pid: usize,
    p: &PView<'_>,
    w: &PWatch,
    (now, close): (Instant, bool),
    next: &mut Next,
) {
    if w.seq.is_none() || p.m.is_none() {
        return;
    }
    let seen_before = w.seen_at < now;
    if p.holds_up_work() && (seen_before || close) {
        next.at(w.retake_worthy_at(now));
    } else if let Some(d) = crate::sched::poller::sysmon_timer_due_in(shared, pid) {
        next.at(now + d);
    }
}

/// Policy 2, second half: a computing poll asked to yield in an earlier round
/// (`running_preempt`) and still running loses its P, with work behind it. True if it
/// retook the P.
fn running_hand_off(shared: &Arc<Shared>, p: &PView<'_>, w: &mut PWatch, poll: (u64, &M)) -> bool {
    !w.blocked && w.preempt_sent && hand_off(shared, p, w, poll)
}

/// Policy 2, first half (Go's `preemptone` when `schedtick` stood still for a slice): asks
/// the P to end its slice once `preempt_slice` has passed. True the first time for a slice.
fn running_preempt(shared: &Shared, p: &PView<'_>, w: &mut PWatch, now: Instant, next: &mut Next) -> bool {
    let slice = shared.config.preempt_slice;
    let tick = p.schedtick();
    if tick != w.schedtick {
        w.schedtick = tick;
        w.since = now;
        w.requested = false;
        next.at(now + slice);
        return false;
    }
    if now.duration_since(w.since) < slice {
        next.at(w.since + slice);
        return false;
    }
    // Requested again every round while the tick stays frozen, as Go's sysmon does: the
    // owner may have consumed a request with nothing to preempt, or a new poll's
    // `coop::reset` may have cleared the M's flag before the poll saw it. Only the first
    // request of a slice counts as sysmon having acted (for its sleep).
    if p.request_preempt() {
        w.preempt_sent = true;
    }
    let acted = !w.requested;
    w.requested = true;
    acted
}

/// Policies 1 and 2's act: takes the P from the M stuck in `poll` and hands it on, if work
/// waits behind it (a retake with none would only cost a thread switch).
fn hand_off(shared: &Arc<Shared>, p: &PView<'_>, w: &mut PWatch, (seq, m): (u64, &M)) -> bool {
    if !p.holds_up_work() {
        return false;
    }
    // Before the CAS, which publishes it to the stuck M (diag/poll.rs).
    let start = shared.time.instant_to_ns(w.poll_since);
    crate::diag::poll::sysmon_retaking(&m.diag, seq, w.blocked, start);
    if p.retake() {
        w.seq = None;
        return true;
    }
    false
}

/// Policy 3: queued work behind an M that has started no poll for `STALL_WAKE_AFTER`: wake
/// another M to steal it (if a P is idle). True if it did.
fn stalled_wake_thief(shared: &Shared, p: &PView<'_>, w: &mut PWatch, now: Instant, next: &mut Next) -> bool {
    let Some(m) = p.m else {
        return false;
    };
    let mut acted = false;
    let polls = m.polls.load(Ordering::Relaxed);
    if polls != w.polls {
        w.polls = polls;
        w.polls_at = now;
    } else if now.duration_since(w.polls_at) >= STALL_WAKE_AFTER && p.wake_thief() {
        w.polls_at = now;
        acted = true;
    }
    if shared.idle.idle_p_count() > 0 && p.holds_up_work() {
        next.at(w.polls_at + STALL_WAKE_AFTER);
    }
    acted
}

std::thread_local! {
    /// `watch_from_m`'s memory of each P: the poll it was in at this M's last look (sequence
    /// + 1; 0: not in a poll) and since when (`Diag::clock` ticks).
    static SEEN: std::cell::RefCell<Vec<(u64, u64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A running M's look at the other Ps, every 61st poll (find step 2), while sysmon sleeps
/// long or dozes: a P that has been in the same poll for `BLOCKED_RETAKE_AFTER`, with work behind it,
/// may be stuck, so sysmon is kicked to watch it closely (its CPU clock tells blocked from
/// computing or waiting for a CPU). This is what lets sysmon sleep long while Ms run: they
/// notice a stuck P, and only then does sysmon sample its thread.
pub(crate) fn watch_from_m(shared: &Arc<Shared>, me: usize) {
    if !shared.sysmon_note.is_lazy() {
        return;
    }
    let clock = &shared.diag.clock;
    let now = clock.ticks();
    let stuck = SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        seen.resize(shared.ps.len(), (0, 0));
        let mut stuck = false;
        for (pid, (last, since)) in seen.iter_mut().enumerate() {
            if pid == me {
                continue;
            }
            let view = shared.observe_p(pid);
            let poll = view.and_then(|v| v.poll).map_or(0, |seq| seq + 1);
            if poll != *last {
                (*last, *since) = (poll, now);
                continue;
            }
            let long =
                clock.ticks_to_ns(now.saturating_sub(*since)) >= BLOCKED_RETAKE_AFTER.as_nanos() as u64;
            stuck |= poll != 0 && long && view.is_some_and(|v| v.holds_up_work());
        }
        stuck
    });
    if stuck {
        shared.sysmon_note.kick(Why::Stuck);
    }
}

/// A P went idle leaving one running (`Shared::put_idle_p`), which no other M watches for a
/// sysmon that sleeps long now: kicks it (`Why::Lone`) if that P may need it soon, that is if
/// work waits (its queue, the global queue), it has a timer due within sysmon's longest sleep (its M may be stuck, and
/// sysmon runs timers nobody ran), or is still in the poll this M saw at its last look
/// (`watch_from_m`: a poll that has run a while). Otherwise the lone P is left to sysmon's
/// cadence: under load a P goes idle hundreds of times a second, and a kick each time would
/// wake sysmon as often.
pub(crate) fn left_alone(shared: &Shared) {
    if !shared.sysmon_note.is_lazy() {
        return;
    }
    let needs = SEEN.with(|seen| {
        let seen = seen.borrow();
        shared.ps.iter().enumerate().any(|(pid, p)| {
            let seq = match p.status() {
                PStatus::Idle => return false,
                PStatus::InPoll(seq) => Some(seq),
                PStatus::Owned => None,
            };
            // A thread that never looked (not an M, or none yet) cannot tell: it kicks.
            let old_poll = seq.is_some_and(|seq| seen.get(pid).is_none_or(|&(last, _)| last == seq + 1));
            let due = crate::sched::poller::sysmon_timer_due_in(shared, pid);
            old_poll
                || !p.runq().is_empty()
                || !shared.global.is_empty()
                || due.is_some_and(|d| d < super::MAX_DELAY)
        })
    });
    if needs {
        shared.sysmon_note.kick(Why::Lone);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::runtime::Builder;
    use std::thread;

    #[test]
    fn preemption_is_requested_again_every_round_while_the_slice_stays_expired() {
        let slice = Duration::from_millis(10);
        let rt = Builder::new()
            .maxprocs(1)
            .sysmon(false)
            .preempt_slice(slice)
            .build()
            .unwrap();
        let shared = &rt.handle().shared;
        let m = M::new(99, crossbeam_deque::Worker::new_fifo().stealer(), false);
        let p = &shared.ps[0];
        // Without sysmon the runtime starts an M at build; it gives the P back once it finds
        // no work (and blocks in the poller).
        let deadline = Instant::now() + Duration::from_secs(10);
        let owned = loop {
            match shared.take_idle_p() {
                Some(owned) => break owned,
                None if Instant::now() < deadline => thread::sleep(Duration::from_millis(1)),
                None => panic!("no idle P within 10 s"),
            }
        };
        p.set_owned(&owned, &m);
        let seq = p.begin_poll(owned, false);
        let t0 = Instant::now();
        let mut watch = vec![PWatch::new(t0)];
        retake(shared, &mut watch, t0, Kick::None, &mut Next(None));
        assert!(!p.preempt_requested(), "no request within the slice");
        let t1 = t0 + 2 * slice;
        assert!(
            retake(shared, &mut watch, t1, Kick::None, &mut Next(None)),
            "the first request counts as acting"
        );
        assert!(p.preempt_requested() && m.preempt_flag().load(Ordering::Relaxed));
        // The request is consumed without effect (a new hop's `coop::reset`, or find.rs with
        // nothing in `runnext`), and the tick stays frozen: the next round asks again.
        p.take_preempt();
        m.preempt_flag().store(false, Ordering::Relaxed);
        retake(
            shared,
            &mut watch,
            t1 + Duration::from_micros(50),
            Kick::None,
            &mut Next(None),
        );
        assert!(
            p.preempt_requested() && m.preempt_flag().load(Ordering::Relaxed),
            "the request must be repeated while schedtick is frozen"
        );
        // A new slice ends the requests (and clears the stale flag).
        let owned = p.end_poll(seq).expect("not retaken");
        let seq = p.begin_poll(owned, false);
        assert!(!p.preempt_requested(), "begin_poll clears a stale request");
        m.preempt_flag().store(false, Ordering::Relaxed);
        retake(
            shared,
            &mut watch,
            t1 + Duration::from_micros(100),
            Kick::None,
            &mut Next(None),
        );
        assert!(!p.preempt_requested() && !m.preempt_flag().load(Ordering::Relaxed));
        let owned = p.end_poll(seq).expect("not retaken");
        shared.put_idle_p(owned);
    }

    #[test]
    fn a_poll_is_looked_at_again_when_it_could_first_be_worth_a_retake() {
        let ms = Duration::from_millis(1);
        let t0 = Instant::now();
        // First seen at t0, not sampled since: once it counts as stuck 1 ms.
        let w = PWatch::new(t0);
        assert_eq!(w.retake_worthy_at(t0), t0 + BLOCKED_RETAKE_AFTER);
        // Seen by an M that kicked sysmon (it counts as stuck since 1 ms before): as soon as
        // a CPU sample can say blocked.
        let w = PWatch {
            poll_since: t0 - ms,
            ..PWatch::new(t0)
        };
        assert_eq!(w.retake_worthy_at(t0), t0 + CPU_SAMPLE);
        // Sampled since, not yet stuck 1 ms: at 1 ms.
        let w = PWatch {
            cpu_at: t0 + CPU_SAMPLE,
            ..PWatch::new(t0)
        };
        assert_eq!(w.retake_worthy_at(t0 + CPU_SAMPLE), t0 + BLOCKED_RETAKE_AFTER);
        // Sampled, stuck 1 ms and still running (it computes): again 1 ms from now.
        let now = t0 + 3 * ms;
        let w = PWatch {
            cpu_at: now,
            ..PWatch::new(t0)
        };
        assert_eq!(w.retake_worthy_at(now), now + BLOCKED_RETAKE_AFTER);
    }
}
