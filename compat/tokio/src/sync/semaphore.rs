//! `tokio::sync::Semaphore` and its permits.

use super::sem::{MAX_PERMITS, Sem, TryAcquire};
use super::{AcquireError, TryAcquireError};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A counting semaphore: a pool of permits that tasks acquire asynchronously.
///
/// Acquires are served first come, first served: a task waiting for many permits (via
/// [`acquire_many`](Semaphore::acquire_many)) at the head of the queue is not overtaken by
/// later requests for fewer. Dropping an acquire future gives up its place in line, and permits
/// already set aside for it go to the next waiter.
///
/// # Examples
/// ```
/// use tokio::sync::Semaphore;
/// let sem = Semaphore::new(2);
/// let a = sem.try_acquire().unwrap();
/// let _b = sem.try_acquire().unwrap();
/// assert!(sem.try_acquire().is_err());
/// drop(a);
/// assert_eq!(sem.available_permits(), 1);
/// ```
pub struct Semaphore {
    pub(crate) sem: Sem,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .finish()
    }
}

/// The future of one acquire: holds the caller's place in line until it completes or drops.
pub(crate) struct Acquire<'a> {
    sem: &'a Sem,
    n: usize,
    key: Option<usize>,
}

impl<'a> Acquire<'a> {
    pub(crate) fn new(sem: &'a Sem, n: usize) -> Self {
        Acquire { sem, n, key: None }
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = std::task::ready!(super::poll_budget(cx));
        let poll = this.sem.poll_acquire(cx, this.n, &mut this.key);
        super::progress(coop, poll.map(|r| r.map_err(|()| AcquireError(()))))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.sem.cancel(&mut self.key);
    }
}

fn try_err(e: TryAcquire) -> TryAcquireError {
    match e {
        TryAcquire::Closed => TryAcquireError::Closed,
        TryAcquire::NoPermits => TryAcquireError::NoPermits,
    }
}

impl Semaphore {
    /// The largest number of permits a semaphore may hold (`usize::MAX >> 3`).
    pub const MAX_PERMITS: usize = MAX_PERMITS;

    /// A semaphore with `permits` permits. Panics if `permits` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS).
    pub fn new(permits: usize) -> Self {
        Semaphore {
            sem: Sem::new(permits),
        }
    }

    /// The same as [`new`](Self::new), usable in `static`s.
    pub const fn const_new(permits: usize) -> Self {
        Semaphore {
            sem: Sem::new(permits),
        }
    }

    /// A closed semaphore with no permits.
    pub fn new_closed() -> Self {
        Semaphore {
            sem: Sem::new_closed(0),
        }
    }

    /// A closed semaphore with no permits, usable in `static`s.
    pub const fn const_new_closed() -> Self {
        Semaphore {
            sem: Sem::new_closed(0),
        }
    }

    /// The permits free now.
    pub fn available_permits(&self) -> usize {
        self.sem.available_permits()
    }

    /// Adds `n` permits, handing them to waiters first. Panics if the total would exceed
    /// [`MAX_PERMITS`](Self::MAX_PERMITS).
    pub fn add_permits(&self, n: usize) {
        self.sem.release(n);
    }

    /// Removes up to `n` free permits for good; returns how many were removed.
    pub fn forget_permits(&self, n: usize) -> usize {
        self.sem.forget(n)
    }

    /// Waits for one permit. Fails only if the semaphore is closed.
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits, taken together. Fails only if the semaphore is closed.
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        Acquire::new(&self.sem, n as usize).await?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Takes one permit if one is free and nobody is queued ahead.
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free now.
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.sem.try_acquire(n as usize).map_err(try_err)?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// [`acquire`](Self::acquire) for an `Arc<Semaphore>`: the permit owns the `Arc`.
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// [`acquire_many`](Self::acquire_many) for an `Arc<Semaphore>`.
    pub async fn acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, AcquireError> {
        Acquire::new(&self.sem, n as usize).await?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// [`try_acquire`](Self::try_acquire) for an `Arc<Semaphore>`.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`try_acquire_many`](Self::try_acquire_many) for an `Arc<Semaphore>`.
    pub fn try_acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.sem.try_acquire(n as usize).map_err(try_err)?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Closes the semaphore: every waiting and later acquire fails with [`AcquireError`];
    /// permits already held stay valid.
    pub fn close(&self) {
        self.sem.close();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.sem.is_closed()
    }
}

/// Permits borrowed from a [`Semaphore`]; dropping it returns them.
#[must_use]
#[clippy::has_significant_drop]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: u32,
}

/// Permits from an `Arc<Semaphore>`; dropping it returns them.
#[must_use]
#[clippy::has_significant_drop]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: u32,
}

macro_rules! permit_methods {
    ($ty:ty, $same:expr) => {
        impl $ty {
            /// Keeps the permits out of the semaphore for good.
            pub fn forget(mut self) {
                self.permits = 0;
            }

            /// Adds `other`'s permits to this one. Panics if they come from different semaphores.
            pub fn merge(&mut self, mut other: Self) {
                assert!(
                    $same(&*self, &other),
                    "merging permits from different semaphores"
                );
                self.permits += other.permits;
                other.permits = 0;
            }

            /// Splits `n` permits off into a new permit; `None` if this one holds fewer than `n`.
            pub fn split(&mut self, n: usize) -> Option<Self> {
                let n = u32::try_from(n).ok()?;
                if n > self.permits {
                    return None;
                }
                self.permits -= n;
                Some(Self {
                    sem: self.sem.clone(),
                    permits: n,
                })
            }

            /// How many permits this holds.
            pub fn num_permits(&self) -> usize {
                self.permits as usize
            }
        }

        impl Drop for $ty {
            fn drop(&mut self) {
                self.sem.sem.release(self.permits as usize);
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("permits", &self.permits)
                    .finish()
            }
        }
    };
}

permit_methods!(
    SemaphorePermit<'_>,
    |a: &SemaphorePermit<'_>, b: &SemaphorePermit<'_>| std::ptr::eq(a.sem, b.sem)
);
permit_methods!(
    OwnedSemaphorePermit,
    |a: &OwnedSemaphorePermit, b: &OwnedSemaphorePermit| Arc::ptr_eq(&a.sem, &b.sem)
);

impl<'a> SemaphorePermit<'a> {
    /// The semaphore this permit came from.
    pub fn semaphore(&self) -> &'a Semaphore {
        self.sem
    }
}

impl OwnedSemaphorePermit {
    /// The semaphore this permit came from.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }
}
