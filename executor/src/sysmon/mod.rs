//! sysmon: the monitor thread, without a P (Go's `sysmon`). It owns no P and touches one only
//! through `Shared::observe_p` and `PView` (sched/p.rs, next to the ownership protocol those
//! acts take part in). Its files:
//! - this one: the thread, its round and how long it sleeps;
//! - `retake.rs`: its watch of the running Ps, as three policies (a poll blocked in the
//!   kernel, a poll running too long, an M that stopped polling with work queued behind it),
//!   and the running Ms' share of that watch (`watch_from_m`);
//! - `note.rs`: the sleep and the kicks that end it early (Go's `sysmonnote`/`sysmonwake`).
//!
//! Each round:
//! - **retake** (`retake::retake`): preempt a P whose slice ran out, retake a P whose M is
//!   stuck in one poll (blocked in the kernel for 1 ms, or still computing a round after it
//!   was asked to yield) with work behind it, and wake a thief for work queued behind an M
//!   that started no poll for 100 µs while another P is idle.
//! - **lost buffers**: a task that a stuck poll spawned or woke after its P was retaken, in the
//!   instant between the M's ownership check and its push, sits in that M's spawn buffer, which
//!   no thief reaches any more; sysmon moves it to the global queue
//!   (`Shared::rescue_lost_buffers`). This costs the hot path nothing (a fence per push would
//!   close the window on the M's side instead).
//! - **netpoll / timers** (`sched::poller::sysmon_poll`): polls the network if nobody did for
//!   1 ms, and runs timers that are overdue by 1 ms because every M is busy or stuck.
//! - prints the schedtrace line when asked.
//!
//! Sleep: Go's backoff (20 µs, doubling after 50 rounds without anything to do, up to 10 ms),
//! cut short by the deadlines a round gathers (`Next`): a poll with work behind it that sysmon
//! saw in an earlier round is looked at again when it could first be worth a retake (1 ms after
//! it was first seen; every 1 ms while it computes: `PWatch::retake_worthy_at`); a P in a poll
//! without work behind it, when its nearest timer is overdue (its tasks are work behind it
//! then); a slice's end; a thief for a stalled M (100 µs); the network, 1 ms after its last
//! poll while some M is in a poll that began before the round. A poll first seen in a round
//! gets such a deadline only if no other P runs, or if sysmon was kicked: while several Ms
//! run, they watch each other instead (every 61st poll, `watch_from_m`) and kick sysmon when a
//! P has been in one poll for 1 ms with work behind it. A P running alone with nothing behind
//! its poll has no deadline: sysmon looks at it on the backoff, as Go's sysmon does, and a P
//! that goes idle leaving one running kicks sysmon only if that one may need it soon
//! (`left_alone`: work waits, a timer is due, or its poll is one the idling M saw before). So
//! while Ms run short polls sysmon sleeps long, and a thread that blocks with work behind it is
//! still noticed: by another M after 1 ms (within 61 of its polls), or, when it is the only P
//! running, at sysmon's next look and 1 ms later. After an act the sleep starts over at 20 µs
//! and doubles at once (Go's 50 short rounds are what the deadlines replace). Work queued
//! globally while no P is idle also kicks it (every M may be stuck).
//!
//! While every P is idle and an M is blocked in the poller, and no P has run for
//! `QUIET_AFTER` (10 ms), sysmon sleeps until kicked (Go's `sysmonwait`; `quiet_until`), or
//! until the nearest timer is overdue by 1 ms, its safety net for timers nobody ran: an idle
//! runtime does not wake it. Every P that starts running then wakes it at once
//! (`SysmonNote::kick`, Go's `sysmonwake`, from `Shared::take_idle_p`, through which every
//! idle P passes: `wakep`, an M re-checking before it parks, the poller or a timer M taking a
//! P for what it woke), and its next sleep is at most 2 ms. Before `QUIET_AFTER` it dozes
//! (`DOZE_DELAY`, 2 ms), and a P that starts does not wake it: under load every P is idle for
//! moments hundreds of times a second, and each start would wake it. Without an M in the
//! poller (no M started yet, or one in the instant before it blocks) the idle sleep follows
//! the backoff, as it does while an M still runs a poll whose P was taken from it. The
//! choice of sleep is `Cadence::after_round`, a pure function tested on inputs.

mod note;
mod retake;

pub(crate) use note::{SysmonNote, Why};
pub(crate) use retake::{left_alone, watch_from_m};

