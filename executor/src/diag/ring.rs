//! One M's ring of trace events: lock-free for the M itself, which records every poll, and
//! a small locked queue for the rare events other threads record on its track (sysmon's
//! handoff of the M's P).
//!
//! # The owner's ring (a single-writer seqlock on `head`)
//! Slot `i % CAPACITY` holds event `i` as `WORDS` words. Only the owning M writes, with
//! `head` at `i` (event `i - 1` complete):
//! 1. the words of event `i`, as Release stores (a plain `mov` on x86-64, as relaxed ones);
//! 2. `head.store(i + 1, Release)`: event `i` is complete.
//!
//! A reader (`snapshot`) loads `head` (Acquire, pairing with 2), copies events
//! `head - KEPT .. head` (`KEPT = CAPACITY - 1`) with Acquire loads, then loads `head` again
//! as `h2`. A copied word written by event `j`'s step 1 (a Release store read by an Acquire
//! load) carries the writer's earlier `head = j` with it, so `h2 >= j`; event `j` reuses the
//! slot of event `j - CAPACITY`, so every event at or below `h2 - CAPACITY`, whose slot a
//! write may have reused during the copy, is dropped (the seqlock rule; Boehm, "Can seqlocks
//! get along with programming language memory models?", 2012). Each word is an atomic, so a
//! torn read is never undefined behaviour, and it is dropped anyway. With the writer quiet,
//! `h2` is `head` and every copied event is kept: the oldest slot, whose event may be under
//! rewrite by the next unpublished one, is never copied.
//!
//! One counter, not a second `writing` one: Release stores and Acquire loads are plain `mov`s
//! on x86-64, and the ring keeps one event fewer. Tested by
//! `a_snapshot_never_returns_a_torn_event` (a 64-slot ring in the crate's tests, lapped 30,000
//! times while snapshots are taken; a reader that keeps the events at `h2 - CAPACITY` too
//! failed it in 5 of 5 runs). No loom model: loom 0.7 explored a single schedule of the one
//! written for it, so it proved nothing.
//!
//! # Words
//! A poll: `[start, end, task, spawn location]`, times in the runtime's diagnostics clock's
//! raw ticks (diag/tsc.rs), converted when a snapshot is taken. An instant event:
//! `[time, n, task, kind << 1 | 1]` (`task` 0 but for a wake). A `Location` is 8-byte aligned, so the low bit of word 3
//! tells the two apart.
//!
//! Which thread owns the ring: the one that claimed it (`claim`, the M's thread at its
//! start); `instant` from any other thread goes to `foreign`.

use super::export::{Event, Kind};
use super::tsc::Clock;
use crate::loom::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::collections::VecDeque;
use std::panic::Location;
use std::sync::Mutex;

/// Events kept per M (the oldest are overwritten); smaller in the crate's own tests, so
/// `a_snapshot_never_returns_a_torn_event` laps the ring often.
pub(crate) const CAPACITY: usize = if cfg!(any(loom, test)) { 64 } else { 1 << 16 };
/// Events a snapshot returns: the slot of the oldest may be under rewrite by the next,
/// unpublished event, which the reader cannot tell from a quiet writer (module doc).
pub(crate) const KEPT: usize = CAPACITY - 1;
// Word 3's low bit tells a poll's location from an instant's kind (module doc, "Words").
const _: () = assert!(std::mem::align_of::<Location<'static>>() >= 2);

/// Events kept from other threads (handoffs: at most one per poll of the M).
const FOREIGN_CAPACITY: usize = 1024;
/// Words per event (module doc, "Words").
const WORDS: usize = 4;

/// One M's events.
pub(crate) struct Ring {
    /// Event `i` in `slots[i % CAPACITY]`: a fixed-size array, so the index needs no bounds
    /// check.
    slots: Box<[[AtomicU64; WORDS]; CAPACITY]>,
    head: AtomicU64,
    /// `thread_token()` of the owner, 0 until `claim`.
    owner: AtomicUsize,
    /// `(kind, ticks, n, task)`.
    foreign: Mutex<VecDeque<(Kind, u64, u64, u64)>>,
}

thread_local! {
    static TOKEN: u8 = const { 0 };
}

/// A non-zero number unique to the calling thread while it lives (its TLS slot's address).
fn thread_token() -> usize {
    TOKEN.with(|t| t as *const u8 as usize)
}

fn zeroed() -> Box<[[AtomicU64; WORDS]; CAPACITY]> {
    if cfg!(loom) {
        let v: Vec<[AtomicU64; WORDS]> = (0..CAPACITY)
            .map(|_| std::array::from_fn(|_| AtomicU64::new(0)))
            .collect();
        return v.into_boxed_slice().try_into().unwrap_or_else(|_| unreachable!());
    }
    let layout = std::alloc::Layout::new::<[[AtomicU64; WORDS]; CAPACITY]>();
    // SAFETY: `layout` has a non-zero size. An all-zero `std::sync::atomic::AtomicU64` is a
    // valid 0 (same layout as `u64`); the allocation is `calloc`-like, so its pages are only
    // touched as events arrive. `Box` frees it with the same layout (that of the array type).
    // Not taken under loom, whose atomics are not plain integers.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout).cast::<[[AtomicU64; WORDS]; CAPACITY]>();
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Box::from_raw(ptr)
    }
}

impl Ring {
    pub(crate) fn new() -> Ring {
        Ring {
            slots: zeroed(),
            head: AtomicU64::new(0),
            owner: AtomicUsize::new(0),
            foreign: Mutex::new(VecDeque::new()),
        }
    }

