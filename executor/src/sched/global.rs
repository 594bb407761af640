//! The global run queue (Go's `sched.runq`): a mutex-guarded FIFO with batch push and pop,
//! plus an atomic length so an empty queue is seen without taking the lock.
//!
//! Fed by spawns and wakes from threads that hold no P, yields outside a worker's poll (a
//! yield inside one goes to its P's local tail), preempted tasks, local queue overflow and Ms
//! that lost their P; drained every 61st tick, when a local queue is empty
//! (in batches) and by Ms without a local task.

use super::runq::{LOCAL_QUEUE_CAPACITY, Link, Local, Overflow};
use crate::loom::Mutex;
use crate::loom::atomic::{AtomicUsize, Ordering};
use std::collections::VecDeque;

/// Go's `globrunqget` cap: at most half a local queue per batch.
const MAX_BATCH: usize = LOCAL_QUEUE_CAPACITY / 2;

pub(crate) struct GlobalQueue<T> {
    /// Guarded by the mutex.
    queue: Mutex<VecDeque<T>>,
    /// Mirror of `queue.len()`, written under the lock, read without it.
    len: AtomicUsize,
}

impl<T: Link> GlobalQueue<T> {
    pub(crate) fn new() -> Self {
        GlobalQueue {
            queue: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
        }
    }

    /// A snapshot of the length.
    pub(crate) fn len(&self) -> usize {
        // SeqCst: the submit side of the spin/park protocol (sched/mod.rs, protocol A step 2)
        // pairs this with the SeqCst `npidle`/`nmspinning` accesses.
        self.len.load(Ordering::SeqCst)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn push(&self, t: T) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.push_back(t);
        self.len.store(q.len(), Ordering::SeqCst);
    }

    /// Go's `globrunqget`: takes `min(len / nprocs + 1, max, 128)` tasks, returns the first
    /// and puts the rest on `local` (the caller's own queue).
    pub(crate) fn pop_batch(&self, nprocs: usize, max: usize, local: &Local<'_, T>) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let n = (q.len() / nprocs + 1).min(q.len()).min(max).min(MAX_BATCH);
        let first = q.pop_front();
        for _ in 1..n {
            let Some(t) = q.pop_front() else { break };
            // Straight into the ring under our lock (the ring never takes this lock); a full
            // ring, which the callers' empty local queue rules out, leaves the rest here.
            if let Err(t) = local.try_put_tail(t) {
                q.push_front(t);
                break;
            }
        }
        self.len.store(q.len(), Ordering::SeqCst);
        first
    }

    /// Takes every task (shutdown).
    pub(crate) fn drain(&self) -> Vec<T> {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        self.len.store(0, Ordering::SeqCst);
        q.drain(..).collect()
    }
}

impl<T: Link> Overflow<T> for GlobalQueue<T> {
    fn push_batch(&self, batch: impl IntoIterator<Item = T>) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.extend(batch);
        self.len.store(q.len(), Ordering::SeqCst);
    }
}
