//! A P's local run queue: Go's bounded ring (`runqput`/`runqget`/`runqgrab`) plus the
//! `runnext` slot.
//!
//! Single producer (the M that owns the P), many consumers (the owner at the head, thieves
//! taking half at the head with one CAS). The slots are `AtomicPtr`s: a thief copies slots
//! before its CAS on `head`, and the owner may be overwriting a slot the thief read with a
//! stale `head`; in Go that race is benign, in Rust it would be undefined behaviour on a plain
//! cell, so the slots are relaxed atomics (a plain `mov` on x86) and a thief whose CAS fails
//! simply forgets what it copied.
//!
//! ## Who may call what: two views of one queue
//! The queue itself ([`RunQueue`], held by its P for the runtime's life) has no operations;
//! they are on two views (the shape of crossbeam's `Worker`/`Stealer` and tokio's
//! `Local`/`Steal`, except that the owner changes: a P's queue belongs to whichever M holds
//! the P, so the owner's handle cannot live in one thread):
//! - [`Local`], the owner's: `put`, `try_put_tail`, `get`, `take_runnext`, `drain`, and the
//!   destination of `steal_into`. Two producers would write the same slot
//!   (a task run twice or lost), so only the single owner may hold one. `RunQueue::local` is
//!   `unsafe` for that reason; the scheduler calls it in one place, `P::local`, which takes a
//!   `&OwnedP`: the token that *is* the ownership of a P (sched/p.rs). A `Local` borrows the
//!   token, so it cannot outlive it, and cannot be shared with or sent to another thread.
//! - [`Steal`], anyone's: `steal_into` (into the caller's own `Local`) and the snapshots
//!   `len`, `is_empty` (sysmon, metrics, protocol B's re-check).
//!
//! Both views are a reference: taking one costs nothing, and the hot path is unchanged.

use crate::loom::atomic::{AtomicPtr, AtomicU32, Ordering};
pub(crate) use crate::task::link::Link;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

/// Ring capacity: Go's `len(p.runq)`; shrunk under loom so models stay small.
#[cfg(not(loom))]
pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 256;
#[cfg(loom)]
pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 4;

const MASK: u32 = LOCAL_QUEUE_CAPACITY as u32 - 1;

/// How long a thief waits before taking a running P's `runnext` (Go sleeps 3 µs: the owner is
/// probably about to run it). ~1–3 µs of `pause` on current x86; picked to match Go's intent.
const RUNNEXT_STEAL_SPINS: u32 = 64;

/// Where overflow goes (the global queue).
pub(crate) trait Overflow<T> {
    /// Appends a batch in order, under one lock.
    fn push_batch(&self, batch: impl IntoIterator<Item = T>);
}

/// Go's `p.runq` + `p.runnext`: the storage, reached through [`Local`] (owner) or [`Steal`]
/// (anyone).
pub(crate) struct RunQueue<T: Link> {
    /// Next slot to consume. CAS by consumers (owner and thieves).
    head: AtomicU32,
    /// Next slot to fill. Stored only by the owner (Release), read by thieves (Acquire).
    tail: AtomicU32,
    /// Go's `runnext`: the task that runs next, inheriting the time slice.
    runnext: AtomicPtr<()>,
    buf: Box<[AtomicPtr<()>]>,
    _owns: PhantomData<T>,
}

// SAFETY: the queue owns `T`s (task references, which are Send) and hands each out exactly once:
// every transfer out of a slot is claimed by a successful CAS on `head` or `runnext`.
unsafe impl<T: Link + Send> Send for RunQueue<T> {}
// SAFETY: as above; all shared state is atomic.
unsafe impl<T: Link + Send> Sync for RunQueue<T> {}

impl<T: Link> RunQueue<T> {
    pub(crate) fn new() -> Self {
        let buf = (0..LOCAL_QUEUE_CAPACITY)
            .map(|_| AtomicPtr::new(ptr::null_mut()))
            .collect();
        RunQueue {
            head: AtomicU32::new(0),
            tail: AtomicU32::new(0),
            runnext: AtomicPtr::new(ptr::null_mut()),
            buf,
            _owns: PhantomData,
        }
    }