use crate::loom::Arc;
use crate::loom::atomic::Ordering;
use crate::sched::Shared;
pub(crate) use note::Mode;
use retake::PWatch;
use std::io;
use std::thread;
use std::time::{Duration, Instant};

/// Go's sysmon: first sleep.
const MIN_DELAY: Duration = Duration::from_micros(20);
/// Longest sleep (Go's 10 ms), unless a deadline (`Next`) or a kick comes first.
const MAX_DELAY: Duration = Duration::from_millis(10);
/// A kick ends only a sleep longer than this; a sleep chosen while every P was idle is cut to
/// it if a P started running meanwhile (`SysmonNote::sleep`), and the backoff starts over from
/// it after such a sleep.
const KICKED_DELAY: Duration = Duration::from_millis(1);
/// While every P is idle but one ran less than `QUIET_AFTER` ago, sysmon sleeps at most this
/// long, and a P that starts does not wake it: a thread that blocks right after a short idle
/// period is seen at the next look. 2 ms: a quarter of the cadence of a sysmon kicked at every
/// start under HTTP load, where the runtime goes idle for moments hundreds of times a second.
const DOZE_DELAY: Duration = Duration::from_millis(2);
/// Every P idle, and none ran, this long: sysmon sleeps until kicked. Long enough to span a
/// few dozes, short enough that an idle runtime stops waking sysmon at once.
const QUIET_AFTER: Duration = Duration::from_millis(10);
/// Go's sysmon: idle rounds before the sleep starts doubling.
const IDLE_ROUNDS_BEFORE_BACKOFF: u32 = 50;

/// The running monitor; `stop` ends and joins it.
pub(crate) struct Sysmon {
    shared: Arc<Shared>,
    thread: thread::JoinHandle<()>,
}

impl Sysmon {
    pub(crate) fn start(shared: Arc<Shared>) -> io::Result<Sysmon> {
        let shared2 = shared.clone();
        let thread = thread::Builder::new()
            .name("gosched-sysmon".into())
            .spawn(move || run(&shared2))?;
        Ok(Sysmon { shared, thread })
    }

    pub(crate) fn stop(self) {
        self.shared.sysmon_note.stop();
        let _ = self.thread.join();
    }
}

fn run(shared: &Arc<Shared>) {
    let now = Instant::now();
    let mut watch = vec![PWatch::new(now); shared.ps.len()];
    let mut cadence = Cadence::new(now);
    let mut next_trace = shared.config.schedtrace.map(|d| now + d);
    let mut sleep = Some(MIN_DELAY);
    // What the kicks of `Why` report, re-read after a long sleep is published.
    let woken = |mode: Mode| {
        let idle = shared.idle.npidle_seqcst();
        let work = idle == 0 && !shared.global.is_empty();
        match mode {
            Mode::Quiet => idle < shared.ps.len(),
            Mode::Doze => work,
            // Exactly one P running (none: nobody to watch; sysmon's backoff serves).
            Mode::Lazy => work || idle + 1 == shared.ps.len(),
        }
    };
    while let Some(kick) = shared
        .sysmon_note
        .sleep(sleep, cadence.mode, || woken(cadence.mode))
    {
        let now = Instant::now();
        let mut acted = false;
        let mut next = Next(None);
        if shared.config.sysmon {
            acted |= retake::retake(shared, &mut watch, now, kick, &mut next);
            acted |= shared.rescue_lost_buffers();
            acted |= crate::sched::poller::sysmon_poll(shared);
            // The network, while some M is in a poll that began before this round (the others
            // poll it between their polls).
            if watch.iter().any(|w| w.seq.is_some() && w.seen_at < now) {
                if let Some(d) = crate::sched::poller::sysmon_poll_due_in(shared) {
                    next.at(now + d);
                }
            }
        }
        if let Some(at) = next_trace.filter(|at| now >= *at) {
            crate::runtime::report::schedtrace(shared);
            next_trace = shared.config.schedtrace.map(|d| at.max(now - d) + d);
        }
        let until = quiet_until(shared).filter(|_| !acted);
        let ticks = shared
            .ps
            .iter()
            .fold(0u32, |sum, p| sum.wrapping_add(p.schedtick()));
        sleep = cadence.after_round(now, acted, (until, ticks), &next);
        if let Some(at) = next_trace {
            let left = at.saturating_duration_since(now).max(MIN_DELAY);
            sleep = Some(sleep.map_or(left, |d| d.min(left)));
        }
    }
}

