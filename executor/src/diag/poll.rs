//! The poll path's diagnostics: what an M measures around each poll (`begin`/`end`, called
//! from `sched/worker.rs`), the scheduling-latency sample taken when a task becomes runnable
//! (`runnable`, called from `sched/shared.rs`), and what sysmon tells the M about a long poll
//! (`sysmon_sample`, `sysmon_retaking`, called from `sysmon.rs`).
//!
//! Cost with every diagnostic off: before a poll, one relaxed load of the task header's
//! `runnable_at` (in cache: the poll reads the header next) or-ed with `Diag::clocked_word`
//! and one branch, which covers both rare cases (a sampled period ends, the poll is timed);
//! after it, one test of `Diag::clocked`; per wake, a decrement and two branches (the sample,
//! and `Diag::clocked` for the trace's wake event, `trace_wake`); no clock read
//! but for the sampled periods. In callgrind (`benches/diag_cost.sh`, its last column) the
//! diagnostics' lines come to about 7 instructions per poll on `yield` and 6 on `ping_pong`
//! and `chained_spawn`. The clock (`diag/tsc.rs`: one `rdtsc` where the kernel
//! trusts the TSC) is read around every poll only when `Diag::clocked` (a slow-poll
//! threshold, the flight recorder or `GOSCHED_TRACE`), and twice per sampled runnable period
//! for `sched_latency` (then `CLOCK_MONOTONIC`, unless clocked).
//!
//! The clocked parts (`begin_rare`, `end_measured`) are inlined into `execute`: out of line,
//! the call (six saved registers, the probe spilled) cost about 20 of the ~100 instructions a
//! clocked poll added on `yield` (now ~57). A clocked poll keeps raw ticks: the ring stores
//! them, and one conversion gives `poll_duration` and the threshold test. Its start goes to
//! `MDiag::start`, so nothing of the diagnostics lives in registers across the poll, and the
//! task id is read back from `M::curg`. Only the slow-poll accounting (`slow`,
//! `not_clocked`), the sampled latency (`sampled`) and the stamp (`stamp`) stay out of line.
//!
//! Tried and dropped: two copies of the scheduling loop, one per setting, so neither tests
//! `Diag::clocked` at all (each copy in `m_main` made the loop 13 % dearer in instructions on
//! `yield` for both settings, and out of line the `WorkerCx` became a pointer: 18 %).
//!
//! # Scheduling-latency sampling (Go's `gTrackingPeriod`)
//! One runnable period in `SAMPLE_EVERY` (from the moment a task is made runnable, by its
//! spawn, a wake or the requeue after its own poll, to its next poll) is measured:
//! 1. Whoever makes the task runnable counts down (`runnable`: an M in its `WorkerCx`, any
//!    other thread in a thread-local); at zero it stamps the task's header with the clock.
//! 2. The next `begin` finds a non-zero `runnable_at`, records `now - stamp` and clears it.
//!
//! So a wake pays a decrement and a branch, and a poll a load and a branch; the poll count is
//! not looked at, and a spawn needs nothing more than its wake. (The first version marked a
//! task at every 64th poll and had the waker check the mark: a load at every wake, and a test
//! of the poll count at every poll.)
//!
//! `runnable_at` is written by the thread that makes the task runnable before it queues the
//! task, and read by the M that took it from a queue, so the queue's own synchronisation
//! orders the two; relaxed atomics suffice.
//!
//! # What sysmon tells the M
//! - `verdict_*`: for the poll `seq` it watches, how many of its CPU-clock samples said
//!   *blocked* and how many *computing* (sysmon.rs, "the CPU-clock rule"). The M reads them
//!   after a slow poll: more blocked samples than computing ones is "blocked in the kernel".
//! - `retake`: `seq << 1 | blocked`, stored before sysmon's retake CAS on the P, so an M whose
//!   `end_poll` fails (Acquire, pairing with the CAS) sees it and knows sysmon, not
//!   `block_in_place`, took the P. `retake_start` is sysmon's estimate of when that poll began.

use super::export::Kind;
use super::histogram::Histogram;
use crate::loom::atomic::{AtomicU64, AtomicUsize, Ordering};
use crate::sched::Shared;
use crate::sched::m::M;
use crate::task::Header;
use std::cell::Cell;
use std::panic::Location;

