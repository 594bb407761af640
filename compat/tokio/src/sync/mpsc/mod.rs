//! `tokio::sync::mpsc`: multi-producer, single-consumer channels, bounded ([`channel`]) with
//! backpressure and permits, or unbounded ([`unbounded_channel`]).
//!
//! Messages arrive in the order they were sent (per sender). [`Receiver::close`] stops new
//! sends and lets the receiver drain what is buffered or reserved; when every sender is gone,
//! `recv` returns `None` after the buffer drains.

/// The receiving methods both flavours share (`$rx` has a `chan: Arc<Chan<T>>` field).
macro_rules! rx_methods {
    () => {
        /// Waits for the next message; `None` once the channel is closed (or every sender is
        /// gone) and the buffer is drained. Cancel-safe: dropping the future loses nothing.
        pub async fn recv(&mut self) -> Option<T> {
            let chan = &self.chan;
            super::chan::Recv::new(chan, |cx| chan.poll_recv(cx)).await
        }

        /// Waits for messages and moves up to `limit` of them into `buffer`; returns how many
        /// (0 only when `limit` is 0 or the channel is done).
        pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
            let chan = &self.chan;
            super::chan::Recv::new(chan, |cx| chan.poll_recv_into(cx, buffer, limit)).await
        }

        /// The next message if one is buffered.
        pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
            match self.chan.try_recv() {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(TryRecvError::Empty),
                Err(()) => Err(TryRecvError::Disconnected),
            }
        }

        /// [`recv`](Self::recv) from synchronous code, parking the thread. Panics inside a task.
        #[track_caller]
        pub fn blocking_recv(&mut self) -> Option<T> {
            crate::sync::block_on("block the thread on an mpsc receiver", self.recv())
        }

        /// [`recv_many`](Self::recv_many) from synchronous code. Panics inside a task.
        #[track_caller]
        pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
            crate::sync::block_on(
                "block the thread on an mpsc receiver",
                self.recv_many(buffer, limit),
            )
        }

        /// Stops new sends; what is buffered (and, bounded, what permits still send) can be
        /// received until `recv` returns `None`.
        pub fn close(&mut self) {
            self.chan.close();
        }

        /// Whether the channel is closed: [`close`](Self::close) was called or every sender
        /// is gone.
        pub fn is_closed(&self) -> bool {
            self.chan.is_closed()
        }

        /// Whether no message is buffered.
        pub fn is_empty(&self) -> bool {
            self.chan.len() == 0
        }

        /// How many messages are buffered.
        pub fn len(&self) -> usize {
            self.chan.len()
        }

        /// Polls for the next message, registering the task if there is none.
        pub fn poll_recv(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<T>> {
            self.chan.poll_recv(cx)
        }

        /// Polls for up to `limit` messages into `buffer`.
        pub fn poll_recv_many(
            &mut self,
            cx: &mut std::task::Context<'_>,
            buffer: &mut Vec<T>,
            limit: usize,
        ) -> std::task::Poll<usize> {
            self.chan.poll_recv_into(cx, buffer, limit)
        }

        /// How many senders exist.
        pub fn sender_strong_count(&self) -> usize {
            self.chan.strong_count()
        }

        /// How many weak senders exist.
        pub fn sender_weak_count(&self) -> usize {
            self.chan.weak_count()
        }
    };
}

mod bounded;
mod chan;
mod unbounded;

pub use bounded::{OwnedPermit, Permit, PermitIterator, Receiver, Sender, WeakSender, channel};
pub use unbounded::{UnboundedReceiver, UnboundedSender, WeakUnboundedSender, unbounded_channel};

/// The errors of `mpsc`.
pub mod error {
    use std::fmt;

    /// The receiver is closed or dropped; the value is given back.
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

    /// Why a `try_send`/`try_reserve` failed; the value is given back.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub enum TrySendError<T> {
        /// The channel is full.
        Full(T),
        /// The receiver is closed or dropped.
        Closed(T),
    }

    impl<T> TrySendError<T> {
        /// The value that was not sent.
        pub fn into_inner(self) -> T {
            match self {
                TrySendError::Full(t) | TrySendError::Closed(t) => t,
            }
        }
    }

    impl<T> fmt::Debug for TrySendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TrySendError::Full(_) => f.write_str("Full(..)"),
                TrySendError::Closed(_) => f.write_str("Closed(..)"),
            }
        }
    }

    impl<T> fmt::Display for TrySendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TrySendError::Full(_) => f.write_str("no available capacity"),
                TrySendError::Closed(_) => f.write_str("channel closed"),
            }
        }
    }

    impl<T> std::error::Error for TrySendError<T> {}

    impl<T> From<SendError<T>> for TrySendError<T> {
        fn from(e: SendError<T>) -> Self {
            TrySendError::Closed(e.0)
        }
    }

    /// Why [`Sender::send_timeout`](super::Sender::send_timeout) failed; the value is given back.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub enum SendTimeoutError<T> {
        /// No slot freed in time.
        Timeout(T),
        /// The receiver is closed or dropped.
        Closed(T),
    }

    impl<T> SendTimeoutError<T> {
        /// The value that was not sent.
        pub fn into_inner(self) -> T {
            match self {
                SendTimeoutError::Timeout(t) | SendTimeoutError::Closed(t) => t,
            }
        }
    }

    impl<T> fmt::Debug for SendTimeoutError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                SendTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
                SendTimeoutError::Closed(_) => f.write_str("Closed(..)"),
            }
        }
    }

    impl<T> fmt::Display for SendTimeoutError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                SendTimeoutError::Timeout(_) => f.write_str("timed out waiting on send operation"),
                SendTimeoutError::Closed(_) => f.write_str("channel closed"),
            }
        }
    }

    impl<T> std::error::Error for SendTimeoutError<T> {}

    /// Why `try_recv` returned nothing.
    #[derive(PartialEq, Eq, Clone, Copy, Debug)]
    pub enum TryRecvError {
        /// Nothing buffered now; more may come.
        Empty,
        /// Nothing buffered and nothing more will come.
        Disconnected,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("receiving on an empty channel"),
                TryRecvError::Disconnected => f.write_str("receiving on a closed channel"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}
