//! The M: a worker thread's shared half (the parker, the stealer of its spawn buffer, flags and
//! counters). The thread-local half is `context::WorkerCx`.

use crate::loom::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::loom::{Condvar, Mutex};
use crate::task::Notified;
use crossbeam_deque::Stealer;

/// `M::p` when the M holds no P.
pub(crate) const NO_P: usize = usize::MAX;

/// Why a parked M woke up.
pub(crate) enum Wakeup {
    /// It was handed this P; `spinning` says whether it counts in `nmspinning`.
    Run { p: usize, spinning: bool },
    /// The runtime is shutting down.
    Exit,
}

/// Parking state, guarded by `M::park`.
struct Park {
    /// Set by `startm` (Go's `mp.nextp`).
    next: Option<(usize, bool)>,
    exit: bool,
}

/// # Fields
/// - `park`/`cv`: the parker; `next` is written by whoever starts this M, under the mutex.
/// - `buffer`: steals from the M's spawn buffer (the `Worker` lives in the thread's context).
/// - `spinning`, `p`, `curg`, `blocked`: written by the M's thread, read by metrics/schedtrace.
/// - `preempt`: set by sysmon, cleared by the M at each poll start.
/// - counters: written by the M's thread only (load + store), summed by `metrics()`.
pub(crate) struct M {
    pub(crate) id: usize,
    park: Mutex<Park>,
    cv: Condvar,
    pub(crate) buffer: Stealer<Notified>,
    pub(crate) spinning: AtomicBool,
    pub(crate) p: AtomicUsize,
    pub(crate) curg: AtomicU64,
    pub(crate) blocked: AtomicBool,
    pub(crate) preempt: AtomicBool,
    pub(crate) polls: AtomicU64,
    pub(crate) spawned: AtomicU64,
    pub(crate) steals: AtomicU64,
}

impl M {
    pub(crate) fn new(id: usize, buffer: Stealer<Notified>) -> M {
        M {
            id,
            park: Mutex::new(Park {
                next: None,
                exit: false,
            }),
            cv: Condvar::new(),
            buffer,
            spinning: AtomicBool::new(false),
            p: AtomicUsize::new(NO_P),
            curg: AtomicU64::new(0),
            blocked: AtomicBool::new(false),
            preempt: AtomicBool::new(false),
            polls: AtomicU64::new(0),
            spawned: AtomicU64::new(0),
            steals: AtomicU64::new(0),
        }
    }

    /// Go's `notesleep(&mp.park)`: blocks until `start` or `exit`.
    pub(crate) fn park(&self) -> Wakeup {
        let mut park = self.park.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some((p, spinning)) = park.next.take() {
                return Wakeup::Run { p, spinning };
            }
            if park.exit {
                return Wakeup::Exit;
            }
            park = self.cv.wait(park).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Go's `mp.nextp = pp; notewakeup(&mp.park)`.
    pub(crate) fn start(&self, p: usize, spinning: bool) {
        let mut park = self.park.lock().unwrap_or_else(|e| e.into_inner());
        debug_assert!(park.next.is_none(), "M started twice");
        park.next = Some((p, spinning));
        drop(park);
        self.cv.notify_one();
    }

    /// Shutdown: makes `park` return `Exit`.
    pub(crate) fn exit(&self) {
        let mut park = self.park.lock().unwrap_or_else(|e| e.into_inner());
        park.exit = true;
        drop(park);
        self.cv.notify_one();
    }

    /// Adds one to a counter this M's thread owns.
    pub(crate) fn bump(counter: &AtomicU64, n: u64) {
        // Relaxed load + store: only the owning thread writes; readers want a recent value.
        counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }
}
