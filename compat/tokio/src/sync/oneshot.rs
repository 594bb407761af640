//! `tokio::sync::oneshot`: one value from one sender to one receiver.
//!
//! Lock-free: one atomic state word (`VALUE` sent, `TX_GONE` sender dropped unsent, `RX_CLOSED`
//! receiver closed or dropped), the value in a cell, and an `AtomicWaker` per end.
//!
//! Who touches the value: the sender writes it, then sets `VALUE` with a `fetch_or`. If that
//! `fetch_or` shows `RX_CLOSED` already set, the receiver closed first and will never read it:
//! the sender takes it back (`send` returns `Err`). Otherwise the value belongs to the receiver,
//! which reads it only after seeing `VALUE`, and after its own `close` only if that close saw
//! `VALUE` already set. Each end registers its waker and then re-reads the state, so a change
//! made in between is never missed (`loom_oneshot.rs` models both rules, with broken twins).

#[cfg(not(loom))]
use futures_util::task::AtomicWaker;
#[cfg(loom)]
use loom::{cell::UnsafeCell, future::AtomicWaker, sync::Arc, sync::atomic::AtomicUsize};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
#[cfg(not(loom))]
use std::sync::{Arc, atomic::AtomicUsize};
use std::task::{Context, Poll, Waker};

/// The errors of [`Receiver`].
pub mod error {
    use std::fmt;

    /// The sender was dropped without sending.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned nothing.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum TryRecvError {
        /// No value yet; the sender may still send.
        Empty,
        /// The sender was dropped without sending, or the value was already taken.
        Closed,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, TryRecvError};

const VALUE: usize = 1;
const TX_GONE: usize = 2;
const RX_CLOSED: usize = 4;

/// `std::cell::UnsafeCell` with loom's closure-based accessor.
#[cfg(not(loom))]
struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    fn new(t: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(t))
    }
    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Drops the waker stored in `w`, if any.
fn unregister(w: &AtomicWaker) {
    #[cfg(not(loom))]
    drop(w.take());
    #[cfg(loom)]
    drop(w.take_waker());
}

fn register(w: &AtomicWaker, waker: &Waker) {
    #[cfg(not(loom))]
    w.register(waker);
    #[cfg(loom)]
    w.register_by_ref(waker);
}

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: AtomicWaker,
    tx_waker: AtomicWaker,
    /// The loom models' broken twins: the ends skip the re-read after registering.
    #[cfg(loom)]
    broken: bool,
}

// SAFETY: the value cell is written by the sender before it publishes `VALUE` and read by the
// receiver only after it sees `VALUE` (module doc), so the two ends never touch it at once;
// `T` crosses threads, hence `T: Send`.
unsafe impl<T: Send> Sync for Inner<T> {}

impl<T> Inner<T> {
    /// Takes the value out of the cell.
    ///
    /// # Safety
    /// The caller owns the value by the module doc's rule (no other access can run).
    unsafe fn take_value(&self) -> Option<T> {
        // SAFETY: exclusive by the caller's contract.
        self.value.with_mut(|p| unsafe { (*p).take() })
    }

    fn registered_then_reread(&self, waker: &AtomicWaker, w: &Waker) -> usize {
        register(waker, w);
        #[cfg(loom)]
        if self.broken {
            return 0;
        }
        self.state.load(Acquire)
    }
}

/// A new oneshot channel.
///
/// # Examples
/// ```
/// let (tx, rx) = tokio::sync::oneshot::channel();
/// tx.send(3).unwrap();
/// assert_eq!(futures::executor::block_on(rx), Ok(3));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    new_channel(false)
}

/// The loom models' broken channel (see `Inner::broken`).
#[cfg(loom)]
pub(crate) fn broken_channel<T>() -> (Sender<T>, Receiver<T>) {
    new_channel(true)
}

fn new_channel<T>(_broken: bool) -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: AtomicWaker::new(),
        tx_waker: AtomicWaker::new(),
        #[cfg(loom)]
        broken: _broken,
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver {
            inner: Some(inner),
            value_before_close: false,
        },
    )
}

