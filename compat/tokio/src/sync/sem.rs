//! The FIFO counting semaphore under `Semaphore`, `Mutex`, `RwLock` and bounded `mpsc`.
//!
//! Free permits live in one atomic word (`permits << 2 | WAITERS | CLOSED`), so an uncontended
//! acquire is one compare-and-swap and an uncontended release one `fetch_add`. Waiters queue
//! FIFO under a `std::sync::Mutex`; a release hands free permits to the head waiter first, even
//! part of what it needs, so a large `acquire_many` at the head is never overtaken by later
//! small ones, and the lock-free `try_acquire` takes nothing while anyone is queued.
//!
//! The one lock-free handshake: a waiter queues itself under the lock, sets `WAITERS` with a
//! `fetch_or`, then moves free permits to the queue; a releaser's `fetch_add` returns the word
//! it changed, and if `WAITERS` was in it the releaser takes the lock and moves the permits.
//! Both are read-modify-writes of the same word, so one comes first in its modification order
//! and the other sees its effect: no permit is left free while a waiter sleeps (`loom_sem.rs`).

use super::waitq::{WaitQueue, WakeList};
#[cfg(loom)]
use loom::sync::atomic::AtomicUsize;
#[cfg(loom)]
use loom::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
#[cfg(not(loom))]
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};

