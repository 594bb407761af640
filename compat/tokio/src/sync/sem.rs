//! The FIFO counting semaphore under `Semaphore`, `Mutex`, `RwLock` and bounded `mpsc`.
//!
//! Free permits live in one atomic word (`permits << 1 | CLOSED`), so an uncontended acquire
//! is one compare-and-swap and an uncontended release one `fetch_add`. Waiters queue FIFO under
//! a `std::sync::Mutex`; a release hands free permits to the head waiter first, even part of
//! what it needs, so a large `acquire_many` at the head is never overtaken by later small ones.
//!
//! The one lock-free handshake: a waiter queues itself, sets `has_waiters`, then moves free
//! permits to the queue; a releaser adds its permits, then reads `has_waiters` and, if set,
//! takes the lock and moves them. Both sides store before they load (SeqCst), so at least one
//! of them sees the other and no permit is left free while a waiter sleeps.

use super::waitq::WaitQueue;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};

const CLOSED: usize = 1;
const SHIFT: usize = 1;

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
    has_waiters: AtomicBool,
    waiters: Mutex<WaitQueue<Wait>>,
}

impl Sem {
    pub(crate) const fn new(permits: usize) -> Sem {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits"
        );
        Sem {
            state: AtomicUsize::new(permits << SHIFT),
            has_waiters: AtomicBool::new(false),
            waiters: Mutex::new(WaitQueue::new()),
        }
    }

    pub(crate) const fn new_closed(permits: usize) -> Sem {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits"
        );
        Sem {
            state: AtomicUsize::new((permits << SHIFT) | CLOSED),
            has_waiters: AtomicBool::new(false),
            waiters: Mutex::new(WaitQueue::new()),
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

    /// Takes `n` permits now, or says why not.
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquire> {
        let mut cur = self.state.load(SeqCst);
        loop {
            if cur & CLOSED != 0 {
                return Err(TryAcquire::Closed);
            }
            if cur >> SHIFT < n {
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

    /// Moves free permits to the waiters, head first, waking each one that is now complete.
    fn distribute(&self, q: &mut WaitQueue<Wait>) {
        while let Some(k) = q.front() {
            let e = q.get_mut(k);
            let want = e.data.needed - e.data.assigned;
            e.data.assigned += self.take_up_to(want);
            if e.data.assigned < e.data.needed {
                break;
            }
            q.pop_front();
            if let Some(w) = q.get_mut(k).waker.take() {
                w.wake();
            }
        }
        self.has_waiters.store(!q.is_empty(), SeqCst);
    }

    /// Returns `n` permits, handing them to waiters first.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let prev = self.state.fetch_add(n << SHIFT, SeqCst);
        assert!(
            (prev >> SHIFT) + n <= MAX_PERMITS,
            "number of added permits ({n}) would overflow MAX_PERMITS ({MAX_PERMITS})"
        );
        if self.has_waiters.load(SeqCst) {
            let mut q = self.lock();
            self.distribute(&mut q);
        }
    }

    /// Removes up to `n` free permits for good; returns how many.
    pub(crate) fn forget(&self, n: usize) -> usize {
        self.take_up_to(n)
    }

    /// Closes the semaphore: pending and future acquires fail; free permits stay countable.
    pub(crate) fn close(&self) {
        let mut q = self.lock();
        self.state.fetch_or(CLOSED, SeqCst);
        q.drain(|e| {
            e.data.closed = true;
            if let Some(w) = e.waker.take() {
                w.wake();
            }
        });
        self.has_waiters.store(false, SeqCst);
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
        if e.data.assigned == e.data.needed {
            q.remove(k);
            *key = None;
            return Poll::Ready(Ok(()));
        }
        if e.data.closed {
            let got = q.remove(k).data.assigned;
            *key = None;
            drop(q);
            self.release(got);
            return Poll::Ready(Err(()));
        }
        match &mut e.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            w => *w = Some(cx.waker().clone()),
        }
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
        self.has_waiters.store(true, SeqCst);
        self.distribute(&mut q);
        let e = q.get_mut(k);
        if e.data.assigned == e.data.needed {
            q.remove(k);
            return Poll::Ready(Ok(()));
        }
        *key = Some(k);
        Poll::Pending
    }

    /// Gives up a place in line: the waiter leaves the queue and any permits already handed to
    /// it go to the next waiters (or back to the pool).
    pub(crate) fn cancel(&self, key: &mut Option<usize>) {
        let Some(k) = key.take() else { return };
        let mut q = self.lock();
        let got = q.remove(k).data.assigned;
        if got == 0 {
            self.has_waiters.store(!q.is_empty(), SeqCst);
            return;
        }
        self.state.fetch_add(got << SHIFT, SeqCst);
        self.distribute(&mut q);
    }
}