/// One runnable period in this many is measured (the `Metrics::sched_latency` contract: at
/// least 1 in 64). Go's `gTrackingPeriod` is 8; 64 keeps the clock reads under one per 32
/// polls.
pub(crate) const SAMPLE_EVERY: u32 = 64;

thread_local! {
    /// `runnable`'s countdown on threads that are not Ms (an M keeps its own in `WorkerCx`).
    static SAMPLE: Cell<u32> = const { Cell::new(SAMPLE_EVERY) };
}

/// One M's diagnostic state (the `M::diag` field).
pub(crate) struct MDiag {
    pub(crate) sched_latency: Histogram,
    pub(crate) poll_duration: Histogram,
    verdict_seq: AtomicU64,
    /// Blocked samples in the high 32 bits, computing samples in the low 32.
    verdict_counts: AtomicU64,
    retake: AtomicU64,
    retake_start: AtomicU64,
    /// A clocked poll's start (`Diag::clock` ticks) and its task's spawn location, for `end`.
    start: AtomicU64,
    start_at: AtomicUsize,
}

impl MDiag {
    pub(crate) fn new() -> MDiag {
        MDiag {
            sched_latency: Histogram::new(),
            poll_duration: Histogram::new(),
            verdict_seq: AtomicU64::new(u64::MAX),
            verdict_counts: AtomicU64::new(0),
            retake: AtomicU64::new(u64::MAX),
            retake_start: AtomicU64::new(0),
            start: AtomicU64::new(0),
            start_at: AtomicUsize::new(0),
        }
    }

    /// sysmon's verdict on poll `seq`: `Some(true)` blocked, `Some(false)` computing, `None`
    /// if it never sampled that poll.
    fn verdict(&self, seq: u64) -> Option<bool> {
        let counts = self.verdict_counts.load(Ordering::Relaxed);
        if self.verdict_seq.load(Ordering::Relaxed) != seq {
            return None;
        }
        Some(counts >> 32 > counts & u64::from(u32::MAX))
    }
}

/// Before a poll of `h` on `m`: the end of a sampled runnable period (step 2), and the
/// start time when clocked (kept in `m.diag`, so nothing lives in registers across the poll).
#[inline]
pub(crate) fn begin(shared: &Shared, m: &M, h: &Header) {
    if cfg!(gosched_no_diag) {
        return;
    }
    let stamp = h.runnable_at.load(Ordering::Relaxed);
    // One test for both rare cases: a sampled period ends, the poll is clocked.
    if stamp | shared.diag.clocked_word != 0 {
        begin_rare(shared, m, h, stamp);
    }
}

/// `begin`'s rare cases.
#[inline(always)]
fn begin_rare(shared: &Shared, m: &M, h: &Header, stamp: u64) {
    if stamp != 0 {
        sampled(shared, m, h, stamp);
    }
    if shared.diag.clocked {
        // Relaxed: only this M reads them, after the poll.
        m.diag.start.store(shared.diag.clock.ticks(), Ordering::Relaxed);
        m.diag
            .start_at
            .store(h.spawned_at as *const _ as usize, Ordering::Relaxed);
    }
}

/// Step 2.
#[cold]
fn sampled(shared: &Shared, m: &M, h: &Header, stamp: u64) {
    let clock = &shared.diag.clock;
    let ran = clock.ticks().saturating_sub(stamp);
    m.diag.sched_latency.record(clock.ticks_to_ns(ran));
    h.runnable_at.store(0, Ordering::Relaxed);
}

/// Step 1: `h` is being made runnable; `countdown` is the M's (`WorkerCx::sample`), `None`
/// on any other thread.
#[inline]
pub(crate) fn runnable(shared: &Shared, countdown: Option<&Cell<u32>>, h: &Header) {
    if cfg!(gosched_no_diag) {
        return;
    }
    match countdown {
        Some(c) => count_down(shared, c, h),
        None => SAMPLE.with(|c| count_down(shared, c, h)),
    }
    if shared.diag.clocked {
        trace_wake(shared, h);
    }
}

