//! `tokio::task::JoinSet`: gosched tasks joined in completion order, each result with its
//! task's `Id` (tokio's `join_next_with_id`).
//!
//! The set holds one gosched `JoinHandle` per task in a `FuturesUnordered`, so a finishing
//! task wakes only its own member and `join_next` looks only at the tasks that finished.

use super::{AbortHandle, Id, JoinError, JoinHandle};
use crate::runtime::Handle;
use futures_core::Stream;
use futures_util::stream::FuturesUnordered;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A set of tasks on the current runtime, joined in the order they finish. Dropping the set
/// aborts every task still in it.
///
/// # Examples
/// ```
/// use tokio::task::JoinSet;
///
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut set: JoinSet<u64> = (0..10u64).map(|i| async move { i * i }).collect();
///     let mut sum = 0;
///     while let Some(res) = set.join_next().await {
///         sum += res.unwrap();
///     }
///     assert_eq!(sum, 285);
/// });
/// ```
pub struct JoinSet<T> {
    members: FuturesUnordered<Member<T>>,
}

/// One task of the set: its handle and id.
struct Member<T> {
    handle: JoinHandle<T>,
    id: Id,
}

impl<T> Future for Member<T> {
    type Output = (Id, Result<T, JoinError>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.id;
        Pin::new(&mut self.handle).poll(cx).map(|r| (id, r))
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            members: FuturesUnordered::new(),
        }
    }

    /// The tasks not yet returned by `join_next`, finished or not.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let id = handle.id();
        self.members.push(Member { handle, id });
        abort
    }

    /// Waits for the next task to finish: `None` when the set is empty.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// [`join_next`](JoinSet::join_next), with the finished task's id.
    ///
    /// # Examples
    /// ```
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = tokio::task::JoinSet::new();
    ///     let id = set.spawn(async { 1 }).id();
    ///     assert_eq!(set.join_next_with_id().await.unwrap().unwrap(), (id, 1));
    /// });
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// The next result if a task has finished, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id().map(|r| r.map(|(_, v)| v))
    }

    /// [`try_join_next`](JoinSet::try_join_next), with the finished task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        match self.poll_join_next_with_id(&mut cx) {
            Poll::Ready(r) => r,
            Poll::Pending => None,
        }
    }

    /// Polls for the next finished task.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|o| o.map(|r| r.map(|(_, v)| v)))
    }

    /// Polls for the next finished task, with its id.
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        Pin::new(&mut self.members)
            .poll_next(cx)
            .map(|o| o.map(|(id, r)| r.map(|v| (id, v))))
    }

    /// Waits for every task and returns their outputs in completion order.
    ///
    /// # Panics
    /// If a task panicked (its panic is resumed here) or was aborted.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(res) = self.join_next().await {
            match res {
                Ok(v) => out.push(v),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("{e}"),
            }
        }
        out
    }

    /// Aborts every task; they stay in the set until `join_next` returns them.
    pub fn abort_all(&mut self) {
        self.members.iter().for_each(|m| m.handle.abort());
    }

    /// Removes every task from the set without aborting it: they run on, detached.
    pub fn detach_all(&mut self) {
        self.members.clear();
    }

    /// Aborts every task and waits until each has finished; the set is then empty.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `task` on the current runtime as a member of the set.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(gosched_executor::spawn(task))
    }

    /// Spawns `task` on the runtime of `handle` as a member of the set.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, task: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(handle.spawn(task))
    }

    /// Runs `f` on the current runtime's blocking pool as a member of the set.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(gosched_executor::spawn_blocking(f))
    }

    /// Runs `f` on the blocking pool of `handle`'s runtime as a member of the set.
    #[track_caller]
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(handle.spawn_blocking(f))
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

/// Spawns every future of the iterator into a new set.
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

/// Spawns every future of the iterator into the set.
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for f in iter {
            self.spawn(f);
        }
    }
}