/// Sends the channel's one value.
pub struct Sender<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// Receives the channel's value: `.await` it, or [`try_recv`](Receiver::try_recv).
pub struct Receiver<T> {
    inner: Option<Arc<Inner<T>>>,
    /// This receiver's `close` found the value already sent, so it may still take it.
    value_before_close: bool,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

impl<T> Sender<T> {
    /// Sends `t`; gives it back if the receiver is closed or dropped.
    pub fn send(mut self, t: T) -> Result<(), T> {
        let inner = self.inner.take().expect("oneshot sender used after send");
        if inner.state.load(Acquire) & RX_CLOSED != 0 {
            return Err(t);
        }
        // SAFETY: `VALUE` is not yet set, so the receiver does not read the cell.
        inner.value.with_mut(|p| unsafe { *p = Some(t) });
        let prev = inner.state.fetch_or(VALUE, AcqRel);
        if prev & RX_CLOSED != 0 {
            // SAFETY: the receiver closed before `VALUE` was set, so it never reads the value.
            let t = unsafe { inner.take_value() };
            return Err(t.expect("oneshot: the value just written"));
        }
        inner.rx_waker.wake();
        Ok(())
    }

    /// Waits until the receiver is closed or dropped.
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Whether the receiver is closed or dropped.
    pub fn is_closed(&self) -> bool {
        self.inner
            .as_ref()
            .is_none_or(|i| i.state.load(Acquire) & RX_CLOSED != 0)
    }

    /// `Ready` once the receiver is closed or dropped; otherwise registers the task.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let coop = std::task::ready!(super::poll_budget(cx));
        super::progress(coop, self.poll_closed_now(cx))
    }

    fn poll_closed_now(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(inner) = &self.inner else {
            return Poll::Ready(());
        };
        if inner.state.load(Acquire) & RX_CLOSED != 0 {
            return Poll::Ready(());
        }
        if inner.registered_then_reread(&inner.tx_waker, cx.waker()) & RX_CLOSED != 0 {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else { return };
        inner.state.fetch_or(TX_GONE, AcqRel);
        inner.rx_waker.wake();
        unregister(&inner.tx_waker);
    }
}

impl<T> Receiver<T> {
    /// Stops the sender from sending (its [`closed`](Sender::closed) completes); a value sent
    /// before can still be received.
    pub fn close(&mut self) {
        let Some(inner) = &self.inner else { return };
        let prev = inner.state.fetch_or(RX_CLOSED, AcqRel);
        if prev & RX_CLOSED == 0 {
            self.value_before_close = prev & VALUE != 0;
            inner.tx_waker.wake();
        }
    }

    /// What `state` allows: the value, the end, or nothing yet.
    fn check(&mut self, state: usize) -> Option<Result<T, RecvError>> {
        let inner = self.inner.as_ref()?;
        let closed = state & RX_CLOSED != 0;
        if state & VALUE != 0 && (!closed || self.value_before_close) {
            // SAFETY: the value was published (`VALUE`) before any close of ours, so the
            // sender no longer touches it and only this receiver takes it, once (`inner` is
            // cleared below).
            let v = unsafe { inner.take_value() };
            self.inner = None;
            return Some(v.ok_or(RecvError(())));
        }
        if state & (TX_GONE | RX_CLOSED) != 0 {
            self.inner = None;
            return Some(Err(RecvError(())));
        }
        None
    }

    /// The value if it was sent; `Empty` if it may still come; `Closed` if it never will.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = &self.inner else {
            return Err(TryRecvError::Closed);
        };
        let state = inner.state.load(Acquire);
        match self.check(state) {
            Some(Ok(v)) => Ok(v),
            Some(Err(_)) => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Waits for the value from synchronous code, parking the thread. Panics inside a task.
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        super::block_on("block the thread on a oneshot receiver", self)
    }

    /// Whether no value is waiting to be received.
    pub fn is_empty(&self) -> bool {
        self.inner
            .as_ref()
            .is_none_or(|i| i.state.load(Acquire) & VALUE == 0)
    }

    /// Whether the receiver has returned its value or can never get one.
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    fn poll_now(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let Some(inner) = &self.inner else {
            return Poll::Ready(Err(RecvError(())));
        };
        let state = inner.state.load(Acquire);
        if let Some(r) = self.check(state) {
            return Poll::Ready(r);
        }
        let inner = self.inner.as_ref().expect("checked above");
        let state = inner.registered_then_reread(&inner.rx_waker, cx.waker());
        match self.check(state) {
            Some(r) => Poll::Ready(r),
            None => Poll::Pending,
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = std::task::ready!(super::poll_budget(cx));
        super::progress(coop, this.poll_now(cx))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // The value, if any, drops with the last `Arc` (the sender's `send` has finished with
        // the cell once it returned, and a later sender sees `RX_CLOSED` and keeps its value).
        self.close();
        if let Some(inner) = &self.inner {
            unregister(&inner.rx_waker);
        }
    }
}
