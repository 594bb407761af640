//! `tokio::sync::RwLock`: a FIFO semaphore of `max_readers` permits; a reader takes one, a
//! writer takes them all, so a queued writer holds back readers that arrive after it.

use super::TryLockError;
use super::sem::Sem;
use super::semaphore::Acquire;
use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

const MAX_READS: u32 = u32::MAX >> 3;

/// A fair async reader-writer lock: lockers are served in arrival order, and a writer waiting
/// at the head keeps later readers out, so writers never starve.
///
/// # Examples
/// ```
/// let lock = tokio::sync::RwLock::new(5);
/// futures::executor::block_on(async {
///     {
///         let (a, b) = (lock.read().await, lock.read().await);
///         assert_eq!(*a + *b, 10);
///     }
///     *lock.write().await += 1;
/// });
/// assert_eq!(lock.into_inner(), 6);
/// ```
pub struct RwLock<T: ?Sized> {
    max: u32,
    s: Sem,
    c: UnsafeCell<T>,
}

// SAFETY: the semaphore gives out either shared (`&T`, many readers: T: Sync) or exclusive
// (`&mut T`, one writer: T: Send) access, as `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// An unlocked lock holding `t`, admitting up to `u32::MAX >> 3` readers at once.
    pub fn new(t: T) -> Self {
        Self::const_with_max_readers(t, MAX_READS)
    }

    /// The same as [`new`](Self::new), usable in `static`s.
    pub const fn const_new(t: T) -> Self {
        Self::const_with_max_readers(t, MAX_READS)
    }

    /// A lock admitting at most `max_reads` readers at once. Panics if `max_reads` is 0 or
    /// above `u32::MAX >> 3`.
    pub fn with_max_readers(t: T, max_reads: u32) -> Self {
        Self::const_with_max_readers(t, max_reads)
    }

    /// The same as [`with_max_readers`](Self::with_max_readers), usable in `static`s.
    pub const fn const_with_max_readers(t: T, max_reads: u32) -> Self {
        assert!(
            max_reads != 0 && max_reads <= MAX_READS,
            "a RwLock's max_reads must be in 1..=u32::MAX >> 3"
        );
        RwLock {
            max: max_reads,
            s: Sem::new(max_reads as usize),
            c: UnsafeCell::new(t),
        }
    }

    /// The value, consuming the lock.
    pub fn into_inner(self) -> T {
        self.c.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    async fn acquire(&self, n: u32) {
        // The semaphore is never closed, so the acquire cannot fail.
        let _ = Acquire::new(&self.s, n as usize).await;
    }

    fn try_acquire(&self, n: u32) -> Result<(), TryLockError> {
        self.s.try_acquire(n as usize).map_err(|_| TryLockError(()))
    }

    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard {
            s: &self.s,
            permits: 1,
            data: self.c.get(),
            _p: PhantomData,
        }
    }

    fn write_guard(&self) -> RwLockWriteGuard<'_, T> {
        RwLockWriteGuard {
            s: &self.s,
            permits: self.max,
            data: self.c.get(),
            _p: PhantomData,
        }
    }

    /// Waits for shared access.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.acquire(1).await;
        self.read_guard()
    }

    /// Waits for exclusive access.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.acquire(self.max).await;
        self.write_guard()
    }

    /// Shared access if available now.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.try_acquire(1)?;
        Ok(self.read_guard())
    }

    /// Exclusive access if available now.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.try_acquire(self.max)?;
        Ok(self.write_guard())
    }

    /// Shared access from synchronous code, parking the thread. Panics inside a task.
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        super::block_on("block the thread on a RwLock", self.read())
    }

    /// Exclusive access from synchronous code, parking the thread. Panics inside a task.
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        super::block_on("block the thread on a RwLock", self.write())
    }

    /// [`read`](Self::read) for an `Arc<RwLock<T>>`; the guard owns the `Arc`.
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        self.acquire(1).await;
        OwnedRwLockReadGuard::new(self)
    }

    /// [`write`](Self::write) for an `Arc<RwLock<T>>`; the guard owns the `Arc`.
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        self.acquire(self.max).await;
        OwnedRwLockWriteGuard::new(self)
    }

    /// [`try_read`](Self::try_read) for an `Arc<RwLock<T>>`.
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.try_acquire(1)?;
        Ok(OwnedRwLockReadGuard::new(self))
    }

    /// [`try_write`](Self::try_write) for an `Arc<RwLock<T>>`.
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        self.try_acquire(self.max)?;
        Ok(OwnedRwLockWriteGuard::new(self))
    }

    /// The value, through `&mut self` (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.c.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(t: T) -> Self {
        RwLock::new(t)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(g) => d.field("data", &&*g),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Shared access to a [`RwLock`]'s value (or, after [`map`](Self::map), part of it).
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    s: &'a Sem,
    permits: u32,
    data: *const T,
    _p: PhantomData<&'a T>,
}

/// Exclusive access to a [`RwLock`]'s value.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    s: &'a Sem,
    permits: u32,
    data: *mut T,
    _p: PhantomData<&'a mut T>,
}

/// Exclusive access to part of a [`RwLock`]'s value, from [`RwLockWriteGuard::map`].
pub type RwLockMappedWriteGuard<'a, T> = RwLockWriteGuard<'a, T>;

/// Shared access to an `Arc<RwLock<T>>`'s value (or part of it, `U`).
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    data: *const U,
}

