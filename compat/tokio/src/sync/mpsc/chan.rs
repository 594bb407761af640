//! The channel both `mpsc` flavours share: a `VecDeque` and the receiver's waker under one
//! `std::sync::Mutex`, sender counts in atomics, and (bounded) a FIFO semaphore of free slots.
//!
//! A bounded message holds one semaphore permit from `reserve`/`send` until the receiver takes
//! it out of the buffer, so `capacity()` is the free permits and a dropped permit or `reserve()`
//! future returns its slot. `close` marks the channel, closes the semaphore (waking waiting
//! senders with an error) and leaves the buffer to be drained.

use crate::sync::sem::Sem;
use event_listener::Event;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

struct Queue<T> {
    buf: VecDeque<T>,
    rx_waker: Option<Waker>,
    /// The receiver called `close` or was dropped.
    closed: bool,
    /// The receiver was dropped: messages sent now are dropped at once.
    rx_gone: bool,
}

/// A receive in progress: if it is dropped while it has a waker stored (a cancelled
/// `select!` branch), the waker is dropped with it rather than kept until the next send.
pub(crate) struct Recv<'a, T, F> {
    chan: &'a Chan<T>,
    poll: F,
    registered: bool,
}

impl<'a, T, F> Recv<'a, T, F> {
    pub(crate) fn new<R>(chan: &'a Chan<T>, poll: F) -> Self
    where
        F: FnMut(&mut Context<'_>) -> Poll<R>,
    {
        Recv {
            chan,
            poll,
            registered: false,
        }
    }
}

impl<T, R, F: FnMut(&mut Context<'_>) -> Poll<R> + Unpin> std::future::Future for Recv<'_, T, F> {
    type Output = R;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let this = self.get_mut();
        let p = (this.poll)(cx);
        // Pending stored the waker; every Ready path had it taken (by a send or the end).
        this.registered = p.is_pending();
        p
    }
}

impl<T, F> Drop for Recv<'_, T, F> {
    fn drop(&mut self) {
        if self.registered {
            let w = self.chan.lock().rx_waker.take();
            drop(w); // after the lock: a waker's drop may run any code
        }
    }
}

pub(crate) struct Chan<T> {
    q: Mutex<Queue<T>>,
    /// `None` for the unbounded channel.
    bound: Option<usize>,
    pub(crate) sem: Sem,
    tx_count: AtomicUsize,
    weak_count: AtomicUsize,
    /// Mirrors `Queue::closed` for lock-free `is_closed`.
    closed: AtomicBool,
    closed_event: Event,
}

impl<T> Chan<T> {
    pub(crate) fn new(bound: Option<usize>) -> Chan<T> {
        Chan {
            q: Mutex::new(Queue {
                buf: VecDeque::new(),
                rx_waker: None,
                closed: false,
                rx_gone: false,
            }),
            bound,
            sem: Sem::new(bound.unwrap_or(0)),
            tx_count: AtomicUsize::new(1),
            weak_count: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            closed_event: Event::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<T>> {
        self.q.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn max_capacity(&self) -> usize {
        self.bound.unwrap_or(usize::MAX)
    }

    /// Returns `n` slots (bounded) taken out of the buffer or never used.
    fn release(&self, n: usize) {
        if self.bound.is_some() {
            self.sem.release(n);
        }
    }

    /// Queues `t` unless the receiver closed; `Err(t)` then (a bounded caller returns its slot).
    pub(crate) fn send(&self, t: T) -> Result<(), T> {
        let mut q = self.lock();
        if q.closed {
            return Err(t);
        }
        q.buf.push_back(t);
        let w = q.rx_waker.take();
        drop(q);
        if let Some(w) = w {
            w.wake();
        }
        Ok(())
    }

    /// Sends through a reserved slot: allowed after `close` (the receiver drains it), dropped
    /// if the receiver is gone.
    pub(crate) fn send_permitted(&self, t: T) {
        let mut q = self.lock();
        if q.rx_gone {
            drop(q);
            self.release(1);
            return;
        }
        q.buf.push_back(t);
        let w = q.rx_waker.take();
        drop(q);
        if let Some(w) = w {
            w.wake();
        }
    }

    /// Returns `n` unused reserved slots; wakes the receiver if it may now see the end.
    pub(crate) fn release_permits(&self, n: usize) {
        self.release(n);
        if self.closed.load(SeqCst) {
            self.wake_rx();
        }
    }

    fn wake_rx(&self) {
        let w = self.lock().rx_waker.take();
        if let Some(w) = w {
            w.wake();
        }
    }

    /// Whether the receiver will get nothing more: no sender, or closed with no slot reserved.
    fn finished(&self, q: &Queue<T>) -> bool {
        self.tx_count.load(SeqCst) == 0
            || (q.closed && self.bound.is_none_or(|b| self.sem.available_permits() == b))
    }

    /// Takes up to `limit` messages into `out` (at least one, unless the channel is done).
    pub(crate) fn poll_recv_into(&self, cx: &mut Context<'_>, out: &mut Vec<T>, limit: usize) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let coop = std::task::ready!(crate::sync::poll_budget(cx));
        crate::sync::progress(coop, self.poll_recv_into_now(cx, out, limit))
    }

    fn poll_recv_into_now(&self, cx: &mut Context<'_>, out: &mut Vec<T>, limit: usize) -> Poll<usize> {
        let mut q = self.lock();
        let n = q.buf.len().min(limit);
        if n > 0 {
            out.extend(q.buf.drain(..n));
            drop(q);
            self.release(n);
            return Poll::Ready(n);
        }
        if self.finished(&q) {
            return Poll::Ready(0);
        }
        let old = match &mut q.rx_waker {
            Some(w) if w.will_wake(cx.waker()) => None,
            w => w.replace(cx.waker().clone()),
        };
        drop(q);
        drop(old);
        Poll::Pending
    }

    /// Takes one message: `Ready(Some)`, `Ready(None)` at the end, `Pending` registered.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let coop = std::task::ready!(crate::sync::poll_budget(cx));
        crate::sync::progress(coop, self.poll_recv_now(cx))
    }

    fn poll_recv_now(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut q = self.lock();
        if let Some(v) = q.buf.pop_front() {
            drop(q);
            self.release(1);
            return Poll::Ready(Some(v));
        }
        if self.finished(&q) {
            return Poll::Ready(None);
        }
        let old = match &mut q.rx_waker {
            Some(w) if w.will_wake(cx.waker()) => None,
            w => w.replace(cx.waker().clone()),
        };
        drop(q);
        drop(old);
        Poll::Pending
    }

    /// One message if there is one: `Ok(None)` if more may come, `Err(())` at the end.
    pub(crate) fn try_recv(&self) -> Result<Option<T>, ()> {
        let mut q = self.lock();
        if let Some(v) = q.buf.pop_front() {
            drop(q);
            self.release(1);
            return Ok(Some(v));
        }
        if self.finished(&q) {
            return Err(());
        }
        Ok(None)
    }

    /// The receiver's `close`: no new sends; buffered and reserved messages still arrive.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.closed.store(true, SeqCst);
        self.sem.close();
        self.closed_event.notify(usize::MAX);
    }

    /// The receiver's drop: close, then drop what is buffered (outside the lock).
    pub(crate) fn drop_rx(&self) {
        self.close();
        let mut q = self.lock();
        q.rx_gone = true;
        let buf = std::mem::take(&mut q.buf);
        drop(q);
        self.release(buf.len());
        drop(buf);
    }

    pub(crate) fn is_rx_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    /// The receiver's view: closed, or every sender gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.is_rx_closed() || self.tx_count.load(SeqCst) == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().buf.len()
    }

