//! One M's ring of trace events: lock-free for the M itself, which records every poll, and
//! a small locked queue for the rare events other threads record on its track (sysmon's
//! handoff of the M's P).
//!
//! # The owner's ring (a single-writer seqlock per slot range)
//! Slot `i % CAPACITY` holds event `i` as `WORDS` words. Only the owning M writes:
//! 1. `writing.store(i + 1)`, then a Release fence: a reader that sees any word of the new
//!    event also sees that event `i` was being written;
//! 2. the words of event `i` (relaxed stores);
//! 3. `head.store(i + 1, Release)`: event `i` is complete.
//!
//! A reader (`snapshot`) loads `head` (Acquire, pairing with 3), copies events
//! `head - CAPACITY .. head`, then takes an Acquire fence and loads `writing`: every event with
//! an index below `writing - CAPACITY`, whose slot a write may have reused during the copy, is
//! dropped (the seqlock rule; Boehm, "Can seqlocks get along with programming language memory
//! models?", 2012). Each word is an atomic, so a torn read is never undefined behaviour, and it
//! is dropped anyway.
//!
//! Which thread owns the ring: the one that recorded its first poll (`owner`); `instant`
//! from any other thread goes to `foreign`.

use super::export::{Event, Kind};
use crate::loom::atomic::{AtomicU64, AtomicUsize, Ordering, fence};
use std::collections::VecDeque;
use std::panic::Location;
use std::sync::Mutex;

/// Events kept per M (the oldest are overwritten); smaller under loom.
pub(crate) const CAPACITY: usize = if cfg!(loom) { 16 } else { 1 << 16 };
/// Events kept from other threads (handoffs: at most one per poll of the M).
const FOREIGN_CAPACITY: usize = 1024;
/// Words per event: kind, ts, dur or n, task, spawn location (0 = none).
const WORDS: usize = 5;

/// One M's events.
pub(crate) struct Ring {
    /// Event `i` in `slots[i % CAPACITY]`: a fixed-size array, so the index needs no bounds
    /// check.
    slots: Box<[[AtomicU64; WORDS]; CAPACITY]>,
    head: AtomicU64,
    writing: AtomicU64,
    /// `thread_token()` of the owner, 0 until its first poll.
    owner: AtomicUsize,
    foreign: Mutex<VecDeque<Event>>,
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
            writing: AtomicU64::new(0),
            owner: AtomicUsize::new(0),
            foreign: Mutex::new(VecDeque::new()),
        }
    }

    /// Steps 1-3 of the module doc. Owner only.
    #[inline]
    fn push_owned(&self, words: [u64; WORDS]) {
        // Relaxed: only this thread writes `head`.
        let i = self.head.load(Ordering::Relaxed);
        self.writing.store(i + 1, Ordering::Relaxed);
        // Pairs with the reader's Acquire fence (step 1).
        fence(Ordering::Release);
        for (slot, w) in self.slots[i as usize % CAPACITY].iter().zip(words) {
            slot.store(w, Ordering::Relaxed);
        }
        // Pairs with `snapshot`'s Acquire load (step 3).
        self.head.store(i + 1, Ordering::Release);
    }

    /// A poll of task `task` (spawned at `at`) from `ts` to `end`. Called by the owning M only
    /// (the first call makes the calling thread the owner).
    #[inline]
    pub(crate) fn poll(&self, ts: u64, end: u64, task: u64, at: &'static Location<'static>) {
        if self.owner.load(Ordering::Relaxed) == 0 {
            self.owner.store(thread_token(), Ordering::Relaxed);
        }
        let at = at as *const Location<'static> as usize as u64;
        self.push_owned([Kind::Poll as u64, ts, end.saturating_sub(ts), task, at]);
    }

    /// An instant event, from any thread. Out of line: it sits on scheduler paths (steal,
    /// netpoll) that must stay small when tracing is off.
    #[inline(never)]
    pub(crate) fn instant(&self, kind: Kind, ts: u64, n: u64) {
        if self.owner.load(Ordering::Relaxed) == thread_token() {
            return self.push_owned([kind as u64, ts, n, 0, 0]);
        }
        let mut q = self.foreign.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() == FOREIGN_CAPACITY {
            q.pop_front();
        }
        q.push_back(Event::instant(kind, ts, n));
    }

    /// A copy of the events kept so far, oldest first within each source (the M keeps
    /// recording meanwhile).
    pub(crate) fn snapshot(&self) -> Vec<Event> {
        // Acquire: pairs with step 3, so every event below `head` is fully written.
        let head = self.head.load(Ordering::Acquire);
        let first = head.saturating_sub(CAPACITY as u64);
        let mut words = Vec::with_capacity((head - first) as usize * WORDS);
        for i in first..head {
            words.extend(
                self.slots[i as usize % CAPACITY]
                    .iter()
                    .map(|w| w.load(Ordering::Relaxed)),
            );
        }
        // Pairs with step 1's Release fence: any slot we read that a newer write touched shows
        // in `writing`.
        fence(Ordering::Acquire);
        let writing = self.writing.load(Ordering::Relaxed);
        let reused_below = writing.saturating_sub(CAPACITY as u64);
        let mut out: Vec<Event> = words
            .chunks_exact(WORDS)
            .zip(first..head)
            .filter(|(_, i)| *i >= reused_below)
            .filter_map(|(w, _)| decode(w))
            .collect();
        out.extend(
            self.foreign
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .copied(),
        );
        out
    }
}

/// An event from its words; `None` for a kind no writer stores (never happens).
fn decode(w: &[u64]) -> Option<Event> {
    let kind = Kind::from_u64(w[0])?;
    if kind != Kind::Poll {
        return Some(Event::instant(kind, w[1], w[2]));
    }
    // SAFETY: a poll event's word 4 is always the address of a `&'static Location` (`poll`
    // stores nothing else there, and each word is written atomically), so the reference is
    // valid for 'static. A slot being rewritten was dropped above; even a mixed slot would
    // only pair one event's location with another's times.
    let at = unsafe { (w[4] as usize as *const Location<'static>).as_ref() }?;
    Some(Event::poll(w[1], w[2], w[3], at))
}
