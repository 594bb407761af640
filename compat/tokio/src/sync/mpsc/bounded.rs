//! The bounded channel: `channel(n)`, its ends and its permits.

use super::chan::Chan;
use super::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use crate::sync::sem::TryAcquire;
use crate::sync::semaphore::Acquire;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A bounded channel holding up to `buffer` messages; senders wait (or `try_send` fails with
/// `Full`) while it is full. Panics if `buffer` is 0, as tokio does.
///
/// # Examples
/// ```
/// let (tx, mut rx) = tokio::sync::mpsc::channel(1);
/// tx.try_send(1).unwrap();
/// assert!(tx.try_send(2).is_err()); // full
/// assert_eq!(rx.try_recv(), Ok(1));
/// assert_eq!(tx.capacity(), 1);
/// ```
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    let chan = Arc::new(Chan::new(Some(buffer)));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// Sends messages into a bounded channel; clone it for more producers.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// A sender that does not keep the channel open; [`upgrade`](WeakSender::upgrade) it to send.
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

/// Receives the messages of a bounded channel.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

/// One reserved slot: [`send`](Permit::send) fills it without waiting; dropping it frees it.
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

/// One reserved slot that owns its sender; [`send`](OwnedPermit::send) gives the sender back.
pub struct OwnedPermit<T> {
    chan: Option<Arc<Chan<T>>>,
}

/// `n` reserved slots from [`Sender::reserve_many`], yielded one [`Permit`] at a time; those
/// not taken are freed when it drops.
pub struct PermitIterator<'a, T> {
    chan: &'a Chan<T>,
    n: usize,
}

macro_rules! opaque_debug {
    ($($ty:ty),*) => {$(
        impl<T> fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }
    )*};
}
opaque_debug!(
    Sender<T>,
    WeakSender<T>,
    Receiver<T>,
    Permit<'_, T>,
    OwnedPermit<T>,
    PermitIterator<'_, T>
);

impl<T> Sender<T> {
    async fn acquire(&self, n: usize) -> Result<(), SendError<()>> {
        Acquire::new(&self.chan.sem, n).await.map_err(|_| SendError(()))
    }

    fn try_acquire(&self, n: usize) -> Result<(), TrySendError<()>> {
        match self.chan.sem.try_acquire(n) {
            Ok(()) => Ok(()),
            Err(TryAcquire::Closed) => Err(TrySendError::Closed(())),
            Err(TryAcquire::NoPermits) => Err(TrySendError::Full(())),
        }
    }

