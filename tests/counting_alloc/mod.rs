//! The system allocator, counting the bytes allocated by threads marked with `COUNT_HERE` (a
//! server runtime's worker threads, marked by its `on_thread_start`), so a test sees the
//! server's memory and not the other tests' or the client's (`tests/http_memory.rs`: what a
//! connection costs).
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

pub static SERVER_BYTES: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    pub static COUNT_HERE: Cell<bool> = const { Cell::new(false) };
}

fn counted(delta: isize) {
    if COUNT_HERE.try_with(Cell::get).unwrap_or(false) {
        SERVER_BYTES.fetch_add(delta, Ordering::Relaxed);
    }
}

// SAFETY: forwards to `System`, which upholds the `GlobalAlloc` contract; the counter has no
// effect on the memory handed out (and `counted` does not allocate).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            counted(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { System.dealloc(ptr, layout) };
        counted(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded from the caller.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            counted(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;