    /// Waits until the receiver closes or is dropped.
    pub(crate) async fn closed(&self) {
        crate::sync::spend_budget().await;
        while !self.is_rx_closed() {
            let l = self.closed_event.listen();
            if self.is_rx_closed() {
                return;
            }
            l.await;
        }
    }

    pub(crate) fn add_sender(&self) {
        self.tx_count.fetch_add(1, SeqCst);
    }

    /// A sender left; the last one wakes the receiver to see the end.
    pub(crate) fn drop_sender(&self) {
        if self.tx_count.fetch_sub(1, SeqCst) == 1 {
            self.wake_rx();
        }
    }

    /// A weak sender's upgrade: a new strong count unless every sender is gone.
    pub(crate) fn upgrade(&self) -> bool {
        let mut n = self.tx_count.load(SeqCst);
        loop {
            if n == 0 {
                return false;
            }
            match self.tx_count.compare_exchange_weak(n, n + 1, SeqCst, SeqCst) {
                Ok(_) => return true,
                Err(actual) => n = actual,
            }
        }
    }

    pub(crate) fn strong_count(&self) -> usize {
        self.tx_count.load(SeqCst)
    }

    pub(crate) fn weak_count(&self) -> usize {
        self.weak_count.load(SeqCst)
    }

    pub(crate) fn add_weak(&self) {
        self.weak_count.fetch_add(1, SeqCst);
    }

    pub(crate) fn drop_weak(&self) {
        self.weak_count.fetch_sub(1, SeqCst);
    }
}
