//! `tokio::sync::broadcast`: every receiver sees every value sent after it subscribed, from a
//! ring of `capacity` slots under one `std::sync::Mutex`; a receiver that falls more than
//! `capacity` behind gets `Lagged(n)` and skips to the oldest kept value.

use event_listener::Event;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

/// The errors of `broadcast`.
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

    /// Why [`Receiver::recv`](super::Receiver::recv) returned no value.
    #[derive(Debug, PartialEq, Eq, Clone)]
    pub enum RecvError {
        /// Every sender is gone and every value was received.
        Closed,
        /// The receiver fell behind: this many values were dropped before it saw them.
        Lagged(u64),
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                RecvError::Closed => f.write_str("channel closed"),
                RecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }

    impl std::error::Error for RecvError {}

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
    #[derive(Debug, PartialEq, Eq, Clone)]
    pub enum TryRecvError {
        /// Nothing new yet.
        Empty,
        /// Every sender is gone and every value was received.
        Closed,
        /// The receiver fell behind by this many values.
        Lagged(u64),
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
                TryRecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, SendError, TryRecvError};

struct Slot<T> {
    /// How many receivers still have to read it; the value is dropped at zero.
    left: usize,
    value: Option<T>,
}

struct State<T> {
    ring: VecDeque<Slot<T>>,
    /// The position of `ring[0]`.
    head: u64,
    cap: usize,
    rx_count: usize,
    tx_count: usize,
}

impl<T> State<T> {
    fn tail(&self) -> u64 {
        self.head + self.ring.len() as u64
    }
}

struct Shared<T> {
    state: Mutex<State<T>>,
    sent: Event,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A new broadcast channel keeping the last `capacity` values (rounded up to a power of two,
/// as tokio does). Panics if `capacity` is 0 or above `usize::MAX / 2`.
///
/// # Examples
/// ```
/// let (tx, mut rx) = tokio::sync::broadcast::channel(4);
/// tx.send(1).unwrap();
/// assert_eq!(futures::executor::block_on(rx.recv()), Ok(1));
/// ```
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let tx = Sender::new(capacity);
    let rx = tx.subscribe();
    (tx, rx)
}

/// Sends values to every receiver.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Receives every value sent after it subscribed.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    next: u64,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("next", &self.next).finish()
    }
}

impl<T> Sender<T> {
    /// A sender with no receivers yet; see [`channel`] for `capacity`.
    pub fn new(capacity: usize) -> Sender<T> {
        assert!(capacity > 0, "broadcast channel capacity cannot be zero");
        assert!(
            capacity <= usize::MAX >> 1,
            "broadcast channel capacity exceeded `usize::MAX / 2`"
        );
        let state = State {
            ring: VecDeque::new(),
            head: 0,
            cap: capacity.next_power_of_two(),
            rx_count: 0,
            tx_count: 1,
        };
        Sender {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                sent: Event::new(),
            }),
        }
    }

    /// Sends `value` to every current receiver; returns how many. Fails (giving it back) if
    /// there are none. Never waits: the oldest value is dropped when the ring is full.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut s = self.shared.lock();
        if s.rx_count == 0 {
            return Err(SendError(value));
        }
        // The value pushed out is dropped after the lock: its `Drop` may run any code.
        let mut evicted = None;
        if s.ring.len() == s.cap {
            evicted = s.ring.pop_front();
            s.head += 1;
        }
        let n = s.rx_count;
        s.ring.push_back(Slot {
            left: n,
            value: Some(value),
        });
        drop(s);
        drop(evicted);
        self.shared.sent.notify(usize::MAX);
        Ok(n)
    }

    /// A new receiver that sees values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut s = self.shared.lock();
        s.rx_count += 1;
        Receiver {
            shared: self.shared.clone(),
            next: s.tail(),
        }
    }

    /// How many receivers exist.
    pub fn receiver_count(&self) -> usize {
        self.shared.lock().rx_count
    }

    /// How many values some receiver has yet to read.
    pub fn len(&self) -> usize {
        self.shared.lock().ring.iter().filter(|s| s.left > 0).count()
    }

    /// Whether every receiver has read every value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().tx_count += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut s = self.shared.lock();
        s.tx_count -= 1;
        if s.tx_count == 0 {
            drop(s);
            self.shared.sent.notify(usize::MAX);
        }
    }
}

impl<T: Clone> Receiver<T> {
    /// Waits for the next value. `Lagged(n)` if `n` values were dropped before this receiver
    /// read them (the next call returns the oldest kept one); `Closed` once every sender is
    /// gone and everything was read. Dropping the future loses nothing.
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        super::spend_budget().await;
        loop {
            match self.try_recv() {
                Ok(v) => return Ok(v),
                Err(TryRecvError::Closed) => return Err(RecvError::Closed),
                Err(TryRecvError::Lagged(n)) => return Err(RecvError::Lagged(n)),
                Err(TryRecvError::Empty) => {}
            }
            let l = self.shared.sent.listen();
            if self.has_news() {
                continue;
            }
            l.await;
        }
    }

    /// Waits for the next value from synchronous code. Panics inside a task.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        super::block_on("block the thread on a broadcast receiver", self.recv())
    }
}

impl<T: Clone> Receiver<T> {
    /// The next value if there is one.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut s = self.shared.lock();
        if self.next < s.head {
            let n = s.head - self.next;
            self.next = s.head;
            return Err(TryRecvError::Lagged(n));
        }
        if self.next == s.tail() {
            return Err(if s.tx_count == 0 {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        let i = (self.next - s.head) as usize;
        self.next += 1;
        let slot = &mut s.ring[i];
        slot.left -= 1;
        let v = if slot.left == 0 {
            slot.value.take()
        } else {
            slot.value.clone()
        };
        Ok(v.expect("broadcast: a value taken before its last reader"))
    }
}

impl<T> Receiver<T> {
    fn has_news(&self) -> bool {
        let s = self.shared.lock();
        self.next != s.tail() || s.tx_count == 0
    }

    /// A new receiver that sees values sent from now on.
    pub fn resubscribe(&self) -> Self {
        let mut s = self.shared.lock();
        s.rx_count += 1;
        Receiver {
            shared: self.shared.clone(),
            next: s.tail(),
        }
    }

    /// How many values this receiver has yet to read (lagged ones included up to capacity).
    pub fn len(&self) -> usize {
        let s = self.shared.lock();
        (s.tail() - self.next.max(s.head)) as usize
    }

    /// Whether this receiver has read every value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().tx_count == 0
    }

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut s = self.shared.lock();
        s.rx_count -= 1;
        let from = self.next.max(s.head);
        let head = s.head;
        let mut last_reads = Vec::new();
        for p in from..s.tail() {
            let slot = &mut s.ring[(p - head) as usize];
            slot.left -= 1;
            if slot.left == 0 {
                last_reads.extend(slot.value.take());
            }
        }
        drop(s);
        drop(last_reads); // after the lock: a value's `Drop` may run any code
    }
}
