//! Go's `gFree` for task cells: freed cells kept by size class for the next spawn.
//!
//! Go keeps the Gs that exited on a per-P list (`p.gFree`, at most 64; `gfput` moves half to
//! the global `sched.gFree` when it fills, `gfget` refills 32 from it when it is empty) and
//! reuses one of the right stack size at the next `go`. A Rust task is one allocation whose
//! size depends on the future's type, so here a cell's [`Layout`] is rounded up to a
//! [`SIZE_CLASS`] multiple, every cell of a class is allocated with the class's layout, and
//! each class has its own list. Cells larger than [`MAX_CACHED`] or aligned above [`ALIGN`]
//! always go to the allocator with their exact layout.
//!
//! # Who owns a cache
//! Alloc and free happen inside polls, where the M may not touch its P (sched/mod.rs,
//! "Who owns a P while a task is being polled"), so the local list lives on the M
//! (`WorkerCx::gfree`, reached through the thread's worker context) and is used only while
//! the M holds a P: `acquirep` attaches it (it then publishes its length in that P's
//! `gfreecnt`, what schedtrace prints), `releasep` detaches it and moves its cells to the
//! global list. Only the M's own thread touches the local list, so it needs no atomics; the
//! global list is a `Mutex`. Frees off an M (the `block_on` thread, blocking-pool and pinned
//! threads), or on an M without a P, go to the allocator.
//!
//! The lists are intrusive: a free cell's first word points to the next free cell of its
//! class.

use crate::loom::atomic::{AtomicU32, Ordering};
use std::alloc::{self, Layout};
use std::cell::Cell;
use std::ptr::{self, NonNull};
use std::sync::Mutex;

/// Cell sizes are rounded up to a multiple of this (one cache line).
pub(crate) const SIZE_CLASS: usize = 64;
/// Size classes: cells up to `CLASSES * SIZE_CLASS` bytes are cached.
const CLASSES: usize = 16;
/// The largest cached cell.
pub(crate) const MAX_CACHED: usize = CLASSES * SIZE_CLASS;
/// Alignment of every cached cell: malloc's own (x86-64, aarch64), so the allocator's fast
/// path serves the cells the cache does not hold. Cells aligned above it are not cached.
pub(crate) const ALIGN: usize = 16;
/// Cells a local list holds, over all classes (Go's 64 in `gfput`).
pub(crate) const LOCAL_MAX: u32 = 64;
/// Cells moved between a local and the global list at a time (Go's half of 64, and
/// `gfget`'s refill of 32).
const BATCH: u32 = LOCAL_MAX / 2;
/// Cells the global list holds per class; beyond it frees go to the allocator. Go's global
/// list is unbounded (its Gs are never freed); ours would keep the peak of every burst of
/// spawns forever, so it stops at a few batches. Picked, not measured.
pub(crate) const GLOBAL_MAX: u32 = 8 * BATCH;

/// A free cell: its first word links to the next free cell of the same class.
struct Free {
    next: *mut Free,
}

/// The size class of `layout`, if it is cached.
#[inline]
fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > ALIGN || layout.size() > MAX_CACHED {
        return None;
    }
    // Every cell holds a `Header`, so `size > 0` and the class is at least 0.
    Some(layout.size().max(1).div_ceil(SIZE_CLASS) - 1)
}

/// The layout every cell of class `class` is allocated with.
#[inline]
fn class_layout(class: usize) -> Layout {
    debug_assert!(class < CLASSES);
    // Sizes are multiples of 64 up to 1 KiB, aligned 16: always a valid layout.
    match Layout::from_size_align((class + 1) * SIZE_CLASS, ALIGN) {
        Ok(layout) => layout,
        Err(_) => unreachable!("size classes are valid layouts"),
    }
}

/// The layout a cell of `layout` is really allocated with (its class's, or its own).
#[inline]
fn real_layout(layout: Layout) -> Layout {
    class_of(layout).map_or(layout, class_layout)
}

