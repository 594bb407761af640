//! The G: one heap allocation per task (header, scheduler handle, future/output stage), reached
//! through a type-erased `NonNull<Header>` and a per-`(F, S)` vtable.
//!
//! The owned-reference types of this file are [`Task`] (the registry's reference), [`Notified`]
//! (a run-queue entry's reference) and, in `join.rs`, `JoinHandle`; each drops its reference on
//! drop. See `state.rs` for who owns which reference.

use super::harness;
use super::id::Id;
use super::join::JoinError;
use super::schedule::Schedule;
use super::state::State;
use crate::loom::UnsafeCell;
use crate::loom::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

/// The type-independent part of a task, at offset 0 of its allocation.
///
/// # Fields
/// - `state`: atomic, anyone holding a reference.
/// - `vtable`, `id`, `spawned_at`, `created`: immutable after spawn.
/// - `links`: only under the lock of the registry shard that `id` selects.
/// - `join_waker`: written by the `JoinHandle` while `JOIN_WAKER` is unset, read by the
///   runtime while it is set (protocol in `state.rs`).
/// - `polls`, `wait`: written only by the thread holding `RUNNING` (relaxed), read by `dump()`.
/// - `runnable_at`: the scheduling-latency sample (diag/poll.rs says who writes it when).
#[repr(C)]
pub(crate) struct Header {
    pub(super) state: State,
    pub(super) vtable: &'static Vtable,
    pub(crate) id: Id,
    pub(super) links: UnsafeCell<Links>,
    pub(super) join_waker: UnsafeCell<Option<Waker>>,
    pub(crate) spawned_at: &'static Location<'static>,
    /// `monotonic::coarse_now_ns()` at spawn (for the dump's age).
    pub(crate) created: u64,
    pub(crate) polls: AtomicU32,
    /// The [`WaitReason`](crate::runtime::WaitReason) code set when the task last parked, or
    /// [`WAIT_SYSCALL`] while it is inside `block_in_place`.
    pub(crate) wait: AtomicU8,
    /// `Metrics::sched_latency` sampling: 0, or when the task became runnable (a tick of the
    /// runtime's diagnostics clock, `diag/tsc.rs`) if that runnable period is sampled.
    pub(crate) runnable_at: AtomicU64,
    /// A pinned task (`spawn_pinned`, `spawn_local`): its future never leaves its thread.
    pub(crate) locked: bool,
}

/// `wait` value while the task's M is inside `block_in_place` (Go's `_Gsyscall`).
pub(crate) const WAIT_SYSCALL: u8 = u8::MAX;

/// Intrusive links of the registry's per-shard list.
pub(crate) struct Links {
    pub(crate) prev: Option<NonNull<Header>>,
    pub(crate) next: Option<NonNull<Header>>,
    /// Whether the task is in a shard list (it is taken out on completion or at shutdown).
    pub(crate) in_list: bool,
}

/// The whole allocation. `repr(C)` keeps `header` at offset 0, so a `NonNull<Header>` is also
/// a pointer to the `Cell`.
#[repr(C)]
pub(super) struct Cell<F: Future, S> {
    pub(super) header: Header,
    pub(super) scheduler: S,
    pub(super) stage: UnsafeCell<Stage<F>>,
}

/// What the task holds: the future until it finishes, then its output until it is read.
pub(super) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

/// Functions that need the concrete `(F, S)` type.
pub(super) struct Vtable {
    /// Poll the future; consumes one reference (the `Notified`'s).
    pub(super) poll: unsafe fn(NonNull<Header>),
    /// Hand a new `Notified` (owning one reference) to the scheduler.
    pub(super) schedule: unsafe fn(NonNull<Header>),
    /// Free the allocation; the reference count is zero.
    pub(super) dealloc: unsafe fn(NonNull<Header>),
    /// Move the output into `*mut Poll<Result<T, JoinError>>` if complete, else store the waker.
    pub(super) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// `JoinHandle::drop` when the fast path failed; consumes the handle's reference.
    pub(super) drop_join_handle_slow: unsafe fn(NonNull<Header>),
    /// Cancel at runtime shutdown; consumes one reference (the registry's).
    pub(super) shutdown: unsafe fn(NonNull<Header>),
}

/// Metadata given at spawn.
pub(crate) struct SpawnMeta {
    pub(crate) id: Id,
    pub(crate) spawned_at: &'static Location<'static>,
}

