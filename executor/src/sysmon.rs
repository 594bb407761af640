//! sysmon: the monitor thread, without a P (Go's `sysmon`). This file is its policy: what it
//! remembers of each P between rounds (`PWatch`), its thresholds, and how long it sleeps. What
//! it does to a P goes through `Shared::observe_p` and `PView` (sched/p.rs, next to the
//! ownership protocol those acts take part in); the network and timer share is
//! `sched::poller::sysmon_poll`.
//!
//! Each round:
//! - **preempt**: a P whose `schedtick` has not moved for `preempt_slice` is running one time
//!   slice too long (a task that never yields, or a ping-pong pair inheriting the slice through
//!   `runnext`): sysmon asks it to end the slice (`PView::request_preempt`: the worker then
//!   sends the task that would inherit the slice to the global tail, sched/mod.rs "The time
//!   slice", and a running poll's budget reads zero, so it yields to the global tail at its
//!   next gosched resource), again every round while the tick stays frozen, as Go's sysmon
//!   does.
//! - **retake**: a P whose M is stuck in one poll is taken from that M and handed to another
//!   (`PView::retake`), so its queue keeps running. sysmon tells a *blocked* M from a *busy*
//!   one the way Go tells a syscall from running code, by the stuck thread's CPU clock: not
//!   advancing = blocked in the kernel (a `std::thread::sleep`, a sync lock, blocking I/O):
//!   retaken once stuck ≥ 1 ms if work waits behind it. A clock that stands still because the
//!   thread waits for a CPU (more Ms than cores) is not a block: where
//!   `/proc/self/task/<tid>/stat` says the thread is runnable (`R`), it counts as computing.
//!   Advancing = computing: asked to yield at `preempt_slice`, retaken if the same poll still
//!   runs one round later.
//! - **stalled Ms**: a P with queued tasks whose M has started no poll for
//!   `STALL_WAKE_AFTER` (100 µs) while another P is idle gets a thief (`PView::wake_thief`).
//! - **lost buffers**: a task that a stuck poll spawned or woke after its P was retaken, in the
//!   instant between the M's ownership check and its push, sits in that M's spawn buffer, which
//!   no thief reaches any more; sysmon moves it to the global queue
//!   (`Shared::rescue_lost_buffers`). This costs the hot path nothing (a fence per push would
//!   close the window on the M's side instead).
//! - **netpoll / timers**: polls the network if nobody did for 1 ms, and runs timers that are
//!   overdue by 1 ms because every M is busy or stuck.
//! - prints the schedtrace line when asked.
//!
//! Sleep: Go's backoff (20 µs, doubling after 50 rounds without anything to do, up to 10 ms),
//! cut short by the deadlines a round gathers (`Next`): a poll with work behind it that sysmon
//! saw in an earlier round is looked at again when it could first be worth a retake (1 ms after
//! it was first seen; every 1 ms while it computes); a P in a poll without work behind it, when
//! its nearest timer is overdue (its tasks are work behind it then); a slice's end; a thief for
//! a stalled M (100 µs); the network, 1 ms after its last poll while some M is in a poll that
//! began before the round. A poll first seen in a round gets such a deadline only if no other
//! P runs, or if sysmon was kicked: while several Ms run, they watch each other instead (every
//! 61st poll, `watch_from_m`) and kick sysmon when a P has been in one poll for 1 ms with work
//! behind it. So while Ms run short polls sysmon sleeps long, and a
//! thread that blocks is still noticed: by another M after 1 ms (within 61 of its polls), or,
//! when it is the only P running, by sysmon's own deadline. After an act the sleep starts over at 20 µs
//! and doubles at once (Go's 50 short rounds are what the deadlines replace). Work queued
//! globally while no P is idle also kicks it (every M may be stuck).
//!
//! While every P is idle and an M is blocked in the poller (at two looks in a row, the first
//! followed by a sleep of at most 1 ms), sysmon sleeps until kicked (Go's `sysmonwait`;
//! `quiet_until`), or until the nearest timer is overdue by 1 ms, its safety net
//! for timers nobody ran: an idle runtime does not wake it. Every P that starts running wakes
//! it at once (`SysmonNote::kick`, Go's `sysmonwake`, from `Shared::take_idle_p`, through which
//! every idle P passes: `wakep`, an M re-checking before it parks, the poller or a timer M
//! taking a P for what it woke). Without an M in the poller (no M started yet, or one in the
//! instant before it blocks) the idle sleep follows the backoff, as it does while an M still
//! runs a poll whose P was taken from it.