/// sysmon's sleep from round to round: Go's backoff while Ps run, cut by the deadlines a round
/// gathers; a short doze while every P is idle but some ran recently; a sleep until kicked
/// once every P has stayed idle for `QUIET_AFTER`. Pure (no clock read, no shared state), so
/// that its choices are tested on inputs.
struct Cadence {
    delay: Duration,
    idle_rounds: u32,
    /// The kind of the last sleep (which kicks end it).
    mode: Mode,
    /// The sum of the Ps' `schedtick`s at the last look, and the last look at which a P ran or
    /// had run since the look before.
    ticks: u32,
    active_at: Instant,
}

impl Cadence {
    fn new(now: Instant) -> Cadence {
        Cadence {
            delay: MIN_DELAY,
            idle_rounds: 0,
            mode: Mode::Lazy,
            ticks: 0,
            active_at: now,
        }
    }

    /// The sleep after a round at `now` (`None`: until kicked): `acted`, whether the runtime is
    /// quiet (`quiet_until`) and the sum of the Ps' `schedtick`s (a P that ran since the last
    /// look moved it), and the round's deadlines.
    fn after_round(
        &mut self,
        now: Instant,
        acted: bool,
        (until, ticks): (Option<Option<Duration>>, u32),
        next: &Next,
    ) -> Option<Duration> {
        back_off(acted, &mut self.idle_rounds, &mut self.delay);
        if until.is_none() || ticks != self.ticks {
            self.active_at = now;
        }
        self.ticks = ticks;
        // Every P idle, and none ran, for `QUIET_AFTER`: Go's `sysmonwait`, back to the short
        // cadence once kicked. Sooner, under load, when every P is idle for moments only, each
        // P start would kick sysmon; it dozes instead, and its next look finds a P that
        // started meanwhile.
        let quiet = now.duration_since(self.active_at) >= QUIET_AFTER;
        let (mode, sleep) = match until {
            Some(until) if quiet => {
                self.delay = self.delay.min(KICKED_DELAY);
                (Mode::Quiet, until)
            }
            Some(_) => (Mode::Doze, Some(self.delay.min(DOZE_DELAY))),
            None => (Mode::Lazy, Some(next.bound(self.delay, now))),
        };
        self.mode = mode;
        sleep
    }
}

/// Go's backoff: 20 µs, doubling after 50 rounds without an act, up to `MAX_DELAY`. After an
/// act Go starts over at 20 µs for 50 rounds; here the deadlines (`Next`) bring sysmon back
/// for whatever an act leaves to watch, so the doubling resumes at once.
fn back_off(acted: bool, idle_rounds: &mut u32, delay: &mut Duration) {
    if acted {
        *idle_rounds = IDLE_ROUNDS_BEFORE_BACKOFF;
        *delay = MIN_DELAY;
    } else {
        *idle_rounds += 1;
        if *idle_rounds > IDLE_ROUNDS_BEFORE_BACKOFF {
            *delay = (*delay * 2).min(MAX_DELAY);
        }
    }
}

/// The earliest moment sysmon must look again, gathered over one round: when a watched poll
/// could become worth a retake, a slice ends, a stalled M's queue needs a thief, a timer nobody
/// runs is overdue, or the network has gone unpolled too long.
pub(super) struct Next(Option<Instant>);

impl Next {
    pub(super) fn at(&mut self, t: Instant) {
        self.0 = Some(self.0.map_or(t, |n| n.min(t)));
    }

    /// The sleep: the backoff `delay`, cut to the earliest deadline (at least `MIN_DELAY`).
    fn bound(&self, delay: Duration, now: Instant) -> Duration {
        match self.0 {
            Some(t) => delay.min(t.saturating_duration_since(now).max(MIN_DELAY)),
            None => delay,
        }
    }
}

