//! A P's timers (Go's `p.timers`): a 4-ary min-heap of deadlines under the P's timer lock.
//!
//! A timer is an `Arc<Entry>` shared by its `Sleep` and the heap. Dropping a `Sleep` only marks
//! its entry cancelled (a "zombie", Go's word); zombies are skipped when they reach the top and
//! swept out when they are more than a quarter of the heap, so a million short-lived timeouts
//! do not grow memory. A cancelled entry lets go of its waker at once, so a zombie keeps no
//! task alive.
//!
//! At runtime shutdown `close` empties every heap and marks the entries `SHUT_DOWN` (their
//! `Sleep`s then panic, or stay pending inside a task that is being cancelled), and no timer
//! is added after it. Nothing in a heap outlives the runtime: an entry's waker holds its task,
//! whose scheduler holds the runtime, which holds the heap — a cycle that would leak the
//! runtime (its fds and memory) if the heap kept it.

use crate::loom::atomic::{AtomicIsize, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;

/// Arity of the heap (Go's).
const ARITY: usize = 4;
/// Sweep zombies once they are more than 1/`ZOMBIE_FRACTION` of a heap at least this big.
const ZOMBIE_MIN_HEAP: usize = 64;
const ZOMBIE_FRACTION: usize = 4;
/// `Timers::next_when` when the heap is empty.
pub(crate) const NO_TIMER: u64 = u64::MAX;

const WAITING: u8 = 0;
const FIRED: u8 = 1;
const CANCELLED: u8 = 2;
/// The runtime shut down before the timer fired (`Timers::close`).
const SHUT_DOWN: u8 = 3;

/// One armed timer.
pub(crate) struct Entry {
    state: AtomicU8,
    waker: futures_util::task::AtomicWaker,
}

impl Entry {
    pub(crate) fn new() -> Entry {
        Entry {
            state: AtomicU8::new(WAITING),
            waker: futures_util::task::AtomicWaker::new(),
        }
    }

    pub(crate) fn is_fired(&self) -> bool {
        // Acquire: pairs with the Release in `fire`.
        self.state.load(Ordering::Acquire) == FIRED
    }

    pub(crate) fn register(&self, waker: &Waker) {
        self.waker.register(waker);
    }

    /// Whether the runtime shut down before the entry fired.
    pub(crate) fn is_shut_down(&self) -> bool {
        // Acquire: pairs with the Release in `shut_down`.
        self.state.load(Ordering::Acquire) == SHUT_DOWN
    }

    /// Marks the entry cancelled and drops its waker; true if it was still waiting (so it is
    /// now a zombie).
    pub(crate) fn cancel(&self) -> bool {
        let cancelled = self
            .state
            .compare_exchange(WAITING, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        // Whatever the state, the waker is of no use any more; a zombie that kept it would keep
        // its task (and the task's runtime) alive until swept.
        drop(self.waker.take());
        cancelled
    }

    /// The runtime shut down: marks a waiting entry and moves its waker to `wake` (a
    /// `block_on` waiting on it then sees the shutdown instead of sleeping forever).
    fn shut_down(&self, wake: &mut Vec<Waker>) {
        if self
            .state
            .compare_exchange(WAITING, SHUT_DOWN, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            wake.extend(self.waker.take());
        } else {
            drop(self.waker.take());
        }
    }

    /// Fires the entry; its waker goes to `wake`. False if it had been cancelled.
    fn fire(&self, wake: &mut Vec<Waker>) -> bool {
        if self
            .state
            .compare_exchange(WAITING, FIRED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        wake.extend(self.waker.take());
        true
    }
}

/// # Fields
/// - `heap`: under the lock; the owner P's M adds and runs, any M may run (stealing, the
///   blocking poller, sysmon).
/// - `next_when`: the top's deadline (ns since the runtime started), read without the lock to
///   decide whether to take it (Go's `timer0When`).
/// - `zombies`: cancelled entries still in the heap, an estimate for the sweep. Signed, as Go's
///   `deletedTimers`: a `Sleep`'s drop cancels its entry and then counts it, two steps without
///   the lock, and a pop in between (the owner running timers, a thief, `next_live_when`)
///   takes the zombie off the count before it is on it, so the count is briefly one less than
///   it will be, possibly below zero. Readers treat a negative count as zero.
/// - `closed`: under the lock; set by `close`, after which `add` fails.
pub(crate) struct Timers {
    heap: Mutex<Heap>,
    next_when: AtomicU64,
    zombies: AtomicIsize,
}

struct Heap {
    entries: Vec<(u64, Arc<Entry>)>,
    closed: bool,
}

/// `Timers::add` after `Timers::close`: the runtime has shut down.
#[derive(Debug)]
pub(crate) struct Closed;

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            heap: Mutex::new(Heap {
                entries: Vec::new(),
                closed: false,
            }),
            next_when: AtomicU64::new(NO_TIMER),
            zombies: AtomicIsize::new(0),
        }
    }

    /// Runtime shutdown: empties the heap, marks every waiting entry `SHUT_DOWN` and wakes its
    /// waker (outside the lock); every later `add` fails.
    pub(crate) fn close(&self) {
        let entries = {
            let mut heap = self.heap.lock().unwrap_or_else(|e| e.into_inner());
            heap.closed = true;
            self.next_when.store(NO_TIMER, Ordering::Release);
            self.zombies.store(0, Ordering::Relaxed);
            std::mem::take(&mut heap.entries)
        };
        let mut wake = Vec::new();
        for (_, entry) in &entries {
            entry.shut_down(&mut wake);
        }
        drop(entries);
        // A woken task is dropped by its (shut-down) scheduler; a `block_on` thread wakes up.
        wake.into_iter().for_each(Waker::wake);
    }

    /// The earliest deadline, or `NO_TIMER`.
    pub(crate) fn next_when(&self) -> u64 {
        self.next_when.load(Ordering::Acquire)
    }

    /// Number of entries (zombies included), for scheddetail's `timerslen`.
    pub(crate) fn len(&self) -> usize {
        self.heap.lock().unwrap_or_else(|e| e.into_inner()).entries.len()
    }

    /// Adds a timer firing at `when`; `Ok(true)` if it is now the earliest, `Err` after
    /// `close`.
    pub(crate) fn add(&self, when: u64, entry: Arc<Entry>) -> Result<bool, Closed> {
        let mut guard = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        if guard.closed {
            return Err(Closed);
        }
        let heap = &mut guard.entries;
        // Negative while a drop is between its two steps (see `zombies`): no zombies to sweep.
        let zombies = usize::try_from(self.zombies.load(Ordering::Relaxed)).unwrap_or(0);
        if heap.len() >= ZOMBIE_MIN_HEAP && zombies.saturating_mul(ZOMBIE_FRACTION) > heap.len() {
            self.sweep(heap);
        }
        heap.push((when, entry));
        let i = heap.len() - 1;
        sift_up(heap, i);
        let earliest = heap[0].0 == when;
        self.next_when.store(heap[0].0, Ordering::Release);
        Ok(earliest)
    }

    /// The earliest deadline of a timer still waiting, or `NO_TIMER`: cancelled entries at the
    /// top are dropped first. A paused clock jumps to this (sched/poller.rs), never to the
    /// deadline of a timer nobody waits for.
    pub(crate) fn next_live_when(&self) -> u64 {
        if self.next_when() == NO_TIMER {
            return NO_TIMER;
        }
        let mut guard = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        let heap = &mut guard.entries;
        while let Some((_, entry)) = heap.first() {
            if entry.state.load(Ordering::Acquire) != CANCELLED {
                break;
            }
            pop(heap);
            self.zombies.fetch_sub(1, Ordering::Relaxed);
        }
        let top = heap.first().map_or(NO_TIMER, |t| t.0);
        self.next_when.store(top, Ordering::Release);
        top
    }

    /// A `Sleep` cancelled its entry: one more zombie.
    pub(crate) fn note_cancelled(&self) {
        self.zombies.fetch_add(1, Ordering::Relaxed);
    }

    /// Pops every timer due at `now` and collects their wakers. `try_only`: give up if another
    /// thread holds the lock (a thief or sysmon need not wait for the owner).
    pub(crate) fn run(&self, now: u64, wake: &mut Vec<Waker>, try_only: bool) {
        if self.next_when() > now {
            return;
        }
        let mut guard = if try_only {
            match self.heap.try_lock() {
                Ok(h) => h,
                Err(std::sync::TryLockError::WouldBlock) => return,
                Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            }
        } else {
            self.heap.lock().unwrap_or_else(|e| e.into_inner())
        };
        let heap = &mut guard.entries;
        while let Some(&(when, _)) = heap.first() {
            if when > now {
                break;
            }
            let (_, entry) = pop(heap);
            if !entry.fire(wake) {
                self.zombies.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.next_when
            .store(heap.first().map_or(NO_TIMER, |t| t.0), Ordering::Release);
    }

    /// Drops every zombie and rebuilds the heap (Go's `cleantimers`/`adjusttimers`).
    fn sweep(&self, heap: &mut Vec<(u64, Arc<Entry>)>) {
        let before = heap.len();
        heap.retain(|(_, e)| e.state.load(Ordering::Acquire) != CANCELLED);
        // At most a heap's length, far below `isize::MAX`.
        self.zombies
            .fetch_sub((before - heap.len()) as isize, Ordering::Relaxed);
        for i in (0..heap.len()).rev() {
            sift_down(heap, i);
        }
    }
}

fn pop(heap: &mut Vec<(u64, Arc<Entry>)>) -> (u64, Arc<Entry>) {
    let top = heap.swap_remove(0);
    if !heap.is_empty() {
        sift_down(heap, 0);
    }
    top
}

fn sift_up(heap: &mut [(u64, Arc<Entry>)], mut i: usize) {
    while i > 0 {
        let parent = (i - 1) / ARITY;
        if heap[parent].0 <= heap[i].0 {
            break;
        }
        heap.swap(parent, i);
        i = parent;
    }
}

fn sift_down(heap: &mut [(u64, Arc<Entry>)], mut i: usize) {
    loop {
        let first = i * ARITY + 1;
        if first >= heap.len() {
            break;
        }
        let last = (first + ARITY).min(heap.len());
        let min = (first..last).min_by_key(|&c| heap[c].0).expect("a child exists");
        if heap[i].0 <= heap[min].0 {
            break;
        }
        heap.swap(i, min);
        i = min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn pops_in_deadline_order_and_skips_cancelled() {
        let timers = Timers::new();
        let whens = [50u64, 10, 40, 30, 20, 60, 5, 70, 15, 25];
        let entries: Vec<_> = whens.iter().map(|_| Arc::new(Entry::new())).collect();
        for (w, e) in whens.iter().zip(&entries) {
            timers.add(*w, e.clone()).unwrap();
        }
        assert_eq!(timers.next_when(), 5);
        assert!(entries[2].cancel()); // 40
        timers.note_cancelled();
        let mut wake = Vec::new();
        timers.run(30, &mut wake, false);
        let fired: Vec<u64> = whens
            .iter()
            .zip(&entries)
            .filter(|(_, e)| e.is_fired())
            .map(|(w, _)| *w)
            .collect();
        let mut fired = fired;
        fired.sort_unstable();
        assert_eq!(fired, vec![5, 10, 15, 20, 25, 30]);
        assert_eq!(timers.next_when(), 40);
        timers.run(100, &mut wake, false);
        assert!(!entries[2].is_fired());
        assert_eq!(timers.next_when(), NO_TIMER);
        assert_eq!(timers.zombies.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn next_live_when_skips_cancelled_tops() {
        let timers = Timers::new();
        let entries: Vec<_> = (0..3).map(|_| Arc::new(Entry::new())).collect();
        for (w, e) in [10u64, 20, 30].iter().zip(&entries) {
            timers.add(*w, e.clone()).unwrap();
        }
        assert!(entries[0].cancel());
        timers.note_cancelled();
        assert!(entries[1].cancel());
        timers.note_cancelled();
        assert_eq!(timers.next_when(), 10);
        assert_eq!(timers.next_live_when(), 30);
        assert_eq!(timers.next_when(), 30);
        assert_eq!(timers.zombies.load(Ordering::Relaxed), 0);
        assert!(entries[2].cancel());
        timers.note_cancelled();
        assert_eq!(timers.next_live_when(), NO_TIMER);
    }

    #[test]
    fn zombies_are_swept() {
        let timers = Timers::new();
        for i in 0..10_000u64 {
            let e = Arc::new(Entry::new());
            timers.add(1_000_000 + i, e.clone()).unwrap();
            assert!(e.cancel());
            timers.note_cancelled();
        }
        assert!(timers.len() < 200, "heap kept {} zombies", timers.len());
    }

    #[test]
    fn close_empties_the_heap_and_refuses_new_timers() {
        let timers = Timers::new();
        struct Count(AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let woken = Arc::new(Count(AtomicUsize::new(0)));
        let waiting = Arc::new(Entry::new());
        waiting.register(&Waker::from(woken.clone()));
        timers.add(10, waiting.clone()).unwrap();
        let zombie = Arc::new(Entry::new());
        timers.add(20, zombie.clone()).unwrap();
        assert!(zombie.cancel());
        timers.note_cancelled();
        timers.close();
        assert_eq!(timers.len(), 0);
        assert_eq!(timers.next_when(), NO_TIMER);
        assert!(waiting.is_shut_down() && !waiting.is_fired());
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        // The entry let go of the waker: only the test's reference is left.
        assert_eq!(Arc::strong_count(&woken), 1);
        assert!(!zombie.is_shut_down());
        assert!(timers.add(30, Arc::new(Entry::new())).is_err());
    }

    /// A `Sleep` drop cancels its entry and counts the zombie in two steps; a pop in between
    /// (the owner running timers, a thief, the paused clock's `next_live_when`) takes the
    /// zombie off the count before it was on it. The count must not wrap: a wrapped count made
    /// the next `add`'s sweep check overflow (a panic in a debug build).
    #[test]
    fn a_pop_between_cancel_and_count_never_wraps_the_zombie_count() {
        let timers = Timers::new();
        let far: Vec<_> = (0..ZOMBIE_MIN_HEAP).map(|_| Arc::new(Entry::new())).collect();
        for (i, e) in far.iter().enumerate() {
            timers.add(1_000 + i as u64, e.clone()).unwrap();
        }
        let early = Arc::new(Entry::new());
        timers.add(10, early.clone()).unwrap();
        assert!(early.cancel()); // the drop's first step
        assert_eq!(timers.next_live_when(), 1_000); // the pop in between
        timers.add(2_000, Arc::new(Entry::new())).unwrap();
        let mut wake = Vec::new();
        timers.run(20, &mut wake, false);
        timers.note_cancelled(); // the drop's second step
        assert_eq!(timers.zombies.load(Ordering::Relaxed), 0);
        assert_eq!(timers.len(), ZOMBIE_MIN_HEAP + 1);
    }
}
