//! A FIFO of waiters kept in a slab, for the primitives that park futures under their own
//! `std::sync::Mutex`.
//!
//! A waiter's slot belongs to its future from `push_back` until the future calls `remove`: a
//! notifier that `pop_front`s a waiter only unlinks it (and fills in its data), so the key the
//! future holds stays valid and is never reused under it. Push, pop and remove are O(1).

use std::task::Waker;

const NIL: usize = usize::MAX;

/// One parked future: its waker, whether it is still queued, and the primitive's data.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    pub(crate) waker: Option<Waker>,
    pub(crate) linked: bool,
    pub(crate) data: T,
}

#[derive(Debug)]
struct Slot<T> {
    prev: usize,
    /// The next queued slot, or the next free slot while free.
    next: usize,
    entry: Option<Entry<T>>,
}

/// The queue; see the module doc.
#[derive(Debug)]
pub(crate) struct WaitQueue<T> {
    slots: Vec<Slot<T>>,
    free: usize,
    head: usize,
    tail: usize,
    len: usize,
}

impl<T> WaitQueue<T> {
    pub(crate) const fn new() -> Self {
        WaitQueue {
            slots: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues a waiter at the tail; returns its key.
    pub(crate) fn push_back(&mut self, data: T, waker: Option<Waker>) -> usize {
        let entry = Some(Entry {
            waker,
            linked: true,
            data,
        });
        let key = if self.free != NIL {
            let k = self.free;
            self.free = self.slots[k].next;
            self.slots[k] = Slot {
                prev: self.tail,
                next: NIL,
                entry,
            };
            k
        } else {
            self.slots.push(Slot {
                prev: self.tail,
                next: NIL,
                entry,
            });
            self.slots.len() - 1
        };
        if self.tail == NIL {
            self.head = key;
        } else {
            self.slots[self.tail].next = key;
        }
        self.tail = key;
        self.len += 1;
        key
    }

    /// The key of the first queued waiter.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// The key of the last queued waiter.
    pub(crate) fn back(&self) -> Option<usize> {
        (self.tail != NIL).then_some(self.tail)
    }

    /// Unlinks the first waiter and returns its key; its slot stays until `remove`.
    pub(crate) fn pop_front(&mut self) -> Option<usize> {
        let k = self.front()?;
        self.unlink(k);
        Some(k)
    }

    /// The waiter with this key (queued or unlinked).
    pub(crate) fn get_mut(&mut self, key: usize) -> &mut Entry<T> {
        self.slots[key]
            .entry
            .as_mut()
            .expect("waitq: key of a removed waiter")
    }

    /// Takes the waiter out of the queue if it is still in it; the slot stays.
    pub(crate) fn unlink(&mut self, key: usize) {
        let slot = &mut self.slots[key];
        let Some(e) = slot.entry.as_mut() else { return };
        if !e.linked {
            return;
        }
        e.linked = false;
        let (prev, next) = (slot.prev, slot.next);
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next].prev = prev;
        }
        self.len -= 1;
    }

    /// Unlinks the waiter if needed, frees its slot and returns what it held.
    pub(crate) fn remove(&mut self, key: usize) -> Entry<T> {
        self.unlink(key);
        let slot = &mut self.slots[key];
        let e = slot.entry.take().expect("waitq: key removed twice");
        slot.next = self.free;
        self.free = key;
        e
    }

    /// Wakes nobody; unlinks every queued waiter, front to back, calling `f` on each.
    pub(crate) fn drain(&mut self, mut f: impl FnMut(&mut Entry<T>)) {
        while let Some(k) = self.pop_front() {
            f(self.get_mut(k));
        }
    }
}

/// Wakers collected under a lock, to be woken (and so dropped) after the lock is released: a
/// waker's `wake` or `drop` may run any code, even code that takes the same lock again.
#[derive(Debug, Default)]
pub(crate) struct WakeList {
    inline: [Option<Waker>; 4],
    len: usize,
    more: Vec<Waker>,
}

impl WakeList {
    pub(crate) fn new() -> Self {
        WakeList::default()
    }

    pub(crate) fn push(&mut self, w: Option<Waker>) {
        let Some(w) = w else { return };
        if self.len < self.inline.len() {
            self.inline[self.len] = Some(w);
            self.len += 1;
        } else {
            self.more.push(w);
        }
    }

    /// Wakes every collected waker; call it with no lock held.
    pub(crate) fn wake_all(self) {
        let WakeList { inline, more, .. } = self;
        inline.into_iter().flatten().chain(more).for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use super::WaitQueue;

    #[test]
    fn fifo_and_removal_from_the_middle() {
        let mut q = WaitQueue::new();
        let a = q.push_back(1, None);
        let b = q.push_back(2, None);
        let c = q.push_back(3, None);
        assert_eq!(q.remove(b).data, 2);
        assert_eq!(q.len, 2);
        assert_eq!(q.pop_front(), Some(a));
        assert_eq!(q.get_mut(a).data, 1);
        assert!(!q.get_mut(a).linked);
        let d = q.push_back(4, None);
        assert_eq!(d, b, "the freed slot is reused");
        assert_eq!(q.pop_front(), Some(c));
        assert_eq!(q.back(), Some(d));
        q.remove(a);
        q.remove(c);
        assert_eq!(q.pop_front(), Some(d));
        assert!(q.is_empty());
        assert_eq!(q.front(), None);
    }
}
