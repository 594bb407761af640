//! One place where the synchronisation primitives come from.
//!
//! Under `--cfg loom` every atomic, cell, `Arc`, `Mutex` and thread is loom's, so the models in
//! `src/tests/loom_*.rs` explore all interleavings of the real code. Elsewhere they are std's,
//! with an `UnsafeCell` wrapper that has loom's `with`/`with_mut` shape.

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::atomic;
    pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};

    /// `std::cell::UnsafeCell` with loom's closure-based accessors.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> UnsafeCell<T> {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    /// Spin-loop hint; under loom a yield so the model makes progress.
    #[inline(always)]
    pub(crate) fn spin_loop() {
        std::hint::spin_loop();
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic;
    pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
    // std's `Arc` even under loom: `self: &Arc<Self>` methods need a receiver type, which
    // loom's `Arc` is not, and no model shares a runtime's `Shared` through an `Arc`.
    pub(crate) use std::sync::Arc;

    pub(crate) fn spin_loop() {
        loom::thread::yield_now();
    }
}

pub(crate) use imp::*;