    /// Waits for a free slot, then sends. Fails, giving the value back, if the receiver is
    /// closed or dropped. Dropping the future gives up its place in line and loses the value.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.acquire(1).await.is_err() {
            return Err(SendError(value));
        }
        self.chan.send(value).map_err(|v| {
            self.chan.release_permits(1);
            SendError(v)
        })
    }

    /// Like [`send`](Self::send), but gives up (returning the value) if no slot frees within
    /// `timeout`. Uses the runtime's timer, so it must run inside a runtime.
    pub async fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        match gosched_executor::time::timeout(timeout, self.acquire(1)).await {
            Err(_elapsed) => Err(SendTimeoutError::Timeout(value)),
            Ok(Err(_closed)) => Err(SendTimeoutError::Closed(value)),
            Ok(Ok(())) => self.chan.send(value).map_err(|v| {
                self.chan.release_permits(1);
                SendTimeoutError::Closed(v)
            }),
        }
    }

    /// Sends if a slot is free now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.try_acquire(1) {
            Ok(()) => {}
            Err(TrySendError::Full(())) => return Err(TrySendError::Full(value)),
            Err(TrySendError::Closed(())) => return Err(TrySendError::Closed(value)),
        }
        self.chan.send(value).map_err(|v| {
            self.chan.release_permits(1);
            TrySendError::Closed(v)
        })
    }

    /// [`send`](Self::send) from synchronous code, parking the thread. Panics inside a task.
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::sync::block_on("block the thread on an mpsc sender", self.send(value))
    }

    /// Waits for a free slot and reserves it.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        self.acquire(1).await?;
        Ok(Permit { chan: &self.chan })
    }

    /// Waits for `n` free slots and reserves them together. Fails if the channel is closed or
    /// `n` exceeds [`max_capacity`](Self::max_capacity).
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        if n > self.max_capacity() {
            return Err(SendError(()));
        }
        self.acquire(n).await?;
        Ok(PermitIterator { chan: &self.chan, n })
    }

    /// Reserves a slot if one is free now.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        self.try_acquire(1)?;
        Ok(Permit { chan: &self.chan })
    }

    /// Reserves `n` slots if they are free now.
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        if n > self.max_capacity() {
            return Err(TrySendError::Full(()));
        }
        self.try_acquire(n)?;
        Ok(PermitIterator { chan: &self.chan, n })
    }

    /// [`reserve`](Self::reserve) consuming the sender, which the permit keeps.
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        self.acquire(1).await?;
        Ok(OwnedPermit {
            chan: Some(self.into_chan()),
        })
    }

    /// [`try_reserve`](Self::try_reserve) consuming the sender; gives it back on failure.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.try_acquire(1) {
            Ok(()) => Ok(OwnedPermit {
                chan: Some(self.into_chan()),
            }),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(self)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(self)),
        }
    }

    /// The channel, keeping this sender's count (for a permit that becomes the sender again).
    fn into_chan(self) -> Arc<Chan<T>> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; its `Arc` moves out exactly once.
        unsafe { std::ptr::read(&this.chan) }
    }

    /// Waits until the receiver closes or is dropped.
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Whether the receiver closed or was dropped.
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    /// The slots free now.
    pub fn capacity(&self) -> usize {
        self.chan.sem.available_permits()
    }

    /// The channel's size, as given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.chan.max_capacity()
    }

    /// A weak sender for this channel.
    pub fn downgrade(&self) -> WeakSender<T> {
        self.chan.add_weak();
        WeakSender {
            chan: self.chan.clone(),
        }
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// How many senders exist.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// How many weak senders exist.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> WeakSender<T> {
    /// A sender, unless every sender is already gone.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan.upgrade().then(|| Sender {
            chan: self.chan.clone(),
        })
    }

    /// How many senders exist.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// How many weak senders exist.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_weak();
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.chan.drop_weak();
    }
}

impl<T> Permit<'_, T> {
    /// Sends into the reserved slot (never waits). If the receiver is gone the value drops.
    pub fn send(self, value: T) {
        let this = std::mem::ManuallyDrop::new(self);
        this.chan.send_permitted(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release_permits(1);
    }
}

impl<T> OwnedPermit<T> {
    /// Sends into the reserved slot and gives the sender back.
    pub fn send(mut self, value: T) -> Sender<T> {
        let chan = self.chan.take().expect("OwnedPermit used twice");
        chan.send_permitted(value);
        Sender { chan }
    }

    /// Frees the slot unused and gives the sender back.
    pub fn release(mut self) -> Sender<T> {
        let chan = self.chan.take().expect("OwnedPermit used twice");
        chan.release_permits(1);
        Sender { chan }
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(chan) = self.chan.take() {
            chan.release_permits(1);
            drop(Sender { chan });
        }
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.n == 0 {
            return None;
        }
        self.n -= 1;
        Some(Permit { chan: self.chan })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.n, Some(self.n))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        if self.n > 0 {
            self.chan.release_permits(self.n);
        }
    }
}

impl<T> Receiver<T> {
    rx_methods!();

    /// The slots free now.
    pub fn capacity(&self) -> usize {
        self.chan.sem.available_permits()
    }

    /// The channel's size, as given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.chan.max_capacity()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
    }
}