    /// The owner's view.
    ///
    /// # Safety
    /// While the returned `Local` (or any other `Local` of this queue) is in use, no other
    /// thread uses a `Local` of this queue: the caller is the queue's single producer.
    #[inline]
    pub(crate) unsafe fn local(&self) -> Local<'_, T> {
        Local {
            q: self,
            _not_send_or_sync: PhantomData,
        }
    }

    /// The thieves' and observers' view; anyone may take it.
    #[inline]
    pub(crate) fn steal(&self) -> Steal<'_, T> {
        Steal { q: self }
    }

    fn slot(&self, i: u32) -> &AtomicPtr<()> {
        &self.buf[(i & MASK) as usize]
    }

    /// [`Local::put`].
    fn put(&self, t: T, next: bool, overflow: &impl Overflow<T>) {
        let mut t = t;
        if next {
            // Swap: thieves only ever CAS runnext from a task to null, so a swap is enough.
            // AcqRel: Release publishes the task to a thief's Acquire CAS; Acquire takes
            // ownership of the old one.
            let old = self.runnext.swap(t.into_ptr().as_ptr(), Ordering::AcqRel);
            match NonNull::new(old) {
                // SAFETY: the slot owned `old`; the swap moved that ownership to us.
                Some(old) => t = unsafe { T::from_ptr(old) },
                None => return,
            }
        }
        self.put_tail(t, overflow);
    }

    /// [`Local::try_put_tail`].
    fn try_put_tail(&self, t: T) -> Result<(), T> {
        // Acquire: as in `put_tail`.
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Relaxed);
        if tail.wrapping_sub(head) >= LOCAL_QUEUE_CAPACITY as u32 {
            return Err(t);
        }
        self.slot(tail).store(t.into_ptr().as_ptr(), Ordering::Relaxed);
        // Release: as in `put_tail`.
        self.tail.store(tail.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    fn put_tail(&self, t: T, overflow: &impl Overflow<T>) {
        let mut t = t;
        loop {
            // Acquire: pairs with the Release CAS of consumers, so a freed slot is really free.
            let head = self.head.load(Ordering::Acquire);
            // Unsync read is fine: only this thread stores `tail`.
            let tail = self.tail.load(Ordering::Relaxed);
            if tail.wrapping_sub(head) < LOCAL_QUEUE_CAPACITY as u32 {
                self.slot(tail).store(t.into_ptr().as_ptr(), Ordering::Relaxed);
                // Release: publishes the slot to consumers' Acquire load of `tail`.
                self.tail.store(tail.wrapping_add(1), Ordering::Release);
                return;
            }
            match self.put_slow(t, head, tail, overflow) {
                Ok(()) => return,
                Err(back) => t = back,
            }
        }
    }

    /// Go's `runqputslow`: moves half the ring plus `t` to the overflow queue.
    fn put_slow(&self, t: T, head: u32, tail: u32, overflow: &impl Overflow<T>) -> Result<(), T> {
        let n = tail.wrapping_sub(head) / 2;
        debug_assert_eq!(
            n,
            LOCAL_QUEUE_CAPACITY as u32 / 2,
            "put_slow on a ring that is not full"
        );
        let mut batch: Vec<NonNull<()>> = Vec::with_capacity(n as usize + 1);
        for i in 0..n {
            let p = self.slot(head.wrapping_add(i)).load(Ordering::Relaxed);
            batch.push(NonNull::new(p).expect("a filled slot is never null"));
        }
        // Release: pairs with the owner's/thieves' Acquire loads of `head`.
        if self
            .head
            .compare_exchange(head, head.wrapping_add(n), Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            // Consumers took some meanwhile, so the ring has room again; what we copied is
            // not ours.
            return Err(t);
        }
        // SAFETY: the successful CAS transferred the `n` slots we copied to us.
        let mut batch: Vec<T> = batch.into_iter().map(|p| unsafe { T::from_ptr(p) }).collect();
        batch.push(t);
        overflow.push_batch(batch);
        Ok(())
    }

    /// [`Local::get`].
    fn get(&self) -> Option<(T, bool)> {
        if let Some(t) = self.take_runnext() {
            return Some((t, true));
        }
        self.get_ring().map(|t| (t, false))
    }

    /// Takes the head of the ring, ignoring `runnext`.
    fn get_ring(&self) -> Option<T> {
        loop {
            // Acquire: pairs with the Release CAS of other consumers.
            let head = self.head.load(Ordering::Acquire);
            let tail = self.tail.load(Ordering::Relaxed);
            if tail == head {
                return None;
            }
            let p = self.slot(head).load(Ordering::Relaxed);
            // Release: publishes the slot's reuse to the owner's Acquire load of `head`.
            if self
                .head
                .compare_exchange(head, head.wrapping_add(1), Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                // SAFETY: the CAS claimed this slot; it held an item put by `put_tail`.
                return Some(unsafe { T::from_ptr(NonNull::new(p).expect("filled slot")) });
            }
        }
    }

    /// [`Local::take_runnext`]; also a thief's last resort (`grab_runnext`).
    fn take_runnext(&self) -> Option<T> {
        let p = self.runnext.load(Ordering::Relaxed);
        if p.is_null() {
            return None;
        }
        // Acquire: pairs with the Release swap in `put`.
        self.runnext
            .compare_exchange(p, ptr::null_mut(), Ordering::Acquire, Ordering::Relaxed)
            .ok()
            // SAFETY: the CAS moved the slot's ownership to us.
            .map(|p| unsafe { T::from_ptr(NonNull::new_unchecked(p)) })
    }

    /// [`Steal::steal_into`].
    fn steal_into(&self, dst: &RunQueue<T>, steal_runnext: bool, victim_running: bool) -> Option<T> {
        // Only the owner (the caller) stores dst.tail.
        let dst_tail = dst.tail.load(Ordering::Relaxed);
        let n = self.grab(dst, dst_tail, steal_runnext, victim_running);
        if n == 0 {
            return None;
        }
        let n = n - 1;
        let last = dst.slot(dst_tail.wrapping_add(n)).load(Ordering::Relaxed);
        if n > 0 {
            let dst_head = dst.head.load(Ordering::Acquire);
            debug_assert!(dst_tail.wrapping_sub(dst_head).wrapping_add(n) < LOCAL_QUEUE_CAPACITY as u32);
            // Release: publishes the copied slots to consumers of dst.
            dst.tail.store(dst_tail.wrapping_add(n), Ordering::Release);
        }
        // SAFETY: `grab` transferred `n + 1` items into dst's slots past its tail; the last one
        // is not published and is ours.
        Some(unsafe { T::from_ptr(NonNull::new(last).expect("stolen slot")) })
    }

    /// Go's `runqgrab`: copies half of the ring into `dst`'s slots from `dst_tail` on and claims
    /// them with one CAS. Returns how many.
    fn grab(&self, dst: &RunQueue<T>, dst_tail: u32, steal_runnext: bool, victim_running: bool) -> u32 {
        loop {
            // Acquire both: pairs with consumers' Release CAS and the owner's Release tail store.
            let head = self.head.load(Ordering::Acquire);
            let tail = self.tail.load(Ordering::Acquire);
            let len = tail.wrapping_sub(head);
            let n = len - len / 2;
            if n == 0 {
                return if steal_runnext {
                    self.grab_runnext(dst, dst_tail, victim_running)
                } else {
                    0
                };
            }
            if n > LOCAL_QUEUE_CAPACITY as u32 / 2 {
                // head and tail were read at different times; try again.
                continue;
            }
            for i in 0..n {
                let p = self.slot(head.wrapping_add(i)).load(Ordering::Relaxed);
                dst.slot(dst_tail.wrapping_add(i)).store(p, Ordering::Relaxed);
            }
            // Release: the claimed slots may now be reused by the victim's owner.
            if self
                .head
                .compare_exchange(head, head.wrapping_add(n), Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return n;
            }
        }
    }

    fn grab_runnext(&self, dst: &RunQueue<T>, dst_tail: u32, victim_running: bool) -> u32 {
        if self.runnext.load(Ordering::Relaxed).is_null() {
            return 0;
        }
        if victim_running {
            for _ in 0..RUNNEXT_STEAL_SPINS {
                crate::loom::spin_loop();
            }
        }
        match self.take_runnext() {
            Some(t) => {
                dst.slot(dst_tail).store(t.into_ptr().as_ptr(), Ordering::Relaxed);
                1
            }
            None => 0,
        }
    }

    /// [`Steal::len`].
    fn len(&self) -> usize {
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Acquire);
        let ring = (tail.wrapping_sub(head) as usize).min(LOCAL_QUEUE_CAPACITY);
        ring + usize::from(self.has_runnext())
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn has_runnext(&self) -> bool {
        !self.runnext.load(Ordering::Acquire).is_null()
    }

    /// [`Local::drain`].
    fn drain(&self) -> Vec<T> {
        let mut out = Vec::new();
        while let Some((t, _)) = self.get() {
            out.push(t);
        }
        out
    }
}

