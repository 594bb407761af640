//! `JoinSet`: a group of tasks whose results come back in the order they finish (tokio's
//! `JoinSet`, Go's `errgroup` without the error policy).
//!
//! The set owns one `JoinHandle` per task in a `FuturesUnordered`, which keeps a ready queue
//! fed by one waker per member: a finishing task wakes only its own member, so `join_next`
//! looks at the tasks that finished, not at all of them. The tasks are ordinary gosched tasks,
//! spawned with the caller's location, so `dump()` shows each at the line that called
//! `JoinSet::spawn`.

use super::join::{AbortHandle, JoinError, JoinHandle};
use futures_core::Stream;
use futures_util::stream::FuturesUnordered;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A set of tasks spawned on the current runtime, joined in completion order. Dropping the set
/// aborts every task still in it.
///
/// # Examples
/// ```
/// use gosched::task::JoinSet;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..10u64 {
///         set.spawn(async move { i * i });
///     }
///     let mut sum = 0;
///     while let Some(res) = set.join_next().await {
///         sum += res.unwrap();
///     }
///     assert_eq!(sum, 285);
///     assert!(set.is_empty());
/// });
/// ```
pub struct JoinSet<T> {
    members: FuturesUnordered<Member<T>>,
}

/// One task of the set: its handle, polled without spending budget (`join_next` spends one
/// unit for the whole set).
struct Member<T>(JoinHandle<T>);

impl<T> Future for Member<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_unbudgeted(cx)
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    /// ```
    /// let set = gosched::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            members: FuturesUnordered::new(),
        }
    }

    /// The tasks not yet returned by [`join_next`](JoinSet::join_next) or
    /// [`try_join_next`](JoinSet::try_join_next), finished or not.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = gosched::task::JoinSet::new();
    ///     set.spawn(async {});
    ///     assert_eq!(set.len(), 1);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Aborts every task in the set. They stay in it: `join_next` then returns each, as a
    /// cancellation error (or its output, if it finished first).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = gosched::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        self.members.iter().for_each(|m| m.0.abort());
    }

    /// The next result if a task has finished, without waiting: `None` when none has (or the
    /// set is empty).
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = gosched::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<u32>());
    ///     assert!(set.try_join_next().is_none());
    ///     set.spawn(async { 7 });
    ///     let seven = loop {
    ///         if let Some(res) = set.try_join_next() {
    ///             break res.unwrap();
    ///         }
    ///         gosched::task::yield_now().await;
    ///     };
    ///     assert_eq!(seven, 7);
    /// });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        match Pin::new(&mut self.members).poll_next(&mut cx) {
            Poll::Ready(res) => res,
            Poll::Pending => None,
        }
    }

    /// Waits for the next task to finish and returns its result; `None` when the set is
    /// empty. Results come in the order the tasks finish.
    ///
    /// Cancel safe: dropping the future loses no result.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = gosched::task::JoinSet::new();
    ///     set.spawn(async {
    ///         gosched::time::sleep(Duration::from_millis(50)).await;
    ///         "slow"
    ///     });
    ///     set.spawn(async { "fast" });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "fast");
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "slow");
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Polls for the next finished task, for code that multiplexes the set with other events
    /// in one `poll` (as tokio's `JoinSet::poll_join_next`): `Ready(None)` when the set is
    /// empty, `Pending` with `cx`'s waker registered when no task has finished.
    ///
    /// # Examples
    /// ```
    /// use std::task::Poll;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = gosched::task::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     let one = std::future::poll_fn(|cx| match set.poll_join_next(cx) {
    ///         Poll::Ready(Some(res)) => Poll::Ready(res.unwrap()),
    ///         _ => Poll::Pending,
    ///     })
    ///     .await;
    ///     assert_eq!(one, 1);
    /// });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.members.is_empty() {
            return Poll::Ready(None);
        }
        // One unit of budget per call, however many members are looked at.
        std::task::ready!(crate::coop::spend(cx));
        let res = Pin::new(&mut self.members).poll_next(cx);
        if res.is_pending() {
            super::current::set_current_wait(super::current::WAIT_JOIN);
        }
        res
    }

    /// Aborts every task and waits until each has finished (its future dropped); the set is
    /// then empty.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = gosched::task::JoinSet::new();
    ///     for _ in 0..5 {
    ///         set.spawn(std::future::pending::<()>());
    ///     }
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `f` on the current runtime as a member of the set; the returned handle aborts it.
    /// The task is listed by `dump()` at the caller's location.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = gosched::task::JoinSet::new();
    ///     let abort = set.spawn(std::future::pending::<()>());
    ///     abort.abort();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, f: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(crate::spawn(f))
    }

    /// Runs `f` on the blocking pool as a member of the set. Aborting it only takes effect if
    /// it has not started yet (a running closure cannot be interrupted).
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = gosched::task::JoinSet::new();
    ///     set.spawn_blocking(|| std::fs::metadata("/").is_ok());
    ///     assert!(set.join_next().await.unwrap().unwrap());
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<Fn>(&mut self, f: Fn) -> AbortHandle
    where
        Fn: FnOnce() -> T + Send + 'static,
    {
        self.insert(crate::spawn_blocking(f))
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        self.members.push(Member(handle));
        abort
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        // The handles are then dropped with `members`, which detaches the (aborted) tasks.
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
