//! A runtime's timer clock ([`Clock`]), which tests can pause (`time::pause`), and the
//! bookkeeping that decides when a paused clock may jump to the next timer (auto-advance).
//! The process's monotonic clocks are `time/monotonic.rs`.
//!
//! # Paused time and auto-advance (Go's `testing/synctest`, tokio's `start_paused`)
//! Timer deadlines are nanoseconds since the runtime started. Running, the timer clock is the
//! real elapsed time plus an offset (zero unless the clock was paused and resumed); paused, it
//! stands still at a value only `advance` and auto-advance move, and only forward.
//!
//! The clock may jump to the next deadline only when nothing could make work runnable at the
//! current time: no task runnable or running, `block_on`'s future not being polled or woken,
//! no blocking-pool job in flight. Runnable tasks are in queues the checker can scan (the
//! global queue, every P's queue, every M's spawn buffer) or privately in the hands of a thread
//! that is doing something. So every such thread holds a *busy* count while it could hold or
//! make work (`Clock::hold`, `Clock::let_go`):
//! 1. every M from its start until it parks (`stopm`, the blocking poll), and again from the
//!    moment it wakes (an M handed a P is also covered by the P: `pidleget` made it non-idle).
//!    An M inside `block_in_place`, or in a poll whose P sysmon retook, never parked: it holds;
//! 2. `block_on` while it polls its future, and from the wake that makes it poll again
//!    (the waker takes the hold before it sets the flag `block_on` consumes; a wake after
//!    `block_on` returned gives its hold straight back);
//! 3. a blocking-pool job from `spawn_blocking` until it has run (and woken its `JoinHandle`);
//! 4. sysmon while it runs overdue timers or polls the network.
//!
//! A holder publishes the work it made (a queue push, a `wakep`) *before* it lets go, and the
//! checker (the M about to block in the poller, `sched/poller.rs`) first drops its own hold,
//! then reads the count, then scans Ps and queues, then reads the timer heaps, all SeqCst. If
//! it reads zero, every work item and timer made before the last let-go is visible to the scan.
//! Whoever lets the count fall to zero while the clock is paused breaks the poll, so the
//! checker looks again.
//!
//! The jump itself comes after the checker's non-blocking network poll, and a hold may be
//! taken in between (a wake from outside the runtime, I/O readiness of a pinned task or of
//! `block_on`). So the count shares one word ([`Holds`]) with a generation of every hold ever
//! taken and a `LOCKED` bit, and the jump is a compare-and-swap of the word the checker read
//! (`Clock::advance_if_quiet`): it fails if any hold was taken since (the checker looks
//! again), and a hold taken while the new time is being stored waits for it. A thread that
//! holds therefore never sees the clock move. A task woken by a
//! timer and not yet polled is in a queue or held by the thread that ran the timer: the clock
//! cannot pass it. Wakes from threads that are not the runtime's (and I/O readiness, which the
//! checker polls once without blocking before it jumps) race with the jump as they race with
//! real time. The jump goes to the nearest *live* deadline (cancelled timers at the heap tops
//! are dropped first), never past `MAX_PAUSED_NS`. loom models: `tests/loom_clock.rs`.

use crate::loom::atomic::{AtomicU64, Ordering};
use crate::loom::{Arc, Mutex};

/// Bit of `Clock::state`: the clock is paused; the low 63 bits are the frozen time.
const PAUSED: u64 = 1 << 63;
/// The latest time a paused clock can show (about 292 years after the runtime started).
pub(crate) const MAX_PAUSED_NS: u64 = !PAUSED;

/// A runtime's timer clock and the auto-advance bookkeeping (module docs).
///
/// # Fields
/// - `started`: fixed; the instant timer time 0 stands for.
/// - `state`: read by anyone without a lock, written under `lock`. `PAUSED` set: the low 63
///   bits are the frozen time in ns. Clear: they are a signed offset (63-bit two's complement)
///   added to the real elapsed time; 0 for a clock never paused, so the common read is one
///   load and a compare.
/// - `busy`: the holds of the module docs; shared (an `Arc`) with `block_on`'s waker.
/// - `idle_waiters`: tasks inside `advance` waiting for the runtime to go idle at the new time;
///   woken by the checker instead of jumping the clock again, or by `resume`.
pub(crate) struct Clock {
    started: std::time::Instant,
    state: AtomicU64,
    lock: Mutex<()>,
    busy: Arc<Holds>,
    idle_waiters: Mutex<IdleWaiters>,
}

impl Clock {
    pub(crate) fn new(started: std::time::Instant, paused: bool) -> Clock {
        Clock {
            started,
            state: AtomicU64::new(if paused { PAUSED } else { 0 }),
            lock: Mutex::new(()),
            busy: Arc::new(Holds::new()),
            idle_waiters: Mutex::new(IdleWaiters::default()),
        }
    }