/// Where a traced wake came from (`Kind::Wake`'s `n`, low byte): the mode of the M that made
/// the task runnable, or `WAKE_OFF_M` for any other thread (sysmon, the blocking pool,
/// `block_on`). The P the M held, plus one (0: none), is in the next byte.
pub(crate) const WAKE_OFF_M: u64 = 0;

/// A wake for the flight recorder, on the track of the M that made it (another thread's go
/// to the first M's track; none is recorded before the first M starts). Only when clocked:
/// without a trace, `trace()` is `None`.
#[cold]
fn trace_wake(shared: &Shared, h: &Header) {
    use crate::sched::context::{self, Mode};
    let ticks = shared.diag.clock.ticks();
    let task = h.id.as_u64();
    let on_m = context::with_worker(|cx| match cx {
        Some(cx) if std::ptr::eq(&*cx.shared, shared) => {
            let src = match cx.mode.get() {
                Mode::NoP => 1,
                Mode::Owning => 2,
                Mode::Polling => 3,
                Mode::Collecting => 4,
            };
            let p = cx.p.get().map_or(0, |p| p as u64 + 1);
            if let Some(ring) = cx.m.trace() {
                ring.instant_of(Kind::Wake, ticks, src | p << 8, task);
            }
            true
        }
        _ => false,
    });
    if !on_m {
        if let Some(m) = shared.all_ms().first() {
            if let Some(ring) = m.trace() {
                ring.instant_of(Kind::Wake, ticks, WAKE_OFF_M, task);
            }
        }
    }
}

/// Step 1's countdown: every `SAMPLE_EVERY`-th call stamps `h`.
#[inline(always)]
fn count_down(shared: &Shared, countdown: &Cell<u32>, h: &Header) {
    let n = countdown.get() - 1;
    countdown.set(n);
    if n == 0 {
        stamp(shared, countdown, h);
    }
}

/// Stamps `h` runnable now (a clock reading is never 0) and restarts the countdown. Out of
/// line, so the wake paths stay small enough to inline.
#[cold]
fn stamp(shared: &Shared, countdown: &Cell<u32>, h: &Header) {
    countdown.set(SAMPLE_EVERY);
    let now = shared.diag.clock.ticks().max(1);
    h.runnable_at.store(now, Ordering::Relaxed);
}

/// After the poll `seq` on P `pid`, once `end_poll` said whether the M `kept` its P (and
/// before it clears `m.curg`, the task polled): the trace event, `poll_duration`, and the
/// slow-poll report.
#[inline]
pub(crate) fn end(shared: &Shared, m: &M, pid: usize, seq: u64, kept: bool) {
    if cfg!(gosched_no_diag) {
        return;
    }
    if !shared.diag.clocked && kept {
        return;
    }
    end_measured(shared, m, pid, seq, kept);
}

