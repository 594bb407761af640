//! Pinned tasks: Go's `runtime.LockOSThread` for a task's whole life.
//!
//! `spawn_pinned(create)` starts a thread of its own, calls `create` there and polls the future
//! it returns on that thread only, so the future need not be `Send` (`Rc`, `RefCell`,
//! thread-locals, a C library's per-thread state). `spawn_local` inside it adds more `!Send`
//! tasks to the same thread. The thread is Go's *locked M*: it holds no P, does not count
//! against `maxprocs`, and blocking on it stalls no other task. Being a kind of M, it lives
//! with the Ms in `sched/`; the public functions are re-exported as `gosched::task::*`.
//!
//! # How
//! - A pinned task is an ordinary registered task (it is in `dump()` with `locked == true`; its
//!   `JoinHandle`, `AbortHandle` and `JoinError` are the usual ones) whose scheduler is its
//!   thread's [`Queue`]: a wake from any thread pushes the task there and wakes the thread if
//!   it sleeps; `yield_now` and a spent budget requeue it at the tail. Each poll gets the usual
//!   coop budget; sysmon never preempts a pinned thread (there is no P to hand away).
//! - The thread has entered the runtime (`context::enter`), as a `block_on` caller has, so
//!   timers and sockets register with the runtime's timer heaps and poller, and `spawn` puts
//!   `Send` tasks on the Ps.
//! - The future is only ever polled and dropped on its thread: `abort` and runtime shutdown
//!   (`Schedule::PINNED`) send a cancel through the queue, and the thread drops the future
//!   when it runs it. Before the first poll the task holds only `create`, which is `Send`, so a
//!   spawn that cannot start its thread (or that races shutdown) cancels it where it is.
//!   Once the runtime's shutdown began the thread polls nothing: every entry it runs is a
//!   cancellation, and its handle says the runtime shut down (a first poll then would find the
//!   timers and the poller closed). A timer a poll already under way arms then stays pending.
//! - The thread ends with the pinned task: when it completes, the `spawn_local` tasks still
//!   alive are cancelled (their futures dropped on the thread, as tokio's `LocalSet` drop
//!   does), the queue closes and the thread exits. Runtime shutdown cancels every task, then
//!   waits for the pinned threads ([`join_pinned_threads`]).
//!
//! # Rejected alternatives
//! - A pool of pinned threads shared by many tasks (tokio-util's `LocalPoolHandle`): a task
//!   that blocks its thread stalls the others there, which is what Go's locked M avoids; a
//!   thread per pinned task is Go's model and its cost (one thread start) is paid once per task.
//! - Wrapping the `!Send` future in a `Send` shell and asserting the thread on every poll: a
//!   runtime-time check of what the queue guarantees by construction.

use super::{Shared, context};
use crate::loom::atomic::{AtomicU64, Ordering};
use crate::task::{
    Header, Id, JoinHandle, Notified, RawTask, Schedule, SpawnMeta, Task, TransitionToNotified,
    new_pinned_task,
};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// The pinned threads of one runtime: how many are alive, and their join handles.
///
/// Thread bookkeeping rather than a scheduling path, so (like the blocking pool) it uses std's
/// lock and condition variable, not the loom-modelled ones.
pub(crate) struct LockedThreads {
    synced: Mutex<Synced>,
    /// Signalled when a pinned thread is done (`Synced::live` went down).
    exited: Condvar,
    /// Polls run on pinned threads, added in batches (`UNCOUNTED`).
    polls: AtomicU64,
}

struct Synced {
    /// Pinned threads started (or about to be) and not yet done.
    live: usize,
    /// Join handles, joined at shutdown; spawns drop those of finished threads now and then.
    handles: Vec<std::thread::JoinHandle<()>>,
}