/// Exclusive access to an `Arc<RwLock<T>>`'s value (or part of it, `U`).
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct OwnedRwLockWriteGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    data: *mut U,
}

/// Exclusive access to part of an `Arc<RwLock<T>>`'s value, from
/// [`OwnedRwLockWriteGuard::map`].
pub type OwnedRwLockMappedWriteGuard<T, U = T> = OwnedRwLockWriteGuard<T, U>;

// SAFETY: a read guard is a `&T` (plus the semaphore it returns a permit to).
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: a write guard is a `&mut T`.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}
// SAFETY: a `&U` plus an `Arc` of the lock.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedRwLockReadGuard<T, U> {}
// SAFETY: a `&mut U` plus an `Arc` of the lock.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send for OwnedRwLockWriteGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockWriteGuard<T, U> {}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Narrows the guard to a part of the value.
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&T) -> &U) -> RwLockReadGuard<'a, U> {
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: the guard holds a read permit, so shared access is valid for 'a.
        let data = f(unsafe { &*this.data }) as *const U;
        RwLockReadGuard {
            s: this.s,
            permits: this.permits,
            data,
            _p: PhantomData,
        }
    }
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Narrows the guard if `f` returns `Some`; gives the guard back otherwise.
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<RwLockReadGuard<'a, U>, Self> {
        // SAFETY: the guard holds a read permit, so shared access is valid for 'a.
        let Some(data) = f(unsafe { &*this.data }).map(|u| u as *const U) else {
            return Err(this);
        };
        let this = std::mem::ManuallyDrop::new(this);
        Ok(RwLockReadGuard {
            s: this.s,
            permits: this.permits,
            data,
            _p: PhantomData,
        })
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Narrows the guard if `f` returns `Some`; gives the guard back otherwise.
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self> {
        // SAFETY: the guard holds every permit, so exclusive access is valid for 'a.
        let Some(data) = f(unsafe { &mut *this.data }).map(|u| u as *mut U) else {
            return Err(this);
        };
        let this = std::mem::ManuallyDrop::new(this);
        Ok(RwLockWriteGuard {
            s: this.s,
            permits: this.permits,
            data,
            _p: PhantomData,
        })
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Narrows the guard to a part of the value.
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&mut T) -> &mut U) -> RwLockMappedWriteGuard<'a, U> {
        let mut this = std::mem::ManuallyDrop::new(this);
        // SAFETY: the guard holds every permit, so exclusive access is valid for 'a.
        let data = f(unsafe { &mut *this.data }) as *mut U;
        RwLockWriteGuard {
            s: this.s,
            permits: this.permits,
            data,
            _p: PhantomData,
        }
    }

    /// Turns exclusive access into shared access without unlocking: waiting readers may enter.
    pub fn downgrade(this: Self) -> RwLockReadGuard<'a, T> {
        let this = std::mem::ManuallyDrop::new(this);
        // Keep one permit; return the rest, which admits queued readers in FIFO order.
        this.s.release(this.permits as usize - 1);
        RwLockReadGuard {
            s: this.s,
            permits: 1,
            data: this.data,
            _p: PhantomData,
        }
    }
}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    fn new(lock: Arc<RwLock<T>>) -> Self {
        let data = lock.c.get();
        OwnedRwLockReadGuard { lock, data }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// Narrows the guard to a part of the value.
    pub fn map<V: ?Sized>(this: Self, f: impl FnOnce(&U) -> &V) -> OwnedRwLockReadGuard<T, V> {
        // SAFETY: the guard holds a read permit.
        let data = f(unsafe { &*this.data }) as *const V;
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again; its `Arc` moves into the new guard.
        let lock = unsafe { std::ptr::read(&this.lock) };
        OwnedRwLockReadGuard { lock, data }
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    fn new(lock: Arc<RwLock<T>>) -> Self {
        let data = lock.c.get();
        OwnedRwLockWriteGuard { lock, data }
    }

    /// Turns exclusive access into shared access without unlocking.
    pub fn downgrade(this: Self) -> OwnedRwLockReadGuard<T> {
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again; its `Arc` moves into the new guard.
        let lock = unsafe { std::ptr::read(&this.lock) };
        lock.s.release(lock.max as usize - 1);
        OwnedRwLockReadGuard::new(lock)
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockWriteGuard<T, U> {
    /// Narrows the guard to a part of the value.
    pub fn map<V: ?Sized>(this: Self, f: impl FnOnce(&mut U) -> &mut V) -> OwnedRwLockWriteGuard<T, V> {
        // SAFETY: the guard holds every permit.
        let data = f(unsafe { &mut *this.data }) as *mut V;
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again; its `Arc` moves into the new guard.
        let lock = unsafe { std::ptr::read(&this.lock) };
        OwnedRwLockWriteGuard { lock, data }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds a read permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds every permit.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: the guard holds a read permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockWriteGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: the guard holds every permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: the guard holds every permit.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.s.release(self.permits as usize);
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.s.release(self.permits as usize);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(self.lock.max as usize);
    }
}

macro_rules! guard_debug {
    ($($ty:ty),*) => {$(
        impl<T: ?Sized + fmt::Debug> fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
    )*};
}
guard_debug!(RwLockReadGuard<'_, T>, RwLockWriteGuard<'_, T>);

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