/// Allocates a cell for `layout` from the allocator (the class's layout if it is cached).
#[inline(never)]
fn alloc_fresh(layout: Layout) -> NonNull<u8> {
    let real = real_layout(layout);
    // SAFETY: `real` has a non-zero size (a cell holds a `Header`).
    let ptr = unsafe { alloc::alloc(real) };
    NonNull::new(ptr).unwrap_or_else(|| alloc::handle_alloc_error(real))
}

/// Frees a cell of `layout` to the allocator.
///
/// # Safety
/// `ptr` came from [`alloc_cell`] (or a [`GFree`]) with the same `layout`, and nobody uses it
/// any more.
#[inline(never)]
unsafe fn free_fresh(ptr: NonNull<u8>, layout: Layout) {
    // SAFETY: from the caller; every cell of `layout` is allocated with `real_layout(layout)`.
    unsafe { alloc::dealloc(ptr.as_ptr(), real_layout(layout)) }
}

/// One intrusive list of free cells of one class.
#[derive(Clone, Copy)]
struct List {
    head: *mut Free,
    len: u32,
}

impl List {
    const EMPTY: List = List {
        head: ptr::null_mut(),
        len: 0,
    };

    /// # Safety
    /// `cell` is a free cell of this list's class that nothing else uses.
    unsafe fn push(&mut self, cell: NonNull<u8>) {
        let cell = cell.cast::<Free>().as_ptr();
        // SAFETY: from the caller: the cell is ours, at least `SIZE_CLASS` bytes and aligned
        // `ALIGN`, so a pointer fits at its start.
        unsafe { cell.write(Free { next: self.head }) };
        self.head = cell;
        self.len += 1;
    }

    fn pop(&mut self) -> Option<NonNull<u8>> {
        let cell = NonNull::new(self.head)?;
        // SAFETY: every cell on the list was written by `push` and is owned by the list.
        self.head = unsafe { cell.as_ref().next };
        self.len -= 1;
        Some(cell.cast())
    }

    /// Frees every cell of the list (of class `class`) to the allocator.
    fn free_all(&mut self, class: usize) {
        while let Some(cell) = self.pop() {
            // SAFETY: a listed cell of `class` was allocated with `class_layout(class)`.
            unsafe { alloc::dealloc(cell.as_ptr(), class_layout(class)) };
        }
    }
}

/// The global list (Go's `sched.gFree`): cells a local list spilled, for any M to refill from.
///
/// A std `Mutex`, not the loom shim's: the list is no part of a lock-free protocol, and the
/// process-wide static needs a `const` constructor.
///
/// # Fields
/// - `lists`: under the lock.
/// - `nonempty`: bit `c` set while class `c`'s list holds cells; written under the lock, read
///   without it as a hint (Go's `gfget` looks at `sched.gFree` before locking too). A stale
///   bit only costs a refill that finds nothing or a spawn that goes to the allocator.
pub(crate) struct GlobalFree {
    lists: Mutex<[List; CLASSES]>,
    nonempty: std::sync::atomic::AtomicU32,
}

// SAFETY: the lists hold raw pointers to free cells that no thread uses; the `Mutex` orders
// every access to them, and a cell leaves the list to exactly one taker.
unsafe impl Send for GlobalFree {}
// SAFETY: as above.
unsafe impl Sync for GlobalFree {}