/// The clocked path: the trace event and `poll_duration`; the rest only for a slow poll.
#[inline(always)]
fn end_measured(shared: &Shared, m: &M, pid: usize, seq: u64, kept: bool) {
    // Read back rather than kept live across the poll.
    let task = m.curg.load(Ordering::Relaxed);
    if !shared.diag.clocked {
        return not_clocked(shared, m, pid, task, seq, kept);
    }
    let clock = &shared.diag.clock;
    let now = clock.ticks();
    let start = m.diag.start.load(Ordering::Relaxed);
    // SAFETY: `begin_rare` stored a `&'static Location` there before this poll (the same
    // thread, a clocked runtime: `clocked` never changes).
    let at: &'static Location<'static> =
        unsafe { &*(m.diag.start_at.load(Ordering::Relaxed) as *const Location<'static>) };
    if let Some(ring) = m.trace() {
        ring.poll(start, now, task, at);
    }
    // Wrapping: both clocks are monotonic (Linux uses the TSC only when it is invariant and
    // synchronised across CPUs); a garbage value could only land in the last bucket.
    let ran = clock.ticks_to_ns(now.wrapping_sub(start));
    m.diag.poll_duration.record(ran);
    let over = ran >= shared.diag.threshold_ns();
    if over || !kept {
        slow(
            shared,
            m,
            pid,
            seq,
            kept,
            SlowPollBase {
                task,
                at: Some(at),
                ran,
                over,
            },
        );
    }
}

/// An unclocked poll that lost its P.
#[cold]
fn not_clocked(shared: &Shared, m: &M, pid: usize, task: u64, seq: u64, kept: bool) {
    debug_assert!(!kept);
    // Not clocked: sysmon's estimate of the start is as good as it gets.
    let start = m.diag.retake_start.load(Ordering::Relaxed);
    let ran = shared.time.now_ns().saturating_sub(start);
    let base = SlowPollBase {
        task,
        at: None,
        ran,
        over: false,
    };
    slow(shared, m, pid, seq, kept, base);
}

/// What `end` knows of a poll that may be slow.
struct SlowPollBase {
    task: u64,
    at: Option<&'static Location<'static>>,
    ran: u64,
    over: bool,
}

/// A poll over the threshold, or one that lost its P (P `pid`, by sysmon or by
/// `block_in_place`): counts and reports it if it is slow.
#[cold]
fn slow(shared: &Shared, m: &M, pid: usize, seq: u64, kept: bool, p: SlowPollBase) {
    // Acquire: the failed `end_poll` already paired with sysmon's CAS; kept for clarity.
    let retake = m.diag.retake.load(Ordering::Acquire);
    let retaken = !kept && retake >> 1 == seq;
    // A poll whose P went away in `block_in_place` asked for that: not a slow poll.
    let slow = retaken || (p.over && kept);
    if !slow {
        return;
    }
    let blocked = if retaken {
        retake & 1 == 1
    } else {
        m.diag.verdict(seq).unwrap_or(false)
    };
    let slow = super::slowpoll::SlowPoll {
        task: p.task,
        at: p.at,
        ran: p.ran,
        blocked,
        handed_off: retaken.then_some(pid),
        report: p.over,
    };
    shared.diag.slow_poll(shared, slow);
}

/// sysmon took a CPU-clock sample of poll `seq` on `m`: `blocked` is its verdict.
pub(crate) fn sysmon_sample(m: &M, seq: u64, blocked: bool) {
    let d = &m.diag;
    // Only sysmon writes these (relaxed: a diagnostic the M reads after the poll).
    let one = if blocked { 1 << 32 } else { 1 };
    if d.verdict_seq.load(Ordering::Relaxed) == seq {
        let c = d.verdict_counts.load(Ordering::Relaxed);
        d.verdict_counts.store(c.wrapping_add(one), Ordering::Relaxed);
    } else {
        d.verdict_counts.store(one, Ordering::Relaxed);
        d.verdict_seq.store(seq, Ordering::Relaxed);
    }
}

/// sysmon is about to retake P from `m` stuck in poll `seq` (which began at `start`, ns since
/// the runtime started). Called before the CAS; see the module doc.
pub(crate) fn sysmon_retaking(m: &M, seq: u64, blocked: bool, start: u64) {
    m.diag.retake_start.store(start, Ordering::Relaxed);
    // Relaxed: published by the retake CAS (AcqRel) that follows.
    m.diag
        .retake
        .store(seq << 1 | u64::from(blocked), Ordering::Relaxed);
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::runtime::Builder;
    use std::time::Duration;

    /// The trace names every task made runnable (`wake`, with its id) and every M that parks
    /// (`park`): what `benches/waits.py` needs to split a task's wait by cause.
    #[test]
    fn the_trace_records_wakes_and_parks() {
        let rt = Builder::new().maxprocs(1).flight_recorder(true).build().unwrap();
        let id = rt.block_on(async {
            // Spawned from a task on the M, then requeued by its own yield.
            let id = crate::spawn(async {
                let waiter = crate::spawn(crate::task::yield_now());
                let id = waiter.id().as_u64();
                waiter.await.unwrap();
                id
            });
            let id = id.await.unwrap();
            // Let the M find nothing and park.
            std::thread::sleep(Duration::from_millis(50));
            id
        });
        let json = rt.handle().trace_json().unwrap();
        let wake = r#""name":"wake""#;
        let of_task = format!(r#""args":{{"task":{id},"#);
        let wakes = json
            .lines()
            .filter(|l| l.contains(wake) && l.contains(&of_task))
            .count();
        // The spawn and the yield's requeue, both during a poll.
        assert!(wakes >= 2, "{wakes} wakes of task {id} in\n{json}");
        assert!(json.contains(r#""name":"park""#), "no park in\n{json}");
    }
}
