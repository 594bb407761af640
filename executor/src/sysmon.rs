//! sysmon: the monitor thread, without a P (Go's `sysmon`). This file is its policy: what it
//! remembers of each P between rounds (`PWatch`), its thresholds, and how long it sleeps. What
//! it does to a P goes through `Shared::observe_p` and `PView` (sched/p.rs, next to the
//! ownership protocol those acts take part in); the network and timer share is
//! `sched::poll_steps::sysmon_poll`.
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
//! Sleep: 20 µs, doubling after 50 rounds without anything to do (Go's values), up to 1 ms
//! while any P runs: Go's 10 ms cap would let a thread that blocks right after sysmon fell
//! asleep hold its P's queue for 10 ms. While every P is idle and an M is blocked in the
//! poller, sysmon sleeps until kicked (Go's `sysmonwait`; `quiet_until`), or until the
//! nearest timer is overdue by 1 ms, its safety net for timers nobody ran: an idle runtime
//! does not wake it. Every P that starts running wakes it at once (`SysmonNote::kick`, Go's
//! `sysmonwake`, from `Shared::take_idle_p`, through which every idle P passes: `wakep`, an M
//! re-checking before it parks, the poller or a timer M taking a P for what it woke). Without
//! an M in the poller (no M started yet, or one in the instant before it blocks) the idle
//! sleep is capped at 10 ms, as it is while an M still runs a poll whose P was taken from it.

use crate::loom::Arc;
use crate::loom::atomic::Ordering;
use crate::sched::Shared;
use std::io;
use std::sync::atomic::AtomicBool;
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Go's sysmon: first sleep.
const MIN_DELAY: Duration = Duration::from_micros(20);
/// Longest sleep while every P is idle but sysmon may not sleep until kicked (`quiet_until`)
/// (Go's 10 ms).
const MAX_DELAY_IDLE: Duration = Duration::from_millis(10);
/// Longest sleep while some P is running.
const MAX_DELAY_BUSY: Duration = Duration::from_millis(1);
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
    /// sysmon is in a long sleep (more than `MAX_DELAY_BUSY`): `kick` must wake it.
    deep: AtomicBool,
}

#[derive(Default)]
struct NoteState {
    stop: bool,
    kicked: bool,
}

impl SysmonNote {
    pub(crate) fn new() -> SysmonNote {
        SysmonNote {
            state: Mutex::new(NoteState::default()),
            cv: Condvar::new(),
            deep: AtomicBool::new(false),
        }
    }

    /// A P started running: if sysmon sleeps long, wake it (Go's `sysmonwake`). Called after
    /// `pidleget` lowered `npidle` (SeqCst).
    pub(crate) fn kick(&self) {
        // SeqCst: pairs with `sleep`'s store of `deep` and its SeqCst re-read of `npidle`:
        // either this load sees `deep`, or `sleep` sees the P running and sleeps short.
        if self.deep.load(std::sync::atomic::Ordering::SeqCst) {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.kicked = true;
            drop(s);
            self.cv.notify_one();
        }
    }

