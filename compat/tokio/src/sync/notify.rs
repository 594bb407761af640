//! `tokio::sync::Notify`.

use super::waitq::{WaitQueue, WakeList};
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// How a queued waiter was notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Got {
    Nothing,
    One,
    All,
}

#[derive(Debug)]
struct State {
    permit: bool,
    waiters: WaitQueue<Got>,
}

/// Notifies one task, or all waiting tasks, of an event.
///
/// [`notify_one`](Notify::notify_one) wakes the longest-waiting [`notified`](Notify::notified)
/// future; if none waits it stores one permit, which the next `notified().await` consumes at
/// once. [`notify_waiters`](Notify::notify_waiters) wakes every future created before the call
/// (polled or not) and stores nothing.
///
/// # Examples
/// ```
/// let notify = tokio::sync::Notify::new();
/// notify.notify_one(); // stored: nobody waits yet
/// futures::executor::block_on(notify.notified()); // consumes the permit
/// ```
pub struct Notify {
    /// How many times `notify_waiters` ran; a `Notified` remembers the value at its creation.
    calls: AtomicUsize,
    state: Mutex<State>,
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify").finish_non_exhaustive()
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl Notify {
    /// A `Notify` with no permit stored.
    pub fn new() -> Notify {
        Notify::const_new()
    }

    /// The same as [`new`](Self::new), usable in `static`s.
    pub const fn const_new() -> Notify {
        Notify {
            calls: AtomicUsize::new(0),
            state: Mutex::new(State {
                permit: false,
                waiters: WaitQueue::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A future that completes when this `Notify` is notified. It joins the queue for
    /// `notify_one` when first polled (or [`enable`](Notified::enable)d); `notify_waiters`
    /// completes it from its creation on.
    pub fn notified(&self) -> Notified<'_> {
        Notified(Waiter::new(self))
    }

    /// [`notified`](Self::notified) for an `Arc<Notify>`: the future owns the `Arc`.
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        OwnedNotified(Waiter::new(self))
    }

    /// Wakes the longest-waiting task, or stores a permit (at most one) if none waits.
    pub fn notify_one(&self) {
        let w = pass_on(&mut self.lock(), |q| q.pop_front());
        wake(w);
    }

    /// Wakes the most recently queued task, or stores a permit if none waits.
    pub fn notify_last(&self) {
        let w = pass_on(&mut self.lock(), |q| {
            let k = q.back()?;
            q.unlink(k);
            Some(k)
        });
        wake(w);
    }

    /// Wakes every task waiting now (and every `Notified` already created); stores no permit.
    pub fn notify_waiters(&self) {
        let mut wl = WakeList::new();
        let mut s = self.lock();
        self.calls.fetch_add(1, SeqCst);
        s.waiters.drain(|e| {
            e.data = Got::All;
            wl.push(e.waker.take());
        });
        drop(s);
        wl.wake_all();
    }
}

/// Wakes `w` (call it with the lock released: a waker may run any code, even `Notify`'s).
fn wake(w: Option<Waker>) {
    if let Some(w) = w {
        w.wake();
    }
}

/// Gives one notification to the waiter `pick` unlinks (returning its waker, to be woken
/// once the lock is released), or stores the permit.
fn pass_on(s: &mut State, pick: impl FnOnce(&mut WaitQueue<Got>) -> Option<usize>) -> Option<Waker> {
    match pick(&mut s.waiters) {
        Some(k) => {
            let e = s.waiters.get_mut(k);
            e.data = Got::One;
            e.waker.take()
        }
        None => {
            s.permit = true;
            None
        }
    }
}

/// The future of [`Notify::notified`]. Dropping it leaves the queue; a `notify_one` it had
/// received but not yet returned goes to the next waiter.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Notified<'a>(Waiter<&'a Notify>);

/// The future of [`Notify::notified_owned`]; the same as [`Notified`], owning its `Arc`.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct OwnedNotified(Waiter<Arc<Notify>>);

/// One `notified()` call's state, for either way of holding the `Notify`.
struct Waiter<N: Deref<Target = Notify>> {
    notify: N,
    /// `notify_waiters` calls seen at creation.
    calls: usize,
    key: Option<usize>,
    done: bool,
}

impl<N: Deref<Target = Notify>> fmt::Debug for Waiter<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("queued", &self.key.is_some())
            .field("done", &self.done)
            .finish()
    }
}

impl Notified<'_> {
    /// Joins the queue for `notify_one` without waiting, so a notification sent before the
    /// first poll is not missed. Returns `true` if this future has already been notified.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().0.poll_with(None)
    }
}

impl OwnedNotified {
    /// As [`Notified::enable`].
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().0.poll_with(None)
    }
}

impl<N: Deref<Target = Notify>> Waiter<N> {
    fn new(notify: N) -> Self {
        let calls = notify.calls.load(SeqCst);
        Waiter {
            notify,
            calls,
            key: None,
            done: false,
        }
    }

    /// Checks for (and takes) a notification; otherwise queues this future or updates its
    /// waker. Returns whether it is notified.
    fn poll_with(&mut self, waker: Option<&Waker>) -> bool {
        if self.done {
            return true;
        }
        let mut s = self.notify.lock();
        // A waker replaced or removed here is dropped after the lock (see `wake`).
        let mut old = None;
        let got = match self.key {
            None if self.notify.calls.load(SeqCst) != self.calls => true,
            None if s.permit => {
                s.permit = false;
                true
            }
            None => {
                self.key = Some(s.waiters.push_back(Got::Nothing, waker.cloned()));
                false
            }
            Some(k) => {
                let e = s.waiters.get_mut(k);
                if e.data != Got::Nothing {
                    old = s.waiters.remove(k).waker;
                    self.key = None;
                    true
                } else {
                    if let Some(w) = waker {
                        match &mut e.waker {
                            Some(cur) if cur.will_wake(w) => {}
                            slot => old = slot.replace(w.clone()),
                        }
                    }
                    false
                }
            }
        };
        drop(s);
        drop(old);
        self.done = got;
        got
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.poll_with(Some(cx.waker())) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().0.poll(cx)
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().0.poll(cx)
    }
}

impl<N: Deref<Target = Notify>> Drop for Waiter<N> {
    fn drop(&mut self) {
        let Some(k) = self.key.take() else { return };
        let mut s = self.notify.lock();
        let e = s.waiters.remove(k);
        let next = if e.data == Got::One {
            pass_on(&mut s, |q| q.pop_front())
        } else {
            None
        };
        drop(s);
        drop(e);
        wake(next);
    }
}
