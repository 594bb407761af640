//! Every live task of a runtime, for shutdown, `dump()` and leak checks.
//!
//! Sharded by task id; each shard is an intrusive doubly-linked list through `Header::links`
//! under its own mutex, so insertion and removal are O(1) and touch one shard lock (never a
//! global one). The list owns one reference to each task in it (the `Task`).

use super::raw::{Header, RawTask, Task};
use crate::loom::Mutex;
use crate::loom::atomic::{AtomicUsize, Ordering};
use std::ptr::NonNull;

/// Shards per P: enough that Ps spawning at once rarely meet on one lock (tokio uses 4 × cores).
const SHARDS_PER_PROC: usize = 4;

/// Aligned to two cache lines so neighbouring shards do not false-share (the adjacent-line
/// prefetcher pulls pairs of 64-byte lines on x86).
#[repr(align(128))]
struct Padded<T>(T);

struct Shard {
    head: Option<NonNull<Header>>,
    /// Set at shutdown: no insert succeeds after it.
    closed: bool,
}

// SAFETY: the raw pointers are only followed under the shard's mutex, and the tasks they point to
// are Send + Sync (see `RawTask`).
unsafe impl Send for Shard {}

/// One shard: its list under a lock, and its length readable without the lock.
type ShardSlot = Padded<(Mutex<Shard>, AtomicUsize)>;

pub(crate) struct Registry {
    shards: Box<[ShardSlot]>,
    mask: usize,
}

impl Registry {
    pub(crate) fn new(nprocs: usize) -> Registry {
        let n = (nprocs * SHARDS_PER_PROC).next_power_of_two();
        let shards = (0..n)
            .map(|_| {
                Padded((
                    Mutex::new(Shard {
                        head: None,
                        closed: false,
                    }),
                    AtomicUsize::new(0),
                ))
            })
            .collect();
        Registry { shards, mask: n - 1 }
    }

    fn shard(&self, header: &Header) -> &(Mutex<Shard>, AtomicUsize) {
        &self.shards[(header.id.as_u64() as usize) & self.mask].0
    }

    /// Adds a task; fails (giving it back) once the registry is closed.
    pub(crate) fn insert(&self, task: Task) -> Result<(), Task> {
        let (lock, len) = self.shard(task.header());
        let mut shard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if shard.closed {
            return Err(task);
        }
        let ptr = task.raw().header_ptr();
        let old_head = shard.head;
        task.header().links.with_mut(|links| {
            // SAFETY: links are only touched under this shard's lock, which we hold.
            let links = unsafe { &mut *links };
            debug_assert!(!links.in_list);
            links.prev = None;
            links.next = old_head;
            links.in_list = true;
        });
        if let Some(old) = old_head {
            // SAFETY: `old` is in this shard's list (so alive: the list owns a reference) and we
            // hold the lock.
            unsafe { old.as_ref() }
                .links
                .with_mut(|l| unsafe { (*l).prev = Some(ptr) });
        }
        shard.head = Some(ptr);
        len.fetch_add(1, Ordering::Relaxed);
        // The list now owns the task's registry reference.
        let _ = task.into_raw();
        Ok(())
    }

    /// Removes a task if it is still listed, returning the list's reference.
    pub(crate) fn remove(&self, header: &Header) -> Option<Task> {
        let (lock, len) = self.shard(header);
        let mut shard = lock.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: we hold the shard lock; the caller holds a reference to `header`.
        let (prev, next) = header.links.with_mut(|l| unsafe {
            let l = &mut *l;
            if !l.in_list {
                return None;
            }
            l.in_list = false;
            Some((l.prev.take(), l.next.take()))
        })?;
        match prev {
            // SAFETY: neighbours are listed, hence alive, and we hold the lock.
            Some(p) => unsafe { p.as_ref() }
                .links
                .with_mut(|l| unsafe { (*l).next = next }),
            None => shard.head = next,
        }
        if let Some(n) = next {
            // SAFETY: as above.
            unsafe { n.as_ref() }
                .links
                .with_mut(|l| unsafe { (*l).prev = prev });
        }
        len.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the list's reference moves to the caller.
        Some(unsafe { Task::from_raw(RawTask::from_raw(NonNull::from(header))) })
    }

    /// Closes every shard and takes every task out (shutdown).
    pub(crate) fn close_and_drain(&self) -> Vec<Task> {
        let mut out = Vec::new();
        for Padded((lock, len)) in self.shards.iter() {
            let mut shard = lock.lock().unwrap_or_else(|e| e.into_inner());
            shard.closed = true;
            while let Some(ptr) = shard.head {
                // SAFETY: listed tasks are alive and we hold the lock.
                let header = unsafe { ptr.as_ref() };
                // SAFETY: the links are only touched under this shard's lock, which we hold.
                shard.head = header.links.with_mut(|l| unsafe {
                    let l = &mut *l;
                    l.in_list = false;
                    l.prev = None;
                    l.next.take()
                });
                // SAFETY: the list's reference moves to `out`.
                out.push(unsafe { Task::from_raw(RawTask::from_raw(ptr)) });
            }
            if let Some(h) = shard.head {
                // SAFETY: as above.
                unsafe { h.as_ref() }
                    .links
                    .with_mut(|l| unsafe { (*l).prev = None });
            }
            len.store(0, Ordering::Relaxed);
        }
        out
    }

    /// Live tasks (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.0.1.load(Ordering::Relaxed)).sum()
    }

    /// Calls `f` on every listed task, one shard lock at a time.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Header)) {
        for Padded((lock, _)) in self.shards.iter() {
            let shard = lock.lock().unwrap_or_else(|e| e.into_inner());
            let mut cur = shard.head;
            while let Some(ptr) = cur {
                // SAFETY: listed tasks are alive while we hold the lock.
                let header = unsafe { ptr.as_ref() };
                f(header);
                // SAFETY: as above.
                cur = header.links.with(|l| unsafe { (*l).next });
            }
        }
    }
}
