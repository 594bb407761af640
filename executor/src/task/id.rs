//! Task ids: unique per process, handed out in per-thread batches (Go's `goidcache`), so
//! spawning does not bounce one shared counter between cores.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// The id of a task: unique among all tasks of the process, never reused.
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let a = rt.spawn(async {});
/// let b = rt.spawn(async {});
/// assert_ne!(a.id(), b.id());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

/// How many ids a thread takes from the shared counter at once (Go's `_GoidCacheBatch`).
const ID_BATCH: u64 = 16;

static NEXT_BATCH: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// `(next, end)` of this thread's current batch.
    static CACHE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

impl Id {
    /// A fresh id.
    pub(crate) fn next() -> Id {
        let (next, end) = CACHE.get();
        let (next, end) = if next == end {
            // Relaxed: uniqueness needs only the atomicity of the add.
            let start = NEXT_BATCH.fetch_add(ID_BATCH, Ordering::Relaxed);
            (start, start + ID_BATCH)
        } else {
            (next, end)
        };
        CACHE.set((next + 1, end));
        Id(NonZeroU64::new(next).expect("task ids start at 1"))
    }

    /// The number.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
