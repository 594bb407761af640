//! `tokio::sync::watch`: many senders publish the latest value; many receivers see changes.
//!
//! The value sits in a `std::sync::RwLock`; a version counter (bumped under the write lock)
//! tells a receiver whether it has seen the current value. Receivers wait on one
//! `event_listener::Event`, senders waiting for `closed()` on another.

use event_listener::Event;
use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, RwLock, RwLockReadGuard};

/// The errors of `watch`.
pub mod error {
    use std::fmt;

    /// [`Sender::send`](super::Sender::send) found no receiver; the value is given back.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// Every sender was dropped.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}
}

use error::{RecvError, SendError};

/// Set in `version` once every sender is gone; versions count in steps of 2.
const CLOSED: usize = 1;
/// A `seen` value no version equals (versions are even): "changed".
const UNSEEN: usize = usize::MAX;

struct Shared<T> {
    value: RwLock<T>,
    version: AtomicUsize,
    rx_count: AtomicUsize,
    tx_count: AtomicUsize,
    changed: Event,
    rx_gone: Event,
}

impl<T> Shared<T> {
    fn read(&self) -> RwLockReadGuard<'_, T> {
        self.value.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// A new watch channel holding `init`.
///
/// # Examples
/// ```
/// let (tx, mut rx) = tokio::sync::watch::channel("a");
/// tx.send("b").unwrap();
/// futures::executor::block_on(rx.changed()).unwrap();
/// assert_eq!(*rx.borrow_and_update(), "b");
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let tx = Sender::new(init);
    let rx = tx.subscribe();
    (tx, rx)
}

/// Publishes values to the receivers.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Sees the latest value and waits for changes.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    seen: usize,
}

/// A read lock on the channel's value; hold it briefly (it blocks senders).
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether this value had not been seen by the receiver when it was borrowed.
    pub fn has_changed(&self) -> bool {
        self.changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("value", &*self.borrow()).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("value", &*self.borrow())
            .finish()
    }
}

impl<T> Sender<T> {
    /// A sender with no receivers yet ([`subscribe`](Self::subscribe) makes them).
    pub fn new(init: T) -> Sender<T> {
        Sender {
            shared: Arc::new(Shared {
                value: RwLock::new(init),
                version: AtomicUsize::new(0),
                rx_count: AtomicUsize::new(0),
                tx_count: AtomicUsize::new(1),
                changed: Event::new(),
                rx_gone: Event::new(),
            }),
        }
    }

    /// Replaces the value and notifies receivers; fails (giving `value` back, storing nothing)
    /// if there are no receivers.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.receiver_count() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value whether or not anyone receives it; returns the old value.
    pub fn send_replace(&self, mut value: T) -> T {
        self.send_modify(|v| std::mem::swap(v, &mut value));
        value
    }

    /// Modifies the value in place and notifies receivers, even with none.
    pub fn send_modify(&self, f: impl FnOnce(&mut T)) {
        self.send_if_modified(|v| {
            f(v);
            true
        });
    }

    /// Modifies the value in place; notifies receivers only if `f` returns `true`.
    pub fn send_if_modified(&self, f: impl FnOnce(&mut T) -> bool) -> bool {
        {
            let mut v = self.shared.value.write().unwrap_or_else(|e| e.into_inner());
            if !f(&mut v) {
                return false;
            }
            self.shared.version.fetch_add(2, SeqCst);
        }
        self.shared.changed.notify(usize::MAX);
        true
    }

    /// The current value (not marking anything seen).
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
            changed: false,
        }
    }

    /// A new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.rx_count.fetch_add(1, SeqCst);
        Receiver {
            shared: self.shared.clone(),
            seen: self.shared.version.load(SeqCst) & !CLOSED,
        }
    }

    /// How many receivers exist.
    pub fn receiver_count(&self) -> usize {
        self.shared.rx_count.load(SeqCst)
    }

    /// How many senders exist.
    pub fn sender_count(&self) -> usize {
        self.shared.tx_count.load(SeqCst)
    }

    /// Whether every receiver was dropped.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is dropped.
    pub async fn closed(&self) {
        super::spend_budget().await;
        while !self.is_closed() {
            let l = self.shared.rx_gone.listen();
            if self.is_closed() {
                return;
            }
            l.await;
        }
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.tx_count.fetch_add(1, SeqCst);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T: Default> Default for Sender<T> {
    fn default() -> Self {
        Sender::new(T::default())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.tx_count.fetch_sub(1, SeqCst) == 1 {
            self.shared.version.fetch_or(CLOSED, SeqCst);
            self.shared.changed.notify(usize::MAX);
        }
    }
}

impl<T> Receiver<T> {
    /// The current value, leaving it unseen if it was.
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let changed = self.shared.version.load(SeqCst) & !CLOSED != self.seen;
        Ref { guard, changed }
    }

    /// The current value, marking it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let v = self.shared.version.load(SeqCst) & !CLOSED;
        let changed = v != self.seen;
        self.seen = v;
        Ref { guard, changed }
    }

    /// Whether a value not yet seen is present; `Err` once every sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let v = self.shared.version.load(SeqCst);
        if v & CLOSED != 0 {
            return Err(RecvError(()));
        }
        Ok(v != self.seen)
    }

    /// Marks the current value unseen.
    pub fn mark_changed(&mut self) {
        self.seen = UNSEEN;
    }

    /// Marks the current value seen.
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version.load(SeqCst) & !CLOSED;
    }

    /// Waits for a value not yet seen and marks it seen; `Err` if every sender is gone first.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        super::spend_budget().await;
        loop {
            if self.check()? {
                return Ok(());
            }
            let l = self.shared.changed.listen();
            if self.check()? {
                return Ok(());
            }
            l.await;
        }
    }

    fn check(&mut self) -> Result<bool, RecvError> {
        let v = self.shared.version.load(SeqCst);
        if v & !CLOSED != self.seen {
            self.seen = v & !CLOSED;
            return Ok(true);
        }
        if v & CLOSED != 0 {
            return Err(RecvError(()));
        }
        Ok(false)
    }

    /// Waits until `f` accepts the value (checking the current one first) and marks it seen.
    pub async fn wait_for(&mut self, mut f: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        loop {
            {
                let r = self.borrow_and_update();
                if f(&r) {
                    break;
                }
            }
            self.changed().await?;
        }
        Ok(self.borrow())
    }

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.rx_count.fetch_add(1, SeqCst);
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.rx_count.fetch_sub(1, SeqCst) == 1 {
            self.shared.rx_gone.notify(usize::MAX);
        }
    }
}