impl LockedThreads {
    pub(crate) fn new() -> LockedThreads {
        LockedThreads {
            synced: Mutex::new(Synced {
                live: 0,
                handles: Vec::new(),
            }),
            exited: Condvar::new(),
            polls: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Synced> {
        self.synced.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Pinned threads alive (`Metrics::locked_threads`).
    pub(crate) fn live(&self) -> usize {
        self.lock().live
    }

    /// Polls run on pinned threads (part of `Metrics::polls_total`); a running thread's last
    /// few are added when it next waits, after `FLUSH_POLLS` more, or when it ends.
    pub(crate) fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    /// Adds this thread's uncounted polls.
    fn flush_polls(&self) {
        let n = UNCOUNTED.take();
        if n > 0 {
            // Relaxed: a statistic.
            self.polls.fetch_add(n, Ordering::Relaxed);
        }
    }

    fn done(&self) {
        self.lock().live -= 1;
        self.exited.notify_all();
    }
}

/// Runtime shutdown, after every task was cancelled: waits (until `deadline`) until every
/// pinned thread has run its cancellation and exited. A thread stuck in its task's poll past
/// the timeout is left behind, as a worker would be.
pub(crate) fn join_pinned_threads(shared: &Shared, deadline: Option<Instant>) {
    let locked = &shared.locked;
    // A pinned task that drops its own runtime cannot wait for its own thread.
    let own = usize::from(on_pinned_thread_of(shared));
    let mut s = locked.lock();
    while s.live > own {
        let now = Instant::now();
        s = match deadline {
            None => locked.exited.wait(s).unwrap_or_else(|e| e.into_inner()),
            Some(d) if now < d => {
                locked
                    .exited
                    .wait_timeout(s, d - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            Some(_) => break,
        };
    }
    let all_done = s.live <= own;
    let handles = std::mem::take(&mut s.handles);
    drop(s);
    let me = std::thread::current().id();
    for h in handles {
        // Done threads are past their last lock and exit at once; the rest stay detached.
        if h.thread().id() != me && (all_done || h.is_finished()) {
            let _ = h.join();
        }
    }
}

/// Whether this thread is a pinned thread of `shared`'s runtime (a timer polled here after the
/// shutdown began belongs to a task that is being cancelled: it stays pending, time/mod.rs).
pub(crate) fn on_pinned_thread_of(shared: &Shared) -> bool {
    CURRENT.with_borrow(|q| {
        q.as_ref()
            .is_some_and(|q| std::ptr::eq(Arc::as_ptr(&q.shared), shared))
    })
}

/// One pinned thread's run queue: the scheduler of every task on that thread.
struct Queue {
    synced: Mutex<QueueState>,
    /// The thread waits here when it has nothing to run.
    ready: Condvar,
    shared: crate::loom::Arc<Shared>,
}

struct QueueState {
    tasks: VecDeque<Notified>,
    /// The thread waits on `ready`: the next push notifies it.
    sleeping: bool,
    /// The thread is done; set only once every task on it has completed.
    closed: bool,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.synced.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `task` at the tail and wakes the thread if it sleeps.
    fn push(&self, task: Notified) {
        let mut s = self.lock();
        if s.closed {
            drop(s);
            // Unreachable: the queue closes once every task on the thread has completed, and a
            // completed task is never queued again. Were it reached, leaking the entry keeps
            // the future from being dropped on the wrong thread.
            debug_assert!(false, "gosched: a task was queued on a finished pinned thread");
            std::mem::forget(task);
            return;
        }
        s.tasks.push_back(task);
        let wake = std::mem::replace(&mut s.sleeping, false);
        if wake {
            // The sleeping thread let go of its auto-advance hold: take one for it before it
            // can be seen as idle (time/clock.rs), under the queue lock; it owns it once awake.
            self.shared.time.hold();
        }
        drop(s);
        if wake {
            self.ready.notify_one();
        }
    }

    fn pop(&self) -> Option<Notified> {
        self.lock().tasks.pop_front()
    }

    /// The next entry, waiting for one if there is none.
    fn pop_wait(&self) -> Notified {
        if let Some(task) = self.pop() {
            return task;
        }
        // About to sleep: make this thread's polls visible to `metrics()` first.
        self.shared.locked.flush_polls();
        let mut s = self.lock();
        loop {
            if let Some(task) = s.tasks.pop_front() {
                return task;
            }
            if !s.sleeping {
                // Asleep, this thread cannot make work runnable: paused time may jump
                // (time/clock.rs). `push` takes the hold back for it when it wakes it.
                s.sleeping = true;
                self.shared.let_go();
            }
            s = self.ready.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The scheduler of a pinned task: its thread's queue.
struct PinnedSchedule(Arc<Queue>);

impl Schedule for PinnedSchedule {
    const PINNED: bool = true;

    fn schedule(&self, task: Notified) {
        self.0.push(task);
    }

    fn yield_now(&self, task: Notified) {
        // Called on the pinned thread right after the poll: the tail, behind the other tasks.
        self.0.push(task);
    }

    fn release(&self, task: &Header) -> Option<Task> {
        self.0.shared.registry.remove(task)
    }

    fn is_shut_down(&self) -> bool {
        self.0.shared.is_shutdown()
    }
}

/// A counted reference to a task, to see whether it completed and to cancel it.
struct TaskRef(RawTask);

impl TaskRef {
    fn new(raw: RawTask) -> TaskRef {
        raw.ref_inc();
        TaskRef(raw)
    }

    fn is_complete(&self) -> bool {
        self.0.header().snapshot().is_complete()
    }

    /// As `abort`: the thread that runs the entry drops the future.
    fn cancel(&self) {
        if self.0.header().notify_cancel() == TransitionToNotified::Submit {
            // SAFETY: the transition added a reference for the new entry.
            unsafe { self.0.schedule() };
        }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // SAFETY: the reference taken in `new`.
        unsafe { self.0.drop_reference() }
    }
}

thread_local! {
    /// This thread's queue, if it is a pinned thread (for `spawn_local`).
    static CURRENT: RefCell<Option<Arc<Queue>>> = const { RefCell::new(None) };
    /// The tasks `spawn_local` started here, cancelled when the pinned task ends.
    static LOCALS: RefCell<Vec<TaskRef>> = const { RefCell::new(Vec::new()) };
    /// `LOCALS` drops its completed tasks when it grows to this length.
    static PRUNE_AT: Cell<usize> = const { Cell::new(MIN_PRUNE) };
    /// Polls run on this pinned thread and not yet added to `LockedThreads::polls`.
    static UNCOUNTED: Cell<u64> = const { Cell::new(0) };
}

/// A busy pinned thread adds its polls to the runtime's count at least this often.
const FLUSH_POLLS: u64 = 256;

/// Smallest `PRUNE_AT`.
const MIN_PRUNE: usize = 64;

/// A new task for `queue`'s thread, counted as a remote spawn: its registry entry, its first
/// queue entry, its raw reference and its handle.
///
/// # Safety
/// `new_pinned_task`'s, for the scheduler `PinnedSchedule(queue)` (which is `PINNED` and
/// queues every entry on `queue`): the caller runs every entry on `queue`'s thread (except a
/// cancel before the first poll, while the future is `Send`) and keeps the handle there
/// unless the output is `Send`.
unsafe fn new_on_queue<F: Future + 'static>(
    future: F,
    queue: &Arc<Queue>,
    at: &'static Location<'static>,
) -> (Task, Notified, RawTask, JoinHandle<F::Output>) {
    let meta = SpawnMeta {
        id: Id::next(),
        spawned_at: at,
    };
    // SAFETY: the caller's promise (above) is `new_pinned_task`'s, for this scheduler.
    let (task, notified, raw) = unsafe { new_pinned_task(future, PinnedSchedule(queue.clone()), meta) };
    queue.shared.remote_spawned.fetch_add(1, Ordering::Relaxed);
    (task, notified, raw, JoinHandle::new(raw))
}

/// Runs a task on a thread of its own, where it stays for its whole life (Go's
/// `runtime.LockOSThread`), so its future need not be `Send`.
///
/// `create` is called on the new thread and the future it returns is polled and dropped only
/// there: it may hold `Rc`, `RefCell`, thread-locals or a C library's per-thread state.
/// gosched timers and sockets, `spawn`, `yield_now`, `JoinHandle`s and [`spawn_local`] work
/// inside. The thread holds no P (it does not count against `maxprocs`), so blocking on it
/// stalls no other task; it ends when the task does. The task is a normal task otherwise: it
/// is in `dump()` with `TaskInfo::locked == true`, the thread is counted in
/// `Metrics::locked_threads`, and `abort` and runtime shutdown cancel it (on its thread).
///
/// Each call starts a thread (an OS thread start, far dearer than a `spawn`), so this is for
/// long-lived tasks that need a thread, not for many short ones.
///
/// # Panics
/// Outside a runtime, or if the OS cannot start a thread.
///
/// # Examples
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let total = rt.block_on(async {
///     gosched::task::spawn_pinned(|| async {
///         // Rc and RefCell are !Send: fine here, this future never leaves its thread.
///         let count = Rc::new(RefCell::new(0));
///         for _ in 0..3 {
///             gosched::time::sleep(Duration::from_millis(1)).await;
///             *count.borrow_mut() += 1;
///         }
///         let n = *count.borrow();
///         n
///     })
///     .await
///     .unwrap()
/// });
/// assert_eq!(total, 3);
/// ```
#[track_caller]
pub fn spawn_pinned<F, Fut>(create: F) -> JoinHandle<Fut::Output>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    let at = Location::caller();
    let shared = context::with_current(|s| s.cloned()).unwrap_or_else(|| {
        panic!(
            "gosched::task::spawn_pinned called outside a gosched runtime. Call it from a task, \
             from inside Runtime::block_on or #[gosched::main]"
        )
    });
    let queue = Arc::new(Queue {
        synced: Mutex::new(QueueState {
            tasks: VecDeque::new(),
            sleeping: false,
            closed: false,
        }),
        ready: Condvar::new(),
        shared: shared.clone(),
    });
    // Until its first poll this future holds only `create`, which is `Send`.
    let future = async move { create().await };
    // SAFETY: every entry of `queue` is run by the thread started below (`run`), the first
    // one included. The only entries run elsewhere are in `cancel_unstarted`, before the first
    // poll, when the future holds only `create` (`Send`). The output is `Send`, so the handle
    // may go anywhere.
    let (task, notified, raw, handle) = unsafe { new_on_queue(future, &queue, at) };
    let locked = &shared.locked;
    // Counted before the registry insert: shutdown closes the registry before it waits for
    // the pinned threads, so either the insert fails or shutdown waits for this thread.
    locked.lock().live += 1;
    if let Err(task) = shared.registry.insert(task) {
        // Shutting down: the task never runs; its handle reports it cancelled.
        drop(task);
        locked.done();
        cancel_unstarted(notified);
        return handle;
    }
    let main = TaskRef::new(raw);
    queue.push(notified);
    let mut builder = std::thread::Builder::new().name("gosched-pinned".into());
    if let Some(size) = shared.config.stack_size {
        builder = builder.stack_size(size);
    }
    let thread_queue = queue.clone();
    // The new thread's auto-advance hold, taken here so paused time cannot jump before the
    // thread has started; `run` owns it (and lets go when the thread ends).
    shared.time.hold();
    match builder.spawn(move || run(thread_queue, main)) {
        Ok(thread) => {
            let mut s = locked.lock();
            // Now and then drop the handles of finished threads (detaching a finished thread
            // frees it as a join would), so the list stays about as long as the live ones.
            if s.handles.len() >= 2 * s.live + 16 {
                s.handles.retain(|h| !h.is_finished());
            }
            s.handles.push(thread);
        }
        Err(e) => {
            shared.let_go();
            locked.done();
            // The closure (with `main`) is gone; the first entry is still queued.
            if let Some(first) = queue.pop() {
                cancel_unstarted(first);
            }
            panic!("gosched: spawn_pinned could not start a thread: {e}");
        }
    }
    handle
}

/// Cancels a pinned task that never ran, on the calling thread; `first` is its only entry.
fn cancel_unstarted(first: Notified) {
    // Sets CANCELLED: the task is already NOTIFIED (`first` is that entry), so nothing is queued.
    let _ = first.header().notify_cancel();
    // Sees CANCELLED: drops the future (which holds only `create`) and completes the task.
    first.run();
}

/// The pinned thread: runs its queue until the pinned task completes, then cancels the
/// `spawn_local` tasks left, closes the queue and exits.
fn run(queue: Arc<Queue>, main: TaskRef) {
    let shared = queue.shared.clone();
    // Counted down however the thread ends, so shutdown never waits for a thread that is gone.
    struct Done<'a>(&'a LockedThreads);
    impl Drop for Done<'_> {
        fn drop(&mut self) {
            self.0.done();
        }
    }
    let _done = Done(&shared.locked);
    // An awake pinned thread holds paused time back, as an awake M does (time/clock.rs): its task
    // may be about to arm a timer or wake another. The hold was taken by `spawn_pinned`; let
    // go when the thread ends.
    struct LetGo<'a>(&'a crate::sched::Shared);
    impl Drop for LetGo<'_> {
        fn drop(&mut self) {
            self.0.let_go();
        }
    }
    let _hold = LetGo(&shared);
    let _enter = context::enter(shared.clone());
    if let Some(f) = &shared.config.on_thread_start {
        f();
    }
    CURRENT.set(Some(queue.clone()));
    while !main.is_complete() {
        let task = queue.pop_wait();
        if shared.is_shutdown() {
            // The shutdown cancels every task of this thread; none is polled from now on (a
            // first poll here would find the timers and the poller closed). The entry is
            // NOTIFIED, so this only sets CANCELLED, and the run completes it as shut down.
            let _ = task.header().notify_cancel();
        }
        run_entry(task);
    }
    drop(main);
    finish_locals(&queue);
    queue.lock().closed = true;
    CURRENT.set(None);
    shared.locked.flush_polls();
    if let Some(f) = &shared.config.on_thread_stop {
        f();
    }
}

/// Polls (or cancels) one task with a fresh coop budget, and counts the poll.
fn run_entry(task: Notified) {
    let budget = crate::coop::reset_pinned();
    task.run();
    drop(budget);
    let n = UNCOUNTED.get() + 1;
    UNCOUNTED.set(n);
    if n >= FLUSH_POLLS {
        CURRENT.with_borrow(|q| {
            if let Some(q) = q {
                q.shared.locked.flush_polls();
            }
        });
    }
}

/// Cancels the `spawn_local` tasks still alive and runs the queue until every one of them
/// (and any they start while being dropped) has completed.
fn finish_locals(queue: &Queue) {
    loop {
        let pending: Vec<TaskRef> = LOCALS.take().into_iter().filter(|t| !t.is_complete()).collect();
        if pending.is_empty() {
            break;
        }
        for t in &pending {
            t.cancel();
        }
        // Wait for each one's entry, not just for an empty queue: a task cancelled by runtime
        // shutdown on another thread may have its entry still on the way here.
        while pending.iter().any(|t| !t.is_complete()) {
            run_entry(queue.pop_wait());
        }
    }
    // Entries of tasks that completed meanwhile (none are expected): they only drop a reference.
    while let Some(task) = queue.pop() {
        run_entry(task);
    }
    PRUNE_AT.set(MIN_PRUNE);
}

/// Inside a pinned task ([`spawn_pinned`]): runs another `!Send` task on the same thread.
///
/// The task is a normal task otherwise (its own `JoinHandle`, `abort`, in `dump()`). It runs
/// while the pinned task that owns the thread runs; when that one ends, the local tasks still
/// alive are cancelled (their futures dropped on the thread), as tokio's `LocalSet` does.
///
/// # Panics
/// Outside a pinned task, with a message naming `spawn_pinned`.
///
/// # Examples
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let seen = rt.block_on(async {
///     gosched::task::spawn_pinned(|| async {
///         let log = Rc::new(RefCell::new(Vec::new()));
///         let log2 = log.clone();
///         let child = gosched::task::spawn_local(async move {
///             log2.borrow_mut().push("child");
///             Rc::new(7) // the output may be !Send too
///         });
///         let out = child.await.unwrap();
///         log.borrow_mut().push("parent");
///         let seen = log.borrow().join(",");
///         (seen, *out)
///     })
///     .await
///     .unwrap()
/// });
/// assert_eq!(seen, ("child,parent".to_string(), 7));
/// ```
#[track_caller]
pub fn spawn_local<F: Future + 'static>(future: F) -> JoinHandle<F::Output> {
    let at = Location::caller();
    let queue = CURRENT.with_borrow(|q| q.clone()).unwrap_or_else(|| {
        panic!(
            "gosched::task::spawn_local called outside a pinned task: a !Send future needs a \
             thread of its own. Start one with gosched::task::spawn_pinned(|| async {{ ... }}) \
             and call spawn_local inside it, or use gosched::spawn for a Send future"
        )
    });
    let shared = queue.shared.clone();
    // SAFETY: `queue` is this thread's, which runs every entry of it; the first one is pushed
    // below. The handle is created on this thread and is `Send` only if the output is.
    let (task, notified, raw, handle) = unsafe { new_on_queue(future, &queue, at) };
    if let Err(task) = shared.registry.insert(task) {
        // Shutting down: the entry cancels the task when this thread runs it.
        drop(task);
        let _ = notified.header().notify_cancel();
    }
    queue.push(notified);
    LOCALS.with_borrow_mut(|locals| {
        if locals.len() >= PRUNE_AT.get() {
            locals.retain(|t| !t.is_complete());
            PRUNE_AT.set((2 * locals.len()).max(MIN_PRUNE));
        }
        locals.push(TaskRef::new(raw));
    });
    handle
}