/// An untyped pointer to a live task; owns nothing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a task is shared across threads by design; every field of `Header` is either
// immutable, atomic, or guarded by the state-word protocol or the registry lock, and
// `Schedule: Send + Sync` and `F: Send` are required by the constructors that can be called
// from several threads.
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    fn new<F, S>(future: F, scheduler: S, meta: SpawnMeta, state: State, locked: bool) -> RawTask
    where
        F: Future,
        S: Schedule,
    {
        // One allocation from the global allocator, freed by the vtable's `dealloc`. Go reuses
        // exited Gs through per-P `gFree` lists; a cache like it (freed cells by 64-byte size
        // class on the M holding a P, 64 each, half spilled to a global list) was built and
        // measured against this (bench-report/notes.md, "gFree"), and taken out: no spawn row
        // got 10 % faster against tokio. The allocator serves because glibc's malloc already
        // keeps a per-thread cache of freed blocks by size (tcache): where every cell is reused
        // (`chained_spawn`) ours cut only a tenth of a spawn's instructions, which wall time
        // did not show, and where many tasks are alive at once (`spawn_many`) most cells miss
        // a 64-cell cache, and its tests cost more than its hits save.
        let cell = Box::new(Cell::<F, S> {
            header: Header {
                state,
                vtable: harness::vtable::<F, S>(),
                id: meta.id,
                links: UnsafeCell::new(Links {
                    prev: None,
                    next: None,
                    in_list: false,
                }),
                join_waker: UnsafeCell::new(None),
                spawned_at: meta.spawned_at,
                created: crate::time::monotonic::coarse_now_ns(),
                polls: AtomicU32::new(0),
                wait: AtomicU8::new(0),
                runnable_at: AtomicU64::new(0),
                locked,
            },
            scheduler,
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    /// # Safety
    /// - `ptr` points to the header of a live task.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a `RawTask` is only made from a live task whose memory outlives every holder
        // of a reference, and whoever calls this holds one.
        unsafe { self.ptr.as_ref() }
    }

    /// # Safety
    /// The caller gives up one reference (a `Notified`'s).
    pub(crate) unsafe fn poll(self) {
        // SAFETY: the vtable entry matches this task's types; the caller passes a reference.
        unsafe { (self.header().vtable.poll)(self.ptr) }
    }

    /// # Safety
    /// The caller gives up one reference (the registry's).
    pub(crate) unsafe fn shutdown(self) {
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// # Safety
    /// The caller holds the handle's reference and `dst` is a `*mut Poll<Result<T, JoinError>>`
    /// for this task's output type `T`.
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    /// # Safety
    /// The caller gives up the join handle's reference.
    pub(crate) unsafe fn drop_join_handle_slow(self) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.drop_join_handle_slow)(self.ptr) }
    }

    /// Drops one reference, freeing the task if it was the last.
    ///
    /// # Safety
    /// The caller owns the reference it drops.
    pub(crate) unsafe fn drop_reference(self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference, so nobody else can reach the task.
            unsafe { (self.header().vtable.dealloc)(self.ptr) }
        }
    }

    /// Adds a reference for a new waker or handle.
    pub(crate) fn ref_inc(self) {
        self.header().state.ref_inc();
    }

    /// Hands a new `Notified` to the task's scheduler.
    ///
    /// # Safety
    /// The caller transfers one reference into that `Notified`.
    pub(crate) unsafe fn schedule(self) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.schedule)(self.ptr) }
    }
}

/// The registry's reference to a task.
#[derive(Debug)]
pub(crate) struct Task {
    raw: RawTask,
}

/// A run-queue entry: the one reference that lets its holder poll the task.
/// At most one exists per task (the `NOTIFIED` bit).
#[derive(Debug)]
pub(crate) struct Notified {
    raw: RawTask,
}