/// Whether sysmon may sleep until kicked (Go's `sysmonwait`), and until when at most (`None`:
/// no limit): every P is idle, so no poll can block or run long and nothing is queued on a
/// P (a P starts running only through `pidleget`, which kicks sysmon); no M is still inside a
/// poll whose P was taken from it (its spawn buffer may need `rescue_lost_buffers`); and an M
/// is blocked in the poller, watching the network and the timers. Then the only duty left is
/// the safety net for timers nobody ran: wake when the nearest is overdue by 1 ms. `None`: the
/// runtime is not quiet; sleep by the usual cadence.
fn quiet_until(shared: &Shared) -> Option<Option<Duration>> {
    if !shared.config.sysmon {
        return Some(None);
    }
    if !shared.idle.all_ps_idle() || !shared.poller.blocking.load(Ordering::SeqCst) {
        return None;
    }
    let detached = shared.all_ms().iter().any(|m| {
        let pid = m.p.load(Ordering::Relaxed);
        pid != crate::sched::m::NO_P && !shared.ps[pid].is_owned_by(m)
    });
    if detached {
        return None;
    }
    let next = shared.next_timer();
    if next == crate::time::heap::NO_TIMER || shared.time.clock.is_paused() {
        return Some(None);
    }
    let left = next.saturating_sub(shared.time.timer_now());
    Some(Some(Duration::from_nanos(left) + KICKED_DELAY))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A cadence past Go's 50 short rounds, at its longest backoff.
    fn backed_off(now: Instant) -> Cadence {
        let mut c = Cadence::new(now);
        c.delay = MAX_DELAY;
        c.idle_rounds = IDLE_ROUNDS_BEFORE_BACKOFF + 1;
        c
    }

    const IDLE: Option<Option<Duration>> = Some(None);
    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn while_ps_run_the_sleep_is_the_backoff_cut_to_the_earliest_deadline() {
        let t0 = Instant::now();
        let mut c = backed_off(t0);
        assert_eq!(c.after_round(t0, false, (None, 1), &Next(None)), Some(MAX_DELAY));
        assert_eq!(c.mode, Mode::Lazy);
        let mut next = Next(None);
        next.at(t0 + 3 * MS);
        next.at(t0 + 2 * MS);
        assert_eq!(c.after_round(t0, false, (None, 2), &next), Some(2 * MS));
        // An act starts the backoff over.
        assert_eq!(c.after_round(t0, true, (None, 3), &Next(None)), Some(MIN_DELAY));
    }

    #[test]
    fn every_p_idle_for_moments_dozes_and_for_quiet_after_sleeps_until_kicked() {
        let t0 = Instant::now();
        let mut c = backed_off(t0);
        c.after_round(t0, false, (None, 7), &Next(None));
        // Idle since the last look, which saw a P running: a doze, which P starts do not end.
        assert_eq!(
            c.after_round(t0 + MS, false, (IDLE, 7), &Next(None)),
            Some(DOZE_DELAY)
        );
        assert_eq!(c.mode, Mode::Doze);
        // Idle at both looks, but a P ran in between (its schedtick moved): still a doze.
        let t1 = t0 + QUIET_AFTER;
        assert_eq!(c.after_round(t1, false, (IDLE, 9), &Next(None)), Some(DOZE_DELAY));
        assert_eq!(c.mode, Mode::Doze);
        // Idle, and no P ran, for `QUIET_AFTER`: until kicked, and the backoff starts over
        // from `KICKED_DELAY` after the kick (doubled by that round).
        let t2 = t1 + QUIET_AFTER;
        assert_eq!(
            c.after_round(t2 - MS, false, (IDLE, 9), &Next(None)),
            Some(DOZE_DELAY)
        );
        assert_eq!(c.after_round(t2, false, (IDLE, 9), &Next(None)), None);
        assert_eq!(c.mode, Mode::Quiet);
        assert_eq!(
            c.after_round(t2 + MS, false, (None, 10), &Next(None)),
            Some(2 * KICKED_DELAY)
        );
        assert_eq!(c.mode, Mode::Lazy);
    }

    #[test]
    fn a_quiet_runtime_with_a_timer_sleeps_until_the_timer_is_overdue() {
        let t0 = Instant::now();
        let mut c = backed_off(t0);
        let until = Some(Some(50 * MS));
        assert_eq!(
            c.after_round(t0, false, (until, 0), &Next(None)),
            Some(DOZE_DELAY)
        );
        let t1 = t0 + QUIET_AFTER;
        assert_eq!(c.after_round(t1, false, (until, 0), &Next(None)), Some(50 * MS));
        assert_eq!(c.mode, Mode::Quiet);
        // An act (a timer sysmon ran) is not quiet: `quiet_until` is dropped by the caller,
        // and the backoff starts over.
        assert_eq!(
            c.after_round(t1 + MS, true, (None, 0), &Next(None)),
            Some(MIN_DELAY)
        );
    }
}