    /// Sleeps `delay` (`None`: until kicked) or until kicked; false once stopped. A long sleep
    /// (only chosen while every P looked idle) is cut to `MAX_DELAY_BUSY` if a P started running
    /// meanwhile (`all_idle` re-reads it after `deep` is published, so a `kick` in between is
    /// never lost).
    fn sleep(&self, delay: Option<Duration>, all_idle: impl Fn() -> bool) -> bool {
        let mut delay = delay;
        if delay.is_none_or(|d| d > MAX_DELAY_BUSY) {
            self.deep.store(true, std::sync::atomic::Ordering::SeqCst);
            if !all_idle() {
                delay = Some(MAX_DELAY_BUSY);
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
        s.kicked = false;
        self.deep.store(false, std::sync::atomic::Ordering::Relaxed);
        !s.stop
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
    /// The poll being watched (its sequence number) and when it was first seen.
    seq: Option<u64>,
    poll_since: Instant,
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
    let all_idle = || shared.all_ps_idle();
    let mut sleep = Some(delay);
    while shared.sysmon_note.sleep(sleep, all_idle) {
        let now = Instant::now();
        let mut acted = false;
        if shared.config.sysmon {
            acted |= retake(shared, &mut watch, now);
            acted |= shared.rescue_lost_buffers();
            acted |= crate::sched::poll_steps::sysmon_poll(shared);
        }
        if let Some(at) = next_trace.filter(|at| now >= *at) {
            crate::trace::schedtrace(shared, now);
            next_trace = shared.config.schedtrace.map(|d| at.max(now - d) + d);
        }
        if acted {
            idle_rounds = 0;
            delay = MIN_DELAY;
        } else {
            idle_rounds += 1;
            if idle_rounds > IDLE_ROUNDS_BEFORE_BACKOFF {
                let cap = if all_idle() {
                    MAX_DELAY_IDLE
                } else {
                    MAX_DELAY_BUSY
                };
                delay = (delay * 2).min(cap);
            }
        }
        sleep = match quiet_until(shared) {
            // Every P idle: Go's `sysmonwait`. Back to the busy cadence once kicked.
            Some(until) if !acted => {
                delay = delay.min(MAX_DELAY_BUSY);
                until
            }
            _ => Some(delay),
        };
        if let Some(at) = next_trace {
            let left = at.saturating_duration_since(now).max(MIN_DELAY);
            sleep = Some(sleep.map_or(left, |d| d.min(left)));
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
    if !shared.all_ps_idle() || !shared.poller.blocking.load(Ordering::SeqCst) {
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
    if next == crate::time::heap::NO_TIMER || shared.clock.is_paused() {
        return Some(None);
    }
    let left = next.saturating_sub(shared.timer_now());
    Some(Some(Duration::from_nanos(left) + MAX_DELAY_BUSY))
}

/// Go's `retake`, the policy half: which P to preempt, retake or find a thief for, and when.
/// The acts themselves are `PView`'s (sched/p.rs). Returns whether it did anything.
fn retake(shared: &Arc<Shared>, watch: &mut [PWatch], now: Instant) -> bool {
    let slice = shared.config.preempt_slice;
    let mut acted = false;
    for (pid, w) in watch.iter_mut().enumerate() {
        let Some(p) = shared.observe_p(pid) else {
            w.seq = None;
            w.since = now;
            w.requested = false;
            continue;
        };
        let (seq, m) = (p.poll, p.m);
        // The poll watch: a new poll starts a new record.
        if seq != w.seq {
            w.seq = seq;
            w.poll_since = now;
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
                crate::trace::poll::sysmon_sample(m, seq, w.blocked);
            }
            let stuck = now.duration_since(w.poll_since);
            let retake_now = if w.blocked {
                stuck >= BLOCKED_RETAKE_AFTER
            } else {
                // Computing: asked to yield in an earlier round and still in the same poll.
                w.preempt_sent
            };
            if retake_now && p.holds_up_work() {
                // Before the CAS, which publishes it to the stuck M (trace/poll.rs).
                let start = shared.instant_to_ns(w.poll_since);
                crate::trace::poll::sysmon_retaking(m, seq, w.blocked, start);
                if p.retake() {
                    w.seq = None;
                    acted = true;
                    continue;
                }
            }
        }
        // Queued work behind an M that stopped polling: wake another M to steal it.
        if let Some(m) = m {
            let polls = m.polls.load(Ordering::Relaxed);
            if polls != w.polls {
                w.polls = polls;
                w.polls_at = now;
            } else if now.duration_since(w.polls_at) >= STALL_WAKE_AFTER && p.wake_thief() {
                w.polls_at = now;
                acted = true;
            }
        }
        // Slice accounting (Go's `preemptone` when `schedtick` stood still for a slice).
        let tick = p.schedtick();
        if tick != w.schedtick {
            w.schedtick = tick;
            w.since = now;
            w.requested = false;
            continue;
        }
        if now.duration_since(w.since) < slice {
            continue;
        }
        // Requested again every round while the tick stays frozen, as Go's sysmon does: the
        // owner may have consumed a request with nothing to preempt, or a new poll's
        // `coop::reset` may have cleared the M's flag before the poll saw it. Only the first
        // request of a slice counts as sysmon having acted (for its sleep).
        if p.request_preempt() {
            w.preempt_sent = true;
        }
        acted |= !w.requested;
        w.requested = true;
    }
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
        retake(shared, &mut watch, t0);
        assert!(!p.preempt_requested(), "no request within the slice");
        let t1 = t0 + 2 * slice;
        assert!(
            retake(shared, &mut watch, t1),
            "the first request counts as acting"
        );
        assert!(p.preempt_requested() && m.preempt_flag().load(Ordering::Relaxed));
        // The request is consumed without effect (a new hop's `coop::reset`, or find.rs with
        // nothing in `runnext`), and the tick stays frozen: the next round asks again.
        p.take_preempt();
        m.preempt_flag().store(false, Ordering::Relaxed);
        retake(shared, &mut watch, t1 + Duration::from_micros(50));
        assert!(
            p.preempt_requested() && m.preempt_flag().load(Ordering::Relaxed),
            "the request must be repeated while schedtick is frozen"
        );
        // A new slice ends the requests (and clears the stale flag).
        let owned = p.end_poll(seq).expect("not retaken");
        let seq = p.begin_poll(owned, false);
        assert!(!p.preempt_requested(), "begin_poll clears a stale request");
        m.preempt_flag().store(false, Ordering::Relaxed);
        retake(shared, &mut watch, t1 + Duration::from_micros(100));
        assert!(!p.preempt_requested() && !m.preempt_flag().load(Ordering::Relaxed));
        let owned = p.end_poll(seq).expect("not retaken");
        shared.put_idle_p(owned);
    }
}