use crate::loom::Arc;
use crate::loom::atomic::Ordering;
use crate::sched::Shared;
use crate::sched::p::PView;
use std::io;
use std::sync::atomic::AtomicU8;
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Go's sysmon: first sleep.
const MIN_DELAY: Duration = Duration::from_micros(20);
/// Longest sleep (Go's 10 ms), unless a deadline (`Next`) or a kick comes first.
const MAX_DELAY: Duration = Duration::from_millis(10);
/// A kick ends only a sleep longer than this; a sleep chosen while every P was idle is cut to
/// it if a P started running meanwhile (`SysmonNote::sleep`), and the first sleep after a
/// kick is no longer.
const KICKED_DELAY: Duration = Duration::from_millis(1);
/// Go's sysmon: idle rounds before the sleep starts doubling.
const IDLE_ROUNDS_BEFORE_BACKOFF: u32 = 50;
/// A poll blocked in the kernel this long, with work queued behind it, loses its P (Go
/// retakes a P in a syscall after one 20 µs sysmon tick; we wait a little longer so that a
/// short blocking call, a page fault or a contended lock does not cost a thread switch).
const BLOCKED_RETAKE_AFTER: Duration = Duration::from_millis(1);
/// A P with queued tasks whose M has not started a poll for this long (it is in one long poll,
/// or the OS took its CPU away) while another P is idle: sysmon wakes an M to steal them
/// (`wakep`). Without it they would wait for the slice (10 ms) or for a retake; a poll's first
/// spawn or wake does not wake an M by design (find.rs: it runs next on this M). 100 µs: a
/// few typical polls, well under the slice.
const STALL_WAKE_AFTER: Duration = Duration::from_micros(100);
/// Shortest window over which the stuck thread's CPU clock is compared with the wall clock.
const CPU_SAMPLE: Duration = Duration::from_micros(200);

/// Wakes and stops sysmon; lives in `Shared` so the scheduler can kick it.
pub(crate) struct SysmonNote {
    state: Mutex<NoteState>,
    cv: Condvar,
    /// sysmon's sleep: `AWAKE` (or short), `QUIET` (long, every P idle) or `LAZY` (long, Ms
    /// running). Which kicks wake it depends on it (`Why`).
    deep: AtomicU8,
}

#[derive(Default)]
struct NoteState {
    stop: bool,
    kicked: bool,
    /// The kick came from an M that saw a P in one poll for `BLOCKED_RETAKE_AFTER`.
    stuck: bool,
}

/// `SysmonNote::deep`: awake, or in a sleep no kick cuts short (at most `KICKED_DELAY`).
const AWAKE: u8 = 0;
/// In a long sleep chosen while every P was idle (`quiet_until`).
const QUIET: u8 = 1;
/// In a long sleep chosen while Ms run and watch each other (`watch_from_m`).
const LAZY: u8 = 2;

/// What a kick reports (`SysmonNote::kick`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// A P started running (`take_idle_p`): ends a `QUIET` sleep.
    Started,
    /// Work was queued globally while no P is idle (every M may be stuck): ends any.
    Work,
    /// An M saw a P in one poll for `BLOCKED_RETAKE_AFTER` (`watch_from_m`): ends a `LAZY` one.
    Stuck,
    /// A P went idle, leaving one running, which no other M watches now: ends a `LAZY` one.
    Lone,
}