/// `const fn` normally; a plain `fn` under loom, whose atomics cannot be built in constants.
macro_rules! const_unless_loom {
    ($(#[$m:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$m])* $vis const fn $($rest)*
        #[cfg(loom)]
        $(#[$m])* $vis fn $($rest)*
    };
}

const CLOSED: usize = 1;
/// Someone is queued: `release` must take the lock, `try_acquire` must not barge.
const WAITERS: usize = 2;
const SHIFT: usize = 2;

/// The largest number of permits a semaphore holds (tokio's limit).
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

/// A queued acquirer: how many permits it asked for, how many it has been handed so far.
#[derive(Debug)]
pub(crate) struct Wait {
    needed: usize,
    assigned: usize,
    closed: bool,
}

/// Why an acquire failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TryAcquire {
    Closed,
    NoPermits,
}

/// The semaphore core; see the module doc.
#[derive(Debug)]
pub(crate) struct Sem {
    state: AtomicUsize,
    waiters: Mutex<WaitQueue<Wait>>,
    /// The loom models' broken twin: `release` reads `WAITERS` before adding its permits.
    #[cfg(loom)]
    pub(crate) broken: bool,
}

impl Sem {
    const_unless_loom! {
        pub(crate) fn new(permits: usize) -> Sem {
            Sem::with_state(permits, 0)
        }
    }

    const_unless_loom! {
        pub(crate) fn new_closed(permits: usize) -> Sem {
            Sem::with_state(permits, CLOSED)
        }
    }

    const_unless_loom! {
        fn with_state(permits: usize, flags: usize) -> Sem {
            assert!(permits <= MAX_PERMITS, "a semaphore may not have more than MAX_PERMITS permits");
            Sem {
                state: AtomicUsize::new((permits << SHIFT) | flags),
                waiters: Mutex::new(WaitQueue::new()),
                #[cfg(loom)]
                broken: false,
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, WaitQueue<Wait>> {
        // A panic never happens while the queue is half-updated, so a poisoned lock is usable.
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn available_permits(&self) -> usize {
        self.state.load(SeqCst) >> SHIFT
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(SeqCst) & CLOSED != 0
    }

    /// Takes `n` permits now, or says why not (`NoPermits` also while anyone is queued).
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquire> {
        let mut cur = self.state.load(SeqCst);
        loop {
            if cur & CLOSED != 0 {
                return Err(TryAcquire::Closed);
            }
            if cur & WAITERS != 0 || cur >> SHIFT < n {
                return Err(TryAcquire::NoPermits);
            }
            match self
                .state
                .compare_exchange_weak(cur, cur - (n << SHIFT), SeqCst, SeqCst)
            {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Takes up to `want` free permits; returns how many it took.
    fn take_up_to(&self, want: usize) -> usize {
        let mut cur = self.state.load(SeqCst);
        loop {
            let take = (cur >> SHIFT).min(want);
            if take == 0 {
                return 0;
            }
            match self
                .state
                .compare_exchange_weak(cur, cur - (take << SHIFT), SeqCst, SeqCst)
            {
                Ok(_) => return take,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Moves free permits to the waiters, head first; each one now complete goes into `wl`.
    fn distribute(&self, q: &mut WaitQueue<Wait>, wl: &mut WakeList) {
        while let Some(k) = q.front() {
            let e = q.get_mut(k);
            let want = e.data.needed - e.data.assigned;
            e.data.assigned += self.take_up_to(want);
            if e.data.assigned < e.data.needed {
                break;
            }
            q.pop_front();
            wl.push(q.get_mut(k).waker.take());
        }
        if q.is_empty() {
            self.state.fetch_and(!WAITERS, SeqCst);
        }
    }

    /// Returns `n` permits, handing them to waiters first.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        #[cfg(loom)]
        if self.broken {
            let waiters = self.state.load(SeqCst) & WAITERS != 0;
            self.state.fetch_add(n << SHIFT, SeqCst);
            if waiters {
                self.distribute_and_wake();
            }
            return;
        }
        let prev = self.state.fetch_add(n << SHIFT, SeqCst);
        assert!(
            (prev >> SHIFT) + n <= MAX_PERMITS,
            "number of added permits ({n}) would overflow MAX_PERMITS ({MAX_PERMITS})"
        );
        if prev & WAITERS != 0 {
            self.distribute_and_wake();
        }
    }

    fn distribute_and_wake(&self) {
        let mut wl = WakeList::new();
        self.distribute(&mut self.lock(), &mut wl);
        wl.wake_all();
    }

    /// Removes up to `n` free permits for good; returns how many.
    pub(crate) fn forget(&self, n: usize) -> usize {
        self.take_up_to(n)
    }

    /// Closes the semaphore: pending and future acquires fail; free permits stay countable.
    pub(crate) fn close(&self) {
        let mut wl = WakeList::new();
        let mut q = self.lock();
        self.state.fetch_or(CLOSED, SeqCst);
        q.drain(|e| {
            e.data.closed = true;
            wl.push(e.waker.take());
        });
        self.state.fetch_and(!WAITERS, SeqCst);
        drop(q);
        wl.wake_all();
    }

    /// Polls an acquire of `n` permits; `key` is the caller's place in line (kept across polls,
    /// and given to `cancel` if the caller gives up). `Err` means the semaphore is closed.
    pub(crate) fn poll_acquire(
        &self,
        cx: &mut Context<'_>,
        n: usize,
        key: &mut Option<usize>,
    ) -> Poll<Result<(), ()>> {
        let Some(k) = *key else {
            match self.try_acquire(n) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(TryAcquire::Closed) => return Poll::Ready(Err(())),
                Err(TryAcquire::NoPermits) => {}
            }
            return self.enqueue(cx, n, key);
        };
        let mut q = self.lock();
        let e = q.get_mut(k);
        if e.data.assigned == e.data.needed || e.data.closed {
            let e = q.remove(k);
            drop(q);
            *key = None;
            if e.data.assigned == e.data.needed {
                return Poll::Ready(Ok(()));
            }
            self.release(e.data.assigned);
            return Poll::Ready(Err(()));
        }
        let old = match &mut e.waker {
            Some(w) if w.will_wake(cx.waker()) => None,
            w => w.replace(cx.waker().clone()),
        };
        drop(q);
        drop(old);
        Poll::Pending
    }

    fn enqueue(&self, cx: &mut Context<'_>, n: usize, key: &mut Option<usize>) -> Poll<Result<(), ()>> {
        let mut q = self.lock();
        if self.is_closed() {
            return Poll::Ready(Err(()));
        }
        let wait = Wait {
            needed: n,
            assigned: 0,
            closed: false,
        };
        let k = q.push_back(wait, Some(cx.waker().clone()));
        self.state.fetch_or(WAITERS, SeqCst);
        let mut wl = WakeList::new();
        self.distribute(&mut q, &mut wl);
        let e = q.get_mut(k);
        let done = e.data.assigned == e.data.needed;
        let removed = done.then(|| q.remove(k));
        drop(q);
        drop(removed);
        wl.wake_all();
        if done {
            return Poll::Ready(Ok(()));
        }
        *key = Some(k);
        Poll::Pending
    }

    /// Gives up a place in line: the waiter leaves the queue and any permits already handed to
    /// it go to the next waiters (or back to the pool).
    pub(crate) fn cancel(&self, key: &mut Option<usize>) {
        let Some(k) = key.take() else { return };
        let mut wl = WakeList::new();
        let mut q = self.lock();
        let e = q.remove(k);
        self.state.fetch_add(e.data.assigned << SHIFT, SeqCst);
        self.distribute(&mut q, &mut wl);
        drop(q);
        drop(e);
        wl.wake_all();
    }
}
