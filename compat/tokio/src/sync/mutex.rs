//! `tokio::sync::Mutex`: a one-permit FIFO semaphore around an `UnsafeCell`.

use super::TryLockError;
use super::sem::Sem;
use super::semaphore::Acquire;
use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// An async mutex whose guard may be held across `.await`s.
///
/// Lockers are served first come, first served; dropping a `lock()` future gives up its place.
///
/// # Examples
/// ```
/// let m = tokio::sync::Mutex::new(1);
/// futures::executor::block_on(async {
///     *m.lock().await += 1;
/// });
/// assert_eq!(m.into_inner(), 2);
/// ```
pub struct Mutex<T: ?Sized> {
    s: Sem,
    c: UnsafeCell<T>,
}

// SAFETY: the semaphore hands the `UnsafeCell` to one guard at a time, so sharing the mutex
// only ever moves `T` between threads (T: Send), as `std::sync::Mutex` does.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above; `&Mutex` gives `&mut T` to one holder at a time.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// A held [`Mutex`]; unlocks on drop.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
    /// Shares like `&mut T`: `Send` needs `T: Send`, `Sync` needs `T: Sync`.
    _p: PhantomData<&'a mut T>,
}

/// A held `Arc<Mutex<T>>`; unlocks on drop.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
    /// Opts out of the auto traits; the impls below state them.
    _p: PhantomData<*mut T>,
}

/// A [`MutexGuard`] narrowed to part of the value by [`MutexGuard::map`].
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    s: &'a Sem,
    data: *mut T,
    _p: PhantomData<&'a mut T>,
}

/// An [`OwnedMutexGuard`] narrowed to part of the value by [`OwnedMutexGuard::map`].
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    data: *mut U,
    lock: Arc<Mutex<T>>,
}

// SAFETY: the guard is a `&mut T` into the locked value plus an `Arc` of the mutex.
unsafe impl<T: ?Sized + Send> Send for OwnedMutexGuard<T> {}
// SAFETY: as above; sharing the guard shares `&T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}
// SAFETY: a mapped guard is a `&mut U` into the locked value; it moves and shares as one.
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}
// SAFETY: as above; the `Arc` keeps the mutex (and so `data`) alive.
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `t`.
    pub fn new(t: T) -> Self {
        Mutex::const_new(t)
    }

    /// The same as [`new`](Self::new), usable in `static`s.
    pub const fn const_new(t: T) -> Self {
        Mutex {
            s: Sem::new(1),
            c: UnsafeCell::new(t),
        }
    }

    /// The value, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.c.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    async fn acquire(&self) {
        // The semaphore is never closed, so the acquire cannot fail.
        let _ = Acquire::new(&self.s, 1).await;
    }

    /// Waits for the lock, in FIFO order.
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.acquire().await;
        MutexGuard {
            lock: self,
            _p: PhantomData,
        }
    }

    /// Locks from synchronous code, parking the thread. Panics inside a task.
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        super::block_on("block the thread on a Mutex", self.lock())
    }

    /// [`blocking_lock`](Self::blocking_lock) for an `Arc<Mutex<T>>`.
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        super::block_on("block the thread on a Mutex", self.lock_owned())
    }

    /// Waits for the lock of an `Arc<Mutex<T>>`; the guard owns the `Arc`.
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.acquire().await;
        OwnedMutexGuard {
            lock: self,
            _p: PhantomData,
        }
    }

    /// Locks if nobody holds or waits for the lock.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.s.try_acquire(1) {
            Ok(()) => Ok(MutexGuard {
                lock: self,
                _p: PhantomData,
            }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// [`try_lock`](Self::try_lock) for an `Arc<Mutex<T>>`.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.s.try_acquire(1) {
            Ok(()) => Ok(OwnedMutexGuard {
                lock: self,
                _p: PhantomData,
            }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// The value, through `&mut self` (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.c.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(t: T) -> Self {
        Mutex::new(t)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(g) => d.field("data", &&*g),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Narrows the guard to a part of the value.
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&mut T) -> &mut U) -> MappedMutexGuard<'a, U> {
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: the guard holds the lock, so it has exclusive access to the value.
        let data = f(unsafe { &mut *this.lock.c.get() }) as *mut U;
        MappedMutexGuard {
            s: &this.lock.s,
            data,
            _p: PhantomData,
        }
    }

    /// Narrows the guard if `f` returns `Some`; gives the guard back otherwise.
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        // SAFETY: the guard holds the lock, so it has exclusive access to the value.
        let Some(data) = f(unsafe { &mut *this.lock.c.get() }).map(|u| u as *mut U) else {
            return Err(this);
        };
        let this = std::mem::ManuallyDrop::new(this);
        Ok(MappedMutexGuard {
            s: &this.lock.s,
            data,
            _p: PhantomData,
        })
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// Narrows the guard to a part of the value.
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&mut T) -> &mut U) -> OwnedMappedMutexGuard<T, U> {
        // SAFETY: the guard holds the lock, so it has exclusive access to the value.
        let data = f(unsafe { &mut *this.lock.c.get() }) as *mut U;
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again; its `Arc` moves into the new guard.
        let lock = unsafe { std::ptr::read(&this.lock) };
        OwnedMappedMutexGuard { data, lock }
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock.
        unsafe { &*self.lock.c.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock.
        unsafe { &mut *self.lock.c.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock.
        unsafe { &*self.lock.c.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock.
        unsafe { &mut *self.lock.c.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `data` points into the locked value, which this guard holds.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.s.release(1);
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: `data` points into the locked value, which this guard holds.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

macro_rules! guard_fmt {
    ($($ty:ty),*) => {$(
        impl<T: ?Sized + fmt::Debug> fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
        impl<T: ?Sized + fmt::Display> fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    )*};
}
guard_fmt!(MutexGuard<'_, T>, OwnedMutexGuard<T>, MappedMutexGuard<'_, T>);

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