impl<T: Link> Drop for RunQueue<T> {
    fn drop(&mut self) {
        // `&mut self`: nobody else can hold a view, so this thread is the owner.
        drop(self.drain());
    }
}

/// The owner's view of a [`RunQueue`]: the operations of its single producer (module header,
/// "Who may call what"). Not `Send` or `Sync`, so it stays on the thread that made it.
pub(crate) struct Local<'a, T: Link> {
    q: &'a RunQueue<T>,
    _not_send_or_sync: PhantomData<*const ()>,
}

impl<T: Link> Local<'_, T> {
    /// Go's `runqput`: with `next`, `t` goes to `runnext` and the old `runnext` to the tail.
    /// A full ring moves half of itself plus the new task to `overflow` in one batch.
    #[inline]
    pub(crate) fn put(&self, t: T, next: bool, overflow: &impl Overflow<T>) {
        self.q.put(t, next, overflow)
    }

    /// Appends `t` to the ring if it has room; gives it back if full (no overflow).
    #[inline]
    pub(crate) fn try_put_tail(&self, t: T) -> Result<(), T> {
        self.q.try_put_tail(t)
    }

    /// Go's `runqget`: `runnext` first (the bool says "inherits the time slice"), then the ring.
    #[inline]
    pub(crate) fn get(&self) -> Option<(T, bool)> {
        self.q.get()
    }

    /// Takes `runnext` alone (the slice expired: its task goes to the global tail instead of
    /// inheriting the slice, find.rs).
    #[inline]
    pub(crate) fn take_runnext(&self) -> Option<T> {
        self.q.take_runnext()
    }

    /// Takes everything out (shutdown).
    pub(crate) fn drain(&self) -> Vec<T> {
        self.q.drain()
    }

    /// Tasks in the ring plus `runnext` (exact: only the owner adds any).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.q.len()
    }

    #[inline]
    pub(crate) fn has_runnext(&self) -> bool {
        self.q.has_runnext()
    }
}

/// Anyone's view of a [`RunQueue`]: a thief's `steal_into` and snapshots of its length.
pub(crate) struct Steal<'a, T: Link> {
    q: &'a RunQueue<T>,
}

impl<T: Link> Clone for Steal<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Link> Copy for Steal<'_, T> {}

impl<T: Link> Steal<'_, T> {
    /// Go's `runqsteal`: grabs half of this queue into `dst` (the caller's own) and returns
    /// one of them to run. `steal_runnext` also allows taking `runnext` when the ring is empty;
    /// `victim_running` makes the thief pause first, since the owner is about to run it.
    #[inline]
    pub(crate) fn steal_into(
        &self,
        dst: &Local<'_, T>,
        steal_runnext: bool,
        victim_running: bool,
    ) -> Option<T> {
        self.q.steal_into(dst.q, steal_runnext, victim_running)
    }

    /// Tasks in the ring plus `runnext` (a snapshot; exact only for the owner).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.q.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    /// Whether `runnext` holds a task (a snapshot).
    pub(crate) fn has_runnext(&self) -> bool {
        self.q.has_runnext()
    }
}