    /// Makes the calling thread the owner (the M's thread, before its first poll).
    pub(crate) fn claim(&self) {
        self.owner.store(thread_token(), Ordering::Relaxed);
    }

    /// Steps 1-2 of the module doc. Owner only.
    #[inline]
    fn push_owned(&self, words: [u64; WORDS]) {
        // Relaxed: only this thread writes `head`.
        let i = self.head.load(Ordering::Relaxed);
        // Step 1 (Release stores: a plain `mov` on x86-64, as a relaxed one).
        for (slot, w) in self.slots[i as usize % CAPACITY].iter().zip(words) {
            slot.store(w, Ordering::Release);
        }
        // Pairs with `snapshot`'s Acquire load (step 2).
        self.head.store(i + 1, Ordering::Release);
    }

    /// A poll of task `task` (spawned at `at`) from tick `start` to tick `end`. The owner
    /// only.
    #[inline]
    pub(crate) fn poll(&self, start: u64, end: u64, task: u64, at: &'static Location<'static>) {
        let at = at as *const Location<'static> as usize as u64;
        self.push_owned([start, end, task, at]);
    }

    /// An instant event, from any thread. Out of line: it sits on scheduler paths (steal,
    /// netpoll) that must stay small when tracing is off.
    #[inline(never)]
    pub(crate) fn instant(&self, kind: Kind, ticks: u64, n: u64) {
        self.instant_of(kind, ticks, n, 0);
    }

    /// `instant` naming a task (a wake).
    pub(crate) fn instant_of(&self, kind: Kind, ticks: u64, n: u64, task: u64) {
        if self.owner.load(Ordering::Relaxed) == thread_token() {
            return self.push_owned([ticks, n, task, (kind as u64) << 1 | 1]);
        }
        let mut q = self.foreign.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() == FOREIGN_CAPACITY {
            q.pop_front();
        }
        q.push_back((kind, ticks, n, task));
    }

    /// A copy of the events kept so far, oldest first within each source (the M keeps
    /// recording meanwhile), with times converted by `clock`.
    pub(crate) fn snapshot(&self, clock: &Clock) -> Vec<Event> {
        // Acquire: pairs with step 2, so every event below `head` is fully written.
        let head = self.head.load(Ordering::Acquire);
        let first = head.saturating_sub(KEPT as u64);
        let mut words = Vec::with_capacity((head - first) as usize * WORDS);
        for i in first..head {
            words.extend(
                self.slots[i as usize % CAPACITY]
                    .iter()
                    // Acquire: pairs with step 1, so a word a newer write stored shows in `h2`.
                    .map(|w| w.load(Ordering::Acquire)),
            );
        }
        let h2 = self.head.load(Ordering::Relaxed);
        let reused_up_to = h2.checked_sub(CAPACITY as u64);
        let mut out: Vec<Event> = words
            .chunks_exact(WORDS)
            .zip(first..head)
            .filter(|(_, i)| reused_up_to.is_none_or(|r| *i > r))
            .filter_map(|(w, _)| decode(w, clock))
            .collect();
        out.extend(
            self.foreign
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|&(kind, ticks, n, task)| Event::instant(kind, clock.since_start_ns(ticks), n, task)),
        );
        out
    }
}

/// An event from its words; `None` for a kind no writer stores (never happens).
fn decode(w: &[u64], clock: &Clock) -> Option<Event> {
    if w[3] & 1 == 1 {
        let kind = Kind::from_u64(w[3] >> 1)?;
        return Some(Event::instant(kind, clock.since_start_ns(w[0]), w[1], w[2]));
    }
    // SAFETY: a poll event's word 3 is always the address of a `&'static Location` (`poll`
    // stores nothing else there with the low bit clear, and each word is written
    // atomically), or 0 in a slot never written (`as_ref` gives `None`), so the reference is
    // valid for 'static. A slot being rewritten was dropped above; even a mixed slot would
    // only pair one event's location with another's times.
    let at = unsafe { (w[3] as usize as *const Location<'static>).as_ref() }?;
    let dur = clock.ticks_to_ns(w[1].saturating_sub(w[0]));
    Some(Event::poll(clock.since_start_ns(w[0]), dur, w[2], at))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// The M laps the ring many times while another thread takes snapshots. Poll `i` is
    /// written as start `10 i`, end `11 i`, task `i`: an event made of two polls' words has a
    /// duration other than its task id.
    #[test]
    fn a_snapshot_never_returns_a_torn_event() {
        const LAST: u64 = 2_000_000;
        let ring = Ring::new();
        let done = AtomicBool::new(false);
        // 1 ns ticks: a duration converts to itself.
        let clock = Clock::monotonic(std::time::Instant::now());
        let (mut snapshots, mut seen) = (0, 0);
        std::thread::scope(|s| {
            s.spawn(|| {
                ring.claim();
                for i in 1..=LAST {
                    ring.poll(10 * i, 11 * i, i, Location::caller());
                }
                done.store(true, Ordering::Release);
            });
            while !done.load(Ordering::Acquire) {
                let events = ring.snapshot(&clock);
                let mut last = 0;
                for e in &events {
                    assert_eq!(e.dur, e.task, "a torn event: {:?}", (e.ts, e.dur, e.task));
                    assert!(e.task > last, "out of order");
                    last = e.task;
                }
                assert!(events.len() <= KEPT);
                snapshots += 1;
                seen += events.len();
            }
        });
        let tasks: Vec<u64> = ring.snapshot(&clock).iter().map(|e| e.task).collect();
        assert_eq!(tasks.len(), KEPT);
        assert_eq!(tasks[KEPT - 1], LAST);
        assert!(snapshots > 0 && seen > 0, "{snapshots} snapshots, {seen} events");
    }
}
