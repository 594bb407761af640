//! `tokio::sync::oneshot`: one value from one sender to one receiver.
//!
//! The channel is an `Arc` of a small `std::sync::Mutex`-protected state: the value, the two
//! ends' flags and each end's waker. Every operation takes the lock once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
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

struct State<T> {
    value: Option<T>,
    /// The sender sent or was dropped.
    tx_done: bool,
    /// The receiver closed or was dropped.
    rx_closed: bool,
    rx_waker: Option<Waker>,
    tx_waker: Option<Waker>,
}

type Inner<T> = Mutex<State<T>>;

fn lock<T>(inner: &Inner<T>) -> MutexGuard<'_, State<T>> {
    inner.lock().unwrap_or_else(|e| e.into_inner())
}

fn set_waker(slot: &mut Option<Waker>, w: &Waker) {
    match slot {
        Some(old) if old.will_wake(w) => {}
        _ => *slot = Some(w.clone()),
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
    let inner = Arc::new(Mutex::new(State {
        value: None,
        tx_done: false,
        rx_closed: false,
        rx_waker: None,
        tx_waker: None,
    }));
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver { inner: Some(inner) },
    )
}

/// Sends the channel's one value.
pub struct Sender<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// Receives the channel's value: `.await` it, or [`try_recv`](Receiver::try_recv).
pub struct Receiver<T> {
    inner: Option<Arc<Inner<T>>>,
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
        let mut s = lock(&inner);
        s.tx_done = true;
        if s.rx_closed {
            return Err(t);
        }
        s.value = Some(t);
        let w = s.rx_waker.take();
        drop(s);
        if let Some(w) = w {
            w.wake();
        }
        Ok(())
    }

    /// Waits until the receiver is closed or dropped.
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Whether the receiver is closed or dropped.
    pub fn is_closed(&self) -> bool {
        self.inner.as_ref().is_none_or(|i| lock(i).rx_closed)
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
        let mut s = lock(inner);
        if s.rx_closed {
            return Poll::Ready(());
        }
        set_waker(&mut s.tx_waker, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else { return };
        let mut s = lock(&inner);
        s.tx_done = true;
        let w = s.rx_waker.take();
        drop(s);
        if let Some(w) = w {
            w.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Stops the sender from sending (its [`closed`](Sender::closed) completes); a value sent
    /// before can still be received.
    pub fn close(&mut self) {
        let Some(inner) = &self.inner else { return };
        let mut s = lock(inner);
        s.rx_closed = true;
        let w = s.tx_waker.take();
        drop(s);
        if let Some(w) = w {
            w.wake();
        }
    }

    /// The value if it was sent; `Empty` if it may still come; `Closed` if it never will.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = &self.inner else {
            return Err(TryRecvError::Closed);
        };
        let mut s = lock(inner);
        if let Some(v) = s.value.take() {
            drop(s);
            self.inner = None;
            return Ok(v);
        }
        if s.tx_done || s.rx_closed {
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }

    /// Waits for the value from synchronous code, parking the thread. Panics inside a task.
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        super::block_on("block the thread on a oneshot receiver", self)
    }

    /// Whether no value is waiting to be received.
    pub fn is_empty(&self) -> bool {
        self.inner.as_ref().is_none_or(|i| lock(i).value.is_none())
    }

    /// Whether the receiver has returned its value or can never get one.
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
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

impl<T> Receiver<T> {
    fn poll_now(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let Some(inner) = &self.inner else {
            return Poll::Ready(Err(RecvError(())));
        };
        let mut s = lock(inner);
        if let Some(v) = s.value.take() {
            drop(s);
            self.inner = None;
            return Poll::Ready(Ok(v));
        }
        if s.tx_done || s.rx_closed {
            drop(s);
            self.inner = None;
            return Poll::Ready(Err(RecvError(())));
        }
        set_waker(&mut s.rx_waker, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
    }
}