    /// The timer clock: ns since the runtime started (paused-aware).
    #[inline]
    pub(crate) fn now_ns(&self) -> u64 {
        // Acquire: pairs with the Release stores in `set`, so a reader that sees a new time
        // sees what the writer did before.
        let state = self.state.load(Ordering::Acquire);
        if state & PAUSED != 0 {
            return state & !PAUSED;
        }
        let real = self.real_ns();
        if state == 0 {
            return real;
        }
        // Sign-extend the 63-bit offset.
        let offset = ((state << 1) as i64) >> 1;
        real.saturating_add_signed(offset)
    }

    /// The timer clock as an instant (what `time::Instant::now` returns inside the runtime).
    #[inline]
    pub(crate) fn now_instant(&self) -> std::time::Instant {
        if self.state.load(Ordering::Acquire) == 0 {
            return std::time::Instant::now();
        }
        self.started + std::time::Duration::from_nanos(self.now_ns())
    }

    fn real_ns(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX >> 1)
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.state.load(Ordering::Acquire) & PAUSED != 0
    }

    fn locked(&self) -> crate::loom::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops the clock. False if it was already paused.
    pub(crate) fn pause(&self) -> bool {
        let _g = self.locked();
        if self.is_paused() {
            return false;
        }
        let now = self.now_ns().min(MAX_PAUSED_NS);
        // Release: pairs with the Acquire load in `now_ns`.
        self.state.store(PAUSED | now, Ordering::Release);
        true
    }

    /// Starts the clock again from where it stands. False if it was not paused.
    pub(crate) fn resume(&self) -> bool {
        {
            let _g = self.locked();
            let state = self.state.load(Ordering::Acquire);
            if state & PAUSED == 0 {
                return false;
            }
            let frozen = (state & !PAUSED) as i64;
            let offset = frozen.saturating_sub(self.real_ns() as i64);
            // Offsets fit 63 bits: both times are below 2^63 ns.
            self.state.store((offset as u64) & !PAUSED, Ordering::Release);
        }
        self.wake_idle_waiters();
        true
    }

    /// The checker's look at the holds: `Some(seen)` if there are none (its own was dropped
    /// first), where `seen` names this moment for [`Clock::advance_if_quiet`].
    pub(crate) fn quiet(&self) -> Option<u64> {
        self.busy.quiet()
    }

    /// Whether no hold was taken since the look that returned `seen` (and none is held).
    pub(crate) fn still_quiet(&self, seen: u64) -> bool {
        // SeqCst: as the load in `quiet`.
        self.busy.word.load(Ordering::SeqCst) == seen
    }

    /// Auto-advance's jump: moves a paused clock forward to `to` (never back), but only if no
    /// hold was taken since the look that returned `seen`, atomically with respect to holds:
    /// a thread that took a hold before the jump makes it fail (it may be computing on the
    /// time it read), and one that takes a hold during it waits in `hold` until the new time
    /// is in place, so every holder sees one time from its hold to its let-go. False if it
    /// did not move the clock (the caller looks again).
    pub(crate) fn advance_if_quiet(&self, seen: u64, to: u64) -> bool {
        let _g = self.locked();
        let state = self.state.load(Ordering::Acquire);
        if state & PAUSED == 0 {
            return false;
        }
        // SeqCst: ordered with every holder's `fetch_add` (module docs). Fails if the word
        // moved since the look: a hold taken (the generation moved), held or let go since.
        if self
            .busy
            .word
            .compare_exchange(seen, seen | LOCKED, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return false;
        }
        let to = to.min(MAX_PAUSED_NS);
        if to > state & !PAUSED {
            // Release: pairs with the Acquire load in `now_ns`.
            self.state.store(PAUSED | to, Ordering::Release);
        }
        // Release (SeqCst): a holder that waited for `LOCKED` to clear, or takes its hold
        // after this, reads the new time.
        self.busy.word.fetch_sub(LOCKED, Ordering::SeqCst);
        true
    }

    /// Takes one hold (module docs, rules 1-4).
    #[inline]
    pub(crate) fn hold(&self) {
        self.busy.hold();
    }

    /// Lets go of one hold; true if it was the last one and the clock is paused (the caller
    /// then breaks the poll so the checker looks again).
    #[inline]
    pub(crate) fn let_go(&self) -> bool {
        self.busy.let_go() && self.is_paused()
    }

    /// The hold count, shared with `block_on`'s waker.
    pub(crate) fn holds(&self) -> Arc<Holds> {
        self.busy.clone()
    }

    /// `advance`'s wait for idleness: registers `waker` at the first call (`ticket` keeps the
    /// round it joined); true once the checker (or `resume`) woke that round's waiters.
    pub(crate) fn poll_idle(&self, ticket: &mut Option<u64>, waker: &std::task::Waker) -> bool {
        let mut w = self.idle_waiters.lock().unwrap_or_else(|e| e.into_inner());
        match *ticket {
            Some(round) if round != w.round => return true,
            Some(_) => {}
            None => *ticket = Some(w.round),
        }
        if !w.wakers.iter().any(|x| x.will_wake(waker)) {
            w.wakers.push(waker.clone());
        }
        false
    }

    pub(crate) fn has_idle_waiters(&self) -> bool {
        !self
            .idle_waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .wakers
            .is_empty()
    }

    /// Ends the round: wakes every task waiting for idleness.
    pub(crate) fn wake_idle_waiters(&self) {
        let wakers = {
            let mut w = self.idle_waiters.lock().unwrap_or_else(|e| e.into_inner());
            w.round += 1;
            std::mem::take(&mut w.wakers)
        };
        wakers.into_iter().for_each(std::task::Waker::wake);
    }
}