/// Why sysmon woke before its sleep ran out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kick {
    /// Not kicked.
    None,
    /// A P started running, or work was queued globally while no P is idle.
    Work,
    /// An M saw a P in one poll for `BLOCKED_RETAKE_AFTER` (`watch_from_m`).
    Stuck,
}

impl SysmonNote {
    pub(crate) fn new() -> SysmonNote {
        SysmonNote {
            state: Mutex::new(NoteState::default()),
            cv: Condvar::new(),
            deep: AtomicU8::new(AWAKE),
        }
    }

    /// Wakes sysmon from a long sleep if `why` matters to that sleep (Go's `sysmonwake`).
    /// Called after the SeqCst change that `why` reports (`pidleget`/`pidleput` moved `npidle`,
    /// the global queue's push).
    pub(crate) fn kick(&self, why: Why) {
        // SeqCst: pairs with `sleep`'s store of `deep` and its SeqCst re-read (`woken`): either
        // this load sees the long sleep, or `sleep` sees the change and sleeps short.
        let wakes = match self.deep.load(std::sync::atomic::Ordering::SeqCst) {
            AWAKE => false,
            QUIET => matches!(why, Why::Started | Why::Work),
            _ => !matches!(why, Why::Started),
        };
        if wakes {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.kicked = true;
            s.stuck |= why == Why::Stuck;
            drop(s);
            self.cv.notify_one();
        }
    }

    /// Sleeps `delay` (`None`: until kicked) or until kicked: why it woke early, `None` once
    /// stopped. A long sleep (`quiet`: chosen while every P was idle) is cut to `KICKED_DELAY`
    /// if what a kick reports happened meanwhile (`woken` re-reads it after `deep` is
    /// published, so a `kick` in between is never lost).
    fn sleep(&self, delay: Option<Duration>, quiet: bool, woken: impl Fn() -> bool) -> Option<Kick> {
        let mut delay = delay;
        if delay.is_none_or(|d| d > KICKED_DELAY) {
            let deep = if quiet { QUIET } else { LAZY };
            self.deep.store(deep, std::sync::atomic::Ordering::SeqCst);
            if woken() {
                delay = Some(KICKED_DELAY);
            }
        }
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !s.stop && !s.kicked {
            match delay {
                Some(d) => {
                    s = self.cv.wait_timeout(s, d).unwrap_or_else(|e| e.into_inner()).0;
                    break;
                }
                None => s = self.cv.wait(s).unwrap_or_else(|e| e.into_inner()),
            }
        }
        let kick = match (std::mem::take(&mut s.kicked), std::mem::take(&mut s.stuck)) {
            (false, _) => Kick::None,
            (true, false) => Kick::Work,
            (true, true) => Kick::Stuck,
        };
        self.deep.store(AWAKE, std::sync::atomic::Ordering::Relaxed);
        (!s.stop).then_some(kick)
    }

    /// Whether sysmon is in a long sleep while Ms run (the Ms watch each other then).
    fn is_lazy(&self) -> bool {
        self.deep.load(std::sync::atomic::Ordering::Relaxed) == LAZY
    }

    fn stop(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
        self.cv.notify_one();
    }
}

/// The running monitor; `stop` ends and joins it.
pub(crate) struct Sysmon {
    shared: Arc<Shared>,
    thread: thread::JoinHandle<()>,
}