impl Task {
    /// # Safety
    /// The caller transfers one reference to the new `Task`.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Task {
        Task { raw }
    }

    pub(crate) fn header(&self) -> &Header {
        self.raw.header()
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    /// Gives up ownership of the reference without dropping it.
    pub(crate) fn into_raw(self) -> RawTask {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    /// Cancels the task at runtime shutdown (drops its future here if it is idle).
    pub(crate) fn shutdown(self) {
        // SAFETY: `self` owns a reference, which `shutdown` consumes.
        unsafe { self.into_raw().shutdown() }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: `self` owns a reference.
        unsafe { self.raw.drop_reference() }
    }
}

impl Notified {
    /// # Safety
    /// The caller transfers one reference, and the `NOTIFIED` bit is set on its behalf.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Notified {
        Notified { raw: RawTask { ptr } }
    }

    /// Gives up ownership without dropping; `from_raw` takes it back.
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        let ptr = self.raw.ptr;
        std::mem::forget(self);
        ptr
    }

    pub(crate) fn header(&self) -> &Header {
        self.raw.header()
    }

    /// Polls the task (or drops its future if it was cancelled); consumes this entry.
    pub(crate) fn run(self) {
        let raw = RawTask { ptr: self.into_raw() };
        // SAFETY: the entry's reference is handed to `poll`, which consumes it.
        unsafe { raw.poll() }
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        // SAFETY: `self` owns a reference. A dropped entry leaves `NOTIFIED` set, which is
        // harmless: it only happens at shutdown, when the task is cancelled anyway.
        unsafe { self.raw.drop_reference() }
    }
}

/// Makes a task: returns the registry's reference, the first run-queue entry and the handle's raw
/// task (whose reference `JoinHandle::new` takes).
pub(crate) fn new_task<F, S>(future: F, scheduler: S, meta: SpawnMeta) -> (Task, Notified, RawTask)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let raw = RawTask::new(future, scheduler, meta, State::new(), false);
    // SAFETY: `State::new` starts with three references: one each for these three values.
    unsafe { (Task::from_raw(raw), Notified::from_raw(raw.ptr), raw) }
}

/// As [`new_task`], for a pinned task (sched/pinned.rs): neither the future nor its output need
/// be `Send`, and the header is marked `locked`.
///
/// # Safety
/// The future must only be polled and dropped on the one thread that `scheduler` runs the
/// task's entries on: `S::PINNED` is true (so runtime shutdown sends that thread a cancel
/// rather than dropping the future where it runs), every entry the scheduler is given is run
/// on that thread, and the caller runs the returned `Notified` there too. The one exception:
/// an entry may be run elsewhere to cancel the task before its first poll, if the future's
/// state at that point is `Send` (an `async` block that has only captured `Send` values).
/// If `F::Output` is not `Send`, the returned handle's reference must stay on that thread too.
pub(crate) unsafe fn new_pinned_task<F, S>(
    future: F,
    scheduler: S,
    meta: SpawnMeta,
) -> (Task, Notified, RawTask)
where
    F: Future + 'static,
    S: Schedule,
{
    debug_assert!(S::PINNED, "a pinned task needs a pinned scheduler");
    let raw = RawTask::new(future, scheduler, meta, State::new(), true);
    // SAFETY: `State::new` starts with three references: one each for these three values.
    unsafe { (Task::from_raw(raw), Notified::from_raw(raw.ptr), raw) }
}

/// Makes a task that no registry tracks: returns the first entry and the handle's raw task.
pub(crate) fn new_unregistered_task<F, S>(future: F, scheduler: S, meta: SpawnMeta) -> (Notified, RawTask)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let raw = RawTask::new(future, scheduler, meta, State::new_unregistered(), false);
    // SAFETY: `State::new_unregistered` starts with two references: the entry's and the handle's.
    unsafe { (Notified::from_raw(raw.ptr), raw) }
}

impl Header {
    /// Records why the task parked, for `dump()`. Called by the thread polling the task.
    pub(crate) fn set_wait(&self, code: u8) {
        // Relaxed: a diagnostic value; `dump()` may read a slightly stale one.
        self.wait.store(code, Ordering::Relaxed);
    }

    /// The state word, for diagnostics.
    pub(crate) fn snapshot(&self) -> super::state::Snapshot {
        self.state.load()
    }

    /// Marks the task cancelled and notified (state.rs): a pinned task's abort and shutdown
    /// (sched/pinned.rs), which submit it to its thread's queue when told to.
    pub(crate) fn notify_cancel(&self) -> super::state::TransitionToNotified {
        self.state.transition_to_notified_and_cancel()
    }
}

impl super::link::Link for Notified {
    fn into_ptr(self) -> NonNull<()> {
        self.into_raw().cast()
    }

    unsafe fn from_ptr(ptr: NonNull<()>) -> Self {
        // SAFETY: from the caller: `ptr` came from `into_ptr`, which gave up a Notified's
        // reference, and ownership comes back exactly once.
        unsafe { Notified::from_raw(ptr.cast()) }
    }
}
