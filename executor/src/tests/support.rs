//! What the raw-task models and tests share: a scheduler that records what the task asks of it,
//! futures that count their drops, and a waker that counts its wakes.
//!
//! Built on `crate::loom`, so the same code runs under loom (`loom_state.rs`) and under miri
//! (`task_raw.rs`).

use crate::loom::Mutex;
use crate::task::{self, Header, JoinHandle, Notified, Schedule, SpawnMeta, Task};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
// Bookkeeping counters are std's even under loom: they are only read after the model's threads
// are joined, and loom atomics would add interleavings that test nothing of ours.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// The test scheduler's state: the run queue the task is pushed to, and the registry slot that
/// holds its registry reference (one task per scheduler).
pub(crate) struct SchedState {
    pub(crate) queue: Mutex<VecDeque<Notified>>,
    pub(crate) registry: Mutex<Option<Task>>,
    pub(crate) scheduled: AtomicUsize,
    pub(crate) yielded: AtomicUsize,
    pub(crate) released: AtomicUsize,
}

/// A `Schedule` that pushes every entry onto `SchedState::queue`.
#[derive(Clone)]
pub(crate) struct TestSched(pub(crate) Arc<SchedState>);

impl Schedule for TestSched {
    fn schedule(&self, task: Notified) {
        self.0.scheduled.fetch_add(1, Ordering::SeqCst);
        self.0.queue.lock().unwrap().push_back(task);
    }

    fn yield_now(&self, task: Notified) {
        self.0.yielded.fetch_add(1, Ordering::SeqCst);
        self.0.queue.lock().unwrap().push_back(task);
    }

    fn release(&self, _task: &Header) -> Option<Task> {
        self.0.released.fetch_add(1, Ordering::SeqCst);
        self.0.registry.lock().unwrap().take()
    }
}

impl SchedState {
    pub(crate) fn new() -> SchedState {
        SchedState {
            queue: Mutex::new(VecDeque::new()),
            registry: Mutex::new(None),
            scheduled: AtomicUsize::new(0),
            yielded: AtomicUsize::new(0),
            released: AtomicUsize::new(0),
        }
    }

    /// Pops one queued entry.
    pub(crate) fn pop(&self) -> Option<Notified> {
        self.queue.lock().unwrap().pop_front()
    }

    /// Entries in the queue.
    pub(crate) fn len(&self) -> usize {
        self.queue.lock().unwrap().len()
    }

    /// Runs queued entries until the queue is empty; returns how many ran.
    pub(crate) fn run_all(&self) -> usize {
        let mut n = 0;
        while let Some(t) = self.pop() {
            t.run();
            n += 1;
        }
        n
    }
}

fn meta() -> SpawnMeta {
    SpawnMeta {
        id: task::Id::next(),
        spawned_at: Location::caller(),
    }
}

/// Spawns `future` as a registered task (the registry reference goes into the scheduler's slot,
/// the first entry into its queue). Returns the scheduler state and the handle.
pub(crate) fn spawn<F>(future: F) -> (Arc<SchedState>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let state = Arc::new(SchedState::new());
    let (task, notified, raw) = task::new_task(future, TestSched(state.clone()), meta());
    *state.registry.lock().unwrap() = Some(task);
    state.queue.lock().unwrap().push_back(notified);
    (state, JoinHandle::new(raw))
}

/// As `spawn`, for a task no registry tracks (the blocking pool's kind).
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn spawn_unregistered<F>(future: F) -> (Arc<SchedState>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let state = Arc::new(SchedState::new());
    let (notified, raw) = task::new_unregistered_task(future, TestSched(state.clone()), meta());
    state.queue.lock().unwrap().push_back(notified);
    (state, JoinHandle::new(raw))
}

/// Counts drops of the values that hold it.
#[derive(Default, Debug)]
pub(crate) struct Counter(pub(crate) AtomicUsize);

impl Counter {
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Adds one to its counter when dropped.
#[derive(Debug)]
pub(crate) struct DropGuard(pub(crate) Arc<Counter>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that is `Pending` for its first `pending` polls (storing a clone of its waker in
/// `waker` each time, so another thread can wake it), then `Ready(value)` with a drop guard.
/// Counts its own drop in `dropped`.
pub(crate) struct TestFuture {
    pub(crate) pending: usize,
    pub(crate) value: usize,
    pub(crate) waker: Arc<Mutex<Option<Waker>>>,
    pub(crate) output_drops: Arc<Counter>,
    pub(crate) _guard: DropGuard,
}

impl Future for TestFuture {
    type Output = (usize, DropGuard);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.pending == 0 {
            return Poll::Ready((self.value, DropGuard(self.output_drops.clone())));
        }
        self.pending -= 1;
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// The pieces a test looks at around one `TestFuture`.
pub(crate) struct Probe {
    pub(crate) waker: Arc<Mutex<Option<Waker>>>,
    pub(crate) future_drops: Arc<Counter>,
    pub(crate) output_drops: Arc<Counter>,
}

impl Probe {
    pub(crate) fn new() -> Probe {
        Probe {
            waker: Arc::new(Mutex::new(None)),
            future_drops: Arc::default(),
            output_drops: Arc::default(),
        }
    }

    pub(crate) fn future(&self, pending: usize, value: usize) -> TestFuture {
        TestFuture {
            pending,
            value,
            waker: self.waker.clone(),
            output_drops: self.output_drops.clone(),
            _guard: DropGuard(self.future_drops.clone()),
        }
    }

    /// Takes the waker the task stored in its last poll.
    pub(crate) fn take_waker(&self) -> Option<Waker> {
        self.waker.lock().unwrap().take()
    }
}

/// A waker for polling `JoinHandle`s by hand: counts its wakes.
#[derive(Default)]
pub(crate) struct CountingWaker {
    pub(crate) wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    pub(crate) fn new() -> (Arc<CountingWaker>, Waker) {
        let w = Arc::new(CountingWaker::default());
        (w.clone(), Waker::from(w))
    }

    pub(crate) fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

/// Polls a `JoinHandle` once with `waker`.
pub(crate) fn poll_join<T>(handle: &mut JoinHandle<T>, waker: &Waker) -> Poll<Result<T, task::JoinError>> {
    let mut cx = Context::from_waker(waker);
    Pin::new(handle).poll(&mut cx)
}