/// What sysmon remembers of one P between rounds (Go's `sysmontick`).
#[derive(Clone, Copy)]
struct PWatch {
    /// Slice accounting: the `schedtick` seen and since when.
    schedtick: u32,
    since: Instant,
    /// The poll being watched (its sequence number), since when it counts as running, and the
    /// round that first saw it.
    seq: Option<u64>,
    poll_since: Instant,
    seen_at: Instant,
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
    fn new(now: Instant) -> PWatch {
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
    let mut delay = MIN_DELAY;
    let mut idle_rounds = 0u32;
    let mut next_trace = shared.config.schedtrace.map(|d| now + d);
    let mut sleep = Some(delay);
    let mut quiet = false;
    let mut quiet_looks = 0u32;
    // What the kicks of `Why` report, re-read after a long sleep is published.
    let woken = |quiet: bool| {
        let idle = shared.idle.npidle_seqcst();
        if quiet {
            idle < shared.ps.len()
        } else {
            // Exactly one P running (none: nobody to watch; sysmon's backoff serves).
            (idle == 0 && !shared.global.is_empty()) || idle + 1 == shared.ps.len()
        }
    };
    while let Some(kick) = shared.sysmon_note.sleep(sleep, quiet, || woken(quiet)) {
        let now = Instant::now();
        let mut acted = false;
        let mut next = Next(None);
        if shared.config.sysmon {
            acted |= retake(shared, &mut watch, now, kick, &mut next);
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
            crate::diag::schedtrace(shared, now);
            next_trace = shared.config.schedtrace.map(|d| at.max(now - d) + d);
        }
        back_off(acted, &mut idle_rounds, &mut delay);
        // Every P idle at two looks in a row (the first then sleeps at most `KICKED_DELAY`, so
        // a P starting meanwhile is seen): Go's `sysmonwait`, back to the short cadence once
        // kicked. One look is not enough: under load all Ps are idle for moments, and each P
        // start would then kick sysmon.
        let until = quiet_until(shared).filter(|_| !acted);
        quiet_looks = if until.is_some() { quiet_looks + 1 } else { 0 };
        quiet = quiet_looks >= 2;
        sleep = match until {
            Some(until) if quiet => {
                delay = delay.min(KICKED_DELAY);
                until
            }
            Some(_) => Some(delay.min(KICKED_DELAY)),
            None => Some(next.bound(delay, now)),
        };
        if let Some(at) = next_trace {
            let left = at.saturating_duration_since(now).max(MIN_DELAY);
            sleep = Some(sleep.map_or(left, |d| d.min(left)));
        }
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
struct Next(Option<Instant>);

impl Next {
    fn at(&mut self, t: Instant) {
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

std::thread_local! {
    /// `watch_from_m`'s memory of each P: the poll it was in at this M's last look (sequence
    /// + 1; 0: not in a poll) and since when (`Diag::clock` ticks).
    static SEEN: std::cell::RefCell<Vec<(u64, u64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A running M's look at the other Ps, every 61st poll (find step 2), while sysmon sleeps
/// long: a P that has been in the same poll for `BLOCKED_RETAKE_AFTER`, with work behind it,
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

/// Go's `retake`, the policy half: which P to preempt, retake or find a thief for, and when.
/// The acts themselves are `PView`'s (sched/p.rs). Returns whether it did anything; `next`
/// learns when this P needs a look again.
fn retake(shared: &Arc<Shared>, watch: &mut [PWatch], now: Instant, kick: Kick, next: &mut Next) -> bool {
    let mut acted = false;
    // A poll first seen this round is watched closely (a deadline when it could be worth a
    // retake) only if no other M runs to notice it stuck (`watch_from_m`), or sysmon was
    // kicked. An M that kicked it has watched that poll for `BLOCKED_RETAKE_AFTER` already,
    // so then the poll counts as seen that long (sysmon's own sample still decides).
    let busy = shared.ps.len() - shared.idle.idle_p_count();
    let close = kick != Kick::None || busy <= 1;
    if busy == 1 {
        // A lone P: no other M watches it, so sysmon keeps its own 1 ms watch.
        next.at(now + KICKED_DELAY);
    }
    let first_seen = match kick {
        Kick::Stuck => now.checked_sub(BLOCKED_RETAKE_AFTER).unwrap_or(now),
        _ => now,
    };
    for (pid, w) in watch.iter_mut().enumerate() {
        let Some(p) = shared.observe_p(pid) else {
            w.seq = None;
            w.since = now;
            w.requested = false;
            continue;
        };
        if watch_poll(shared, pid, &p, w, (now, first_seen, close), next) {
            acted = true;
            continue;
        }
        acted |= watch_stall(shared, &p, w, now, next);
        acted |= watch_slice(shared, &p, w, now, next);
    }
    acted
}

/// The poll watch of one P: a new poll starts a new record; a poll seen before has its M's
/// CPU clock sampled, and loses its P once blocked for `BLOCKED_RETAKE_AFTER`, or still
/// computing a round after it was asked to yield, with work behind it. True if it retook the
/// P. The next look at a poll with work behind it is when it could first be worth a retake;
/// at one without, when a timer of its P comes due (its tasks are then work behind it).
fn watch_poll(
    shared: &Arc<Shared>,
    pid: usize,
    p: &PView<'_>,
    w: &mut PWatch,
    (now, first_seen, close): (Instant, Instant, bool),
    next: &mut Next,
) -> bool {
    let (seq, m) = (p.poll, p.m);
    if seq != w.seq {
        w.seq = seq;
        w.poll_since = first_seen;
        w.seen_at = now;
        w.cpu = m.and_then(|m| m.cpu_time());
        w.cpu_at = now;
        w.blocked = false;
        w.preempt_sent = false;
    } else if let (Some(seq), Some(m)) = (seq, m) {
        if now.duration_since(w.cpu_at) >= CPU_SAMPLE {
            let cpu = m.cpu_time();
            let wall = now.duration_since(w.cpu_at).as_nanos() as u64;
            // Blocked: the thread ran less than a quarter of the wall time since the last
            // sample. Without a CPU clock it counts as computing.
            w.blocked = matches!((w.cpu, cpu), (Some(a), Some(b)) if b.saturating_sub(a) * 4 < wall)
                && m.kernel_runnable() != Some(true);
            w.cpu = cpu;
            w.cpu_at = now;
            crate::diag::poll::sysmon_sample(m, seq, w.blocked);
        }
        let stuck = now.duration_since(w.poll_since);
        let retake_now = if w.blocked {
            stuck >= BLOCKED_RETAKE_AFTER
        } else {
            // Computing: asked to yield in an earlier round and still in the same poll.
            w.preempt_sent
        };
        if retake_now && p.holds_up_work() {
            // Before the CAS, which publishes it to the stuck M (diag/poll.rs).
            let start = shared.time.instant_to_ns(w.poll_since);
            crate::diag::poll::sysmon_retaking(m, seq, w.blocked, start);
            if p.retake() {
                w.seq = None;
                return true;
            }
        }
    }
    let seen_before = w.seen_at < now;
    if w.seq.is_some() && m.is_some() {
        if p.holds_up_work() && (seen_before || close) {
            // Not sampled yet: when a sample can say blocked and the poll counts as stuck long
            // enough. Sampled and past that (computing): again in a while, in case it blocks.
            let worth = w.poll_since + BLOCKED_RETAKE_AFTER;
            next.at(if w.cpu_at == w.seen_at {
                worth.max(w.cpu_at + CPU_SAMPLE)
            } else if worth > now {
                worth
            } else {
                now + BLOCKED_RETAKE_AFTER
            });
        } else if let Some(d) = crate::sched::poller::sysmon_timer_due_in(shared, pid) {
            next.at(now + d);
        }
    }
    false
}

/// Queued work behind an M that stopped polling: wake another M to steal it (if a P is idle).
fn watch_stall(shared: &Shared, p: &PView<'_>, w: &mut PWatch, now: Instant, next: &mut Next) -> bool {
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

/// Slice accounting (Go's `preemptone` when `schedtick` stood still for a slice).
fn watch_slice(shared: &Shared, p: &PView<'_>, w: &mut PWatch, now: Instant, next: &mut Next) -> bool {
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::runtime::Builder;
    use crate::sched::m::M;

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
}