impl GlobalFree {
    pub(crate) const fn new() -> GlobalFree {
        GlobalFree {
            lists: Mutex::new([List::EMPTY; CLASSES]),
            nonempty: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// Whether class `class` may hold cells (the hint: `nonempty`).
    #[inline]
    fn may_hold(&self, class: usize) -> bool {
        // Relaxed: a hint; the lock orders the lists themselves.
        self.nonempty.load(std::sync::atomic::Ordering::Relaxed) & (1 << class) != 0
    }

    /// Updates the hint from `lists`. Caller holds the lock.
    fn mark(&self, lists: &[List; CLASSES]) {
        let bits = (0..CLASSES)
            .filter(|&c| lists[c].len > 0)
            .fold(0, |b, c| b | 1 << c);
        // Relaxed: written under the lock, read as a hint (`may_hold`).
        self.nonempty.store(bits, std::sync::atomic::Ordering::Relaxed);
    }

    /// Cells held of class `class` (tests).
    #[cfg(test)]
    fn len(&self, class: usize) -> u32 {
        self.lists.lock().unwrap_or_else(|e| e.into_inner())[class].len
    }
}

impl Drop for GlobalFree {
    fn drop(&mut self) {
        let lists = self.lists.get_mut().unwrap_or_else(|e| e.into_inner());
        for (class, list) in lists.iter_mut().enumerate() {
            list.free_all(class);
        }
    }
}

/// The process's global list. Cells are memory, not a runtime's: every runtime shares it.
static GLOBAL: GlobalFree = GlobalFree::new();

/// An M's local list (module header: used only while the M holds a P).
///
/// # Fields
/// All `Cell`s: only the M's own thread touches them. No method calls out to user code, so
/// no access nests inside another.
/// - `lists`: the free cells, by class; `len` counts them over all classes (≤ `LOCAL_MAX`).
/// - `count`: the `gfreecnt` of the P the M holds (null while detached: the M holds no P).
///   Written (Relaxed) by this M only; schedtrace reads it.
pub(crate) struct GFree {
    lists: [Cell<List>; CLASSES],
    len: Cell<u32>,
    count: Cell<*const AtomicU32>,
}

impl Default for GFree {
    fn default() -> Self {
        GFree::new()
    }
}

impl GFree {
    pub(crate) const fn new() -> GFree {
        GFree {
            lists: [const { Cell::new(List::EMPTY) }; CLASSES],
            len: Cell::new(0),
            count: Cell::new(ptr::null()),
        }
    }

    /// The M took a P whose `gfreecnt` is `count` (Go's `acquirep`): the list is in use.
    ///
    /// # Safety
    /// `count` outlives this `GFree`'s use of it: until [`detach`](Self::detach) or drop.
    pub(crate) unsafe fn attach(&self, count: &AtomicU32) {
        self.count.set(count);
        self.publish();
    }

    /// The M gave up its P (Go's `releasep`): the cells go to `global`, and the list is out of
    /// use until the next `attach`.
    pub(crate) fn detach(&self, global: &GlobalFree) {
        self.spill(global, self.len.get());
        self.publish();
        self.count.set(ptr::null());
    }

    /// Whether the M holds a P (the list is in use).
    #[inline]
    fn attached(&self) -> bool {
        !self.count.get().is_null()
    }

    /// The length as `gfreecnt` shows it.
    #[inline]
    fn publish(&self) {
        // SAFETY: non-null only between `attach` and `detach`, whose caller keeps it alive.
        if let Some(count) = unsafe { self.count.get().as_ref() } {
            // Relaxed: a diagnostic number; schedtrace may print a stale one.
            count.store(self.len.get(), Ordering::Relaxed);
        }
    }

    /// A cell for `layout`: a free one of its class (refilled from `global` when the local
    /// list of that class is empty), else `None`.
    #[inline]
    fn get(&self, layout: Layout, global: &GlobalFree) -> Option<NonNull<u8>> {
        if !self.attached() {
            return None;
        }
        let class = class_of(layout)?;
        let slot = &self.lists[class];
        let mut list = slot.get();
        if list.len == 0 && global.may_hold(class) {
            self.refill(&mut list, class, global);
        }
        let cell = list.pop();
        slot.set(list);
        if cell.is_some() {
            self.len.set(self.len.get() - 1);
            self.publish();
        }
        cell
    }

    /// Moves up to `BATCH` cells of `class` from `global` into `list` (Go's `gfget`).
    #[cold]
    fn refill(&self, list: &mut List, class: usize, global: &GlobalFree) {
        let room = LOCAL_MAX - self.len.get();
        let mut g = global.lists.lock().unwrap_or_else(|e| e.into_inner());
        let mut moved = 0;
        while moved < BATCH.min(room) {
            let Some(cell) = g[class].pop() else { break };
            // SAFETY: the cell left the global list to us; it is of `class`.
            unsafe { list.push(cell) };
            moved += 1;
        }
        global.mark(&g);
        drop(g);
        self.len.set(self.len.get() + moved);
    }

    /// Keeps a freed cell of `layout`, or gives it back: `Err` when it is not cached here
    /// (the caller frees it to the allocator).
    ///
    /// # Safety
    /// `cell` was allocated for `layout` by [`alloc_cell`] and nobody uses it any more.
    #[inline]
    unsafe fn put(&self, cell: NonNull<u8>, layout: Layout, global: &GlobalFree) -> Result<(), NonNull<u8>> {
        let Some(class) = class_of(layout).filter(|_| self.attached()) else {
            return Err(cell);
        };
        if self.len.get() >= LOCAL_MAX {
            // Go's `gfput`: move half to the global list.
            self.spill(global, BATCH);
        }
        let slot = &self.lists[class];
        let mut list = slot.get();
        // SAFETY: from the caller; a cached layout's cell has its class's layout.
        unsafe { list.push(cell) };
        slot.set(list);
        self.len.set(self.len.get() + 1);
        self.publish();
        Ok(())
    }

    /// Moves `n` cells to `global`, the longest classes first; what the global list has no
    /// room for goes to the allocator.
    #[cold]
    fn spill(&self, global: &GlobalFree, n: u32) {
        if n == 0 {
            return;
        }
        let mut g = global.lists.lock().unwrap_or_else(|e| e.into_inner());
        let mut left = n;
        while left > 0 {
            let longest = (0..CLASSES).max_by_key(|&c| self.lists[c].get().len);
            let Some(class) = longest.filter(|&c| self.lists[c].get().len > 0) else {
                break;
            };
            let mut list = self.lists[class].get();
            while left > 0 {
                let Some(cell) = list.pop() else { break };
                left -= 1;
                if g[class].len < GLOBAL_MAX {
                    // SAFETY: the cell left our list; it is of `class`.
                    unsafe { g[class].push(cell) };
                } else {
                    // SAFETY: a cell of `class` was allocated with `class_layout(class)`.
                    unsafe { alloc::dealloc(cell.as_ptr(), class_layout(class)) };
                }
            }
            self.lists[class].set(list);
        }
        global.mark(&g);
        drop(g);
        self.len.set(self.len.get() - (n - left));
    }

    /// Cells held (tests).
    #[cfg(test)]
    fn len(&self) -> u32 {
        self.len.get()
    }
}

impl Drop for GFree {
    fn drop(&mut self) {
        for (class, slot) in self.lists.iter_mut().enumerate() {
            slot.get_mut().free_all(class);
        }
    }
}

/// Allocates a task cell for `layout`: from this M's local list when it holds a P, else from
/// the allocator.
#[inline]
pub(crate) fn alloc_cell(layout: Layout) -> NonNull<u8> {
    if let Some(cell) =
        crate::sched::context::with_worker(|cx| cx.and_then(|cx| cx.gfree.get(layout, &GLOBAL)))
    {
        return cell;
    }
    alloc_fresh(layout)
}

/// Frees a task cell of `layout`: to this M's local list when it holds a P, else to the
/// allocator.
///
/// # Safety
/// `cell` came from [`alloc_cell`] with the same `layout`, its contents are dropped, and
/// nobody uses it any more.
#[inline]
pub(crate) unsafe fn free_cell(cell: NonNull<u8>, layout: Layout) {
    let cell = match crate::sched::context::with_worker(|cx| match cx {
        // SAFETY: from the caller.
        Some(cx) => unsafe { cx.gfree.put(cell, layout, &GLOBAL) },
        None => Err(cell),
    }) {
        Ok(()) => return,
        Err(cell) => cell,
    };
    // SAFETY: from the caller.
    unsafe { free_fresh(cell, layout) }
}

/// The process's global list (for `releasep`'s detach).
pub(crate) fn global() -> &'static GlobalFree {
    &GLOBAL
}

#[cfg(test)]
mod tests;
