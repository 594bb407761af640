//! The poll path's diagnostics: what an M measures around each poll (`begin`/`end`, called
//! from `sched/worker.rs`), the scheduling-latency sample taken when a task becomes runnable
//! (`runnable`, called from `sched/shared.rs`), and what sysmon tells the M about a long poll
//! (`sysmon_sample`, `sysmon_retaking`, called from `sysmon.rs`).
//!
//! Cost with every diagnostic off: per poll, one relaxed load of the task header's
//! `runnable_at` (in cache: the poll reads the header next) and one test of the M's poll count
//! against `Diag::sample_mask`, which covers both rare cases (a sampled poll, a clocked one);
//! per wake, one more load of `runnable_at`; no clock read. In callgrind
//! (`benches/diag_cost.sh`) this file's lines come to about 11 instructions per poll on
//! `yield`, 10 on `ping_pong` and 13 per task on `chained_spawn` (spawn and poll). The clock
//! (`clock.rs`: one `rdtsc` where the kernel trusts the TSC) is read around every poll only
//! when `Diag::clocked` (a slow-poll threshold, the flight recorder or `GOSCHED_TRACE`), and
//! twice per sampled runnable period for `sched_latency` (then `CLOCK_MONOTONIC`, unless
//! clocked).
//!
//! The clocked parts (`begin_rare`, `end_measured`) are inlined into `execute`: out of line,
//! the call (six saved registers, the probe spilled) cost about 20 of the ~100 instructions a
//! clocked poll added on `yield`. A clocked poll keeps raw ticks: the ring stores them, and
//! one conversion gives `poll_duration` and the threshold test. The task id is read back from
//! `M::curg` on the rare paths instead of being kept live across the poll. Only the slow-poll
//! accounting (`slow`, `not_clocked`), the sampled latency (`sampled`) and the stamp
//! (`stamp`) stay out of line.
//!
//! # Scheduling-latency sampling (Go's `gTrackingPeriod`)
//! Every `SAMPLE_EVERY`-th poll on each M, the next runnable period of the task polled (from
//! the moment it is made runnable again to its next poll) is measured; so is the first
//! runnable period (spawn to first poll) of every task whose id is a multiple of
//! `SAMPLE_EVERY`.
//! 1. At such a poll (`begin`), the M marks the task's header `TRACK`.
//! 2. Whoever makes it runnable next (`runnable`: a wake, the requeue after its own poll, or
//!    its spawn, which starts at `TRACK` for a sampled id: `at_spawn`) replaces `TRACK` by the
//!    clock.
//! 3. The next `begin` finds a non-zero `runnable_at`, records `now - stamp` if it is a time
//!    stamp, and clears it. So the common poll pays one load and one branch for the check,
//!    and a test and a branch on the M's poll count for the sampling decision.
//!
//! `runnable_at` is written by the thread that makes the task runnable before it queues the
//! task, and read by the M that took it from a queue, so the queue's own synchronisation
//! orders the two; relaxed atomics suffice. A race with a concurrent `TRACK` store can only
//! lose a sample.
//!
//! # What sysmon tells the M
//! - `verdict_*`: for the poll `seq` it watches, how many of its CPU-clock samples said
//!   *blocked* and how many *computing* (sysmon.rs, "the CPU-clock rule"). The M reads them
//!   after a slow poll: more blocked samples than computing ones is "blocked in the kernel".
//! - `retake`: `seq << 1 | blocked`, stored before sysmon's retake CAS on the P, so an M whose
//!   `end_poll` fails (Acquire, pairing with the CAS) sees it and knows sysmon, not
//!   `block_in_place`, took the P. `retake_start` is sysmon's estimate of when that poll began.

use super::histogram::Histogram;
use crate::loom::atomic::{AtomicU64, AtomicUsize, Ordering};
use crate::sched::Shared;
use crate::sched::m::M;
use crate::task::Header;
use std::panic::Location;

/// `Header::runnable_at` value: sample the task's next runnable period.
pub(crate) const TRACK: u64 = 1;
/// One runnable period in this many is measured (the `Metrics::sched_latency` contract: at
/// least 1 in 64). Go's `gTrackingPeriod` is 8; 64 keeps the clock reads under one per 32
/// polls. A power of two: `Diag::sample_mask` is `SAMPLE_EVERY - 1`.
pub(crate) const SAMPLE_EVERY: u64 = 64;
const _: () = assert!(SAMPLE_EVERY.is_power_of_two());

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

/// Before a poll of `h` on `m`, the M's `polls`-th: the `sched_latency` sample, and the
/// start time when clocked (kept in `m.diag`, so nothing lives in registers across the poll).
#[inline]
pub(crate) fn begin(shared: &Shared, m: &M, h: &Header, polls: u64) {
    if cfg!(gosched_no_diag) {
        return;
    }
    let stamp = h.runnable_at.load(Ordering::Relaxed);
    if stamp != 0 {
        sampled(shared, m, h, stamp);
    }
    // One test for both rare cases: a sampled poll (1 in `SAMPLE_EVERY`), a clocked one.
    if polls & shared.diag.sample_mask != 0 {
        return;
    }
    begin_rare(shared, m, h, polls);
}

/// Step 1, and a clocked poll's start.
#[inline(always)]
fn begin_rare(shared: &Shared, m: &M, h: &Header, polls: u64) {
    if polls % SAMPLE_EVERY == 0 {
        h.runnable_at.store(TRACK, Ordering::Relaxed);
    }
    if shared.diag.clocked {
        // Relaxed: only this M reads them, after the poll.
        m.diag.start.store(shared.diag.clock.ticks(), Ordering::Relaxed);
        m.diag
            .start_at
            .store(h.spawned_at as *const _ as usize, Ordering::Relaxed);
    }
}

/// Step 3.
#[cold]
fn sampled(shared: &Shared, m: &M, h: &Header, stamp: u64) {
    if stamp > TRACK {
        let clock = &shared.diag.clock;
        let ran = clock.ticks().saturating_sub(stamp);
        m.diag.sched_latency.record(clock.ticks_to_ns(ran));
    }
    h.runnable_at.store(0, Ordering::Relaxed);
}

/// Stamps `h` runnable now (never mistaken for 0 or `TRACK`). Out of line, so the wake
/// paths that call `runnable` stay small enough to inline.
#[cold]
fn stamp(shared: &Shared, h: &Header) {
    let now = shared.diag.clock.ticks().max(TRACK + 1);
    h.runnable_at.store(now, Ordering::Relaxed);
}

/// Step 2: `h` is being made runnable (a wake, a requeue, its spawn).
#[inline]
pub(crate) fn runnable(shared: &Shared, h: &Header) {
    if cfg!(gosched_no_diag) {
        return;
    }
    if h.runnable_at.load(Ordering::Relaxed) == TRACK {
        stamp(shared, h);
    }
}

/// A new task's `runnable_at`: its first runnable period (spawn to first poll) is sampled
/// when its id is a multiple of `SAMPLE_EVERY` (`TRACK`, so the spawn's `runnable` stamps it).
#[inline]
pub(crate) fn at_spawn(id: crate::task::Id) -> u64 {
    if cfg!(gosched_no_diag) {
        return 0;
    }
    u64::from(id.as_u64() % SAMPLE_EVERY == 0) * TRACK
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
    let ran = shared.now_ns().saturating_sub(start);
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