/// Bits of `Holds::word`: the number of holds (bits 0-31).
const COUNT: u64 = (1 << 32) - 1;
/// Bit of `Holds::word`: the checker is moving the clock (`Clock::advance_if_quiet`).
const LOCKED: u64 = 1 << 32;
/// `Holds::word`'s generation (bits 33-63) counts holds ever taken, modulo 2^31: the checker's
/// compare-and-swap fails if any hold was taken since its look, even one let go since.
const GENERATION: u64 = 1 << 33;
/// What one `hold` adds: a hold and a generation (whose carry falls off the top of the word).
const ONE_HOLD: u64 = 1 + GENERATION;

/// The auto-advance holds (module docs): one word, so the checker's jump can be conditional
/// on it and atomic with respect to it (`Clock::advance_if_quiet`).
pub(crate) struct Holds {
    word: AtomicU64,
}

impl Holds {
    pub(crate) fn new() -> Holds {
        Holds {
            word: AtomicU64::new(0),
        }
    }

    /// Takes one hold. If the checker is moving the clock right now, waits until the new time
    /// is in place (a few instructions), so the holder never reads the old time after it.
    #[inline]
    pub(crate) fn hold(&self) {
        // SeqCst: ordered with the checker's load in `quiet` and its compare-and-swap.
        let prev = self.word.fetch_add(ONE_HOLD, Ordering::SeqCst);
        if prev & LOCKED != 0 {
            // Acquire: pairs with the checker's clearing `fetch_sub`, after its time store.
            let mut spins = 0u32;
            while self.word.load(Ordering::Acquire) & LOCKED != 0 {
                // The checker holds `LOCKED` for two stores; if it lost its core meanwhile,
                // give ours up instead of spinning for the rest of the time slice.
                spins += 1;
                if spins % 64 == 0 && !cfg!(loom) {
                    std::thread::yield_now();
                } else {
                    crate::loom::spin_loop();
                }
            }
        }
    }

    /// Lets go of one hold; true if it was the last.
    #[inline]
    pub(crate) fn let_go(&self) -> bool {
        // SeqCst: after the holder published its work; pairs with the checker's load.
        let prev = self.word.fetch_sub(1, Ordering::SeqCst);
        debug_assert!(prev & COUNT > 0, "auto-advance hold count underflow");
        prev & COUNT == 1
    }

    pub(crate) fn quiet(&self) -> Option<u64> {
        // SeqCst: pairs with every `let_go` (module docs).
        let word = self.word.load(Ordering::SeqCst);
        (word & COUNT == 0).then_some(word)
    }
}

/// Tasks in `advance` waiting for the runtime to go idle, and the round they wait in.
#[derive(Default)]
struct IdleWaiters {
    round: u64,
    wakers: Vec<std::task::Waker>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn paused_clock_stands_still_and_only_moves_forward() {
        let clock = super::Clock::new(std::time::Instant::now(), false);
        assert!(!clock.is_paused());
        assert!(clock.pause());
        assert!(!clock.pause());
        let t = clock.now_ns();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now_ns(), t);
        let seen = clock.quiet().unwrap();
        assert!(clock.advance_if_quiet(seen, t + 1_000_000_000));
        assert_eq!(clock.now_ns(), t + 1_000_000_000);
        assert!(clock.advance_if_quiet(seen, t));
        assert_eq!(clock.now_ns(), t + 1_000_000_000, "never backwards");
        // A hold taken since the look (even one let go since) stops the jump.
        clock.hold();
        assert_eq!(clock.quiet(), None);
        assert!(!clock.advance_if_quiet(seen, t + 2_000_000_000));
        assert!(clock.let_go(), "the last hold of a paused clock");
        assert!(clock.quiet().is_some());
        assert!(!clock.advance_if_quiet(seen, t + 2_000_000_000));
        assert_eq!(clock.now_ns(), t + 1_000_000_000);
        assert!(clock.resume());
        assert!(!clock.resume());
        let seen = clock.quiet().unwrap();
        assert!(!clock.advance_if_quiet(seen, u64::MAX));
        let after = clock.now_ns();
        assert!(after >= t + 1_000_000_000, "resumes from where it stood: {after}");
        assert!(after < t + 2_000_000_000);
    }

    #[test]
    fn resumed_clock_with_a_negative_offset_runs_on() {
        let clock = super::Clock::new(std::time::Instant::now(), true);
        std::thread::sleep(std::time::Duration::from_millis(20));
        // Frozen at 0 while 20 ms passed: the offset is negative.
        assert!(clock.resume());
        let a = clock.now_ns();
        assert!(a < 15_000_000, "{a}");
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(clock.now_ns() > a);
    }
}
