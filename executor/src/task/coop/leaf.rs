//! The budget for hand-written leaf futures: `poll_proceed` and its `RestoreOnPending`, and
//! `consume_budget` for loops that touch no resource.

use super::{BUDGET, Budget, INITIAL_BUDGET, spend};
use std::cell::Cell;
use std::fmt;
use std::task::{Context, Poll};

/// Spends one unit of the task's budget (128 per poll); once it is spent, or when sysmon asked
/// the task to yield, this returns `Pending` once and the task is requeued. Outside a task's
/// poll, and inside [`unconstrained`](super::unconstrained), it never yields.
///
/// Call it in loops that never touch a gosched resource, so they cannot hold their P forever.
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let sum = rt.block_on(rt.spawn(async {
///     let mut sum = 0u64;
///     for i in 0..10_000u64 {
///         sum += i;
///         gosched::task::coop::consume_budget().await;
///     }
///     sum
/// }));
/// assert_eq!(sum.unwrap(), 49_995_000);
/// ```
pub async fn consume_budget() {
    std::future::poll_fn(spend).await
}

/// Spends one unit of the budget for a hand-written leaf future, tokio's shape: `Pending`
/// (after waking the task) when the budget is spent or sysmon asked the task to yield;
/// otherwise a [`RestoreOnPending`] that gives the unit back when dropped, unless
/// [`made_progress`](RestoreOnPending::made_progress) was called on it. So a poll that finds
/// its resource not ready, and returns `Pending`, costs nothing.
///
/// # Examples
/// ```
/// use gosched::task::coop;
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll, ready};
///
/// /// A resource that is always ready: it must still let other tasks run.
/// struct AlwaysReady;
///
/// impl Future for AlwaysReady {
///     type Output = u32;
///     fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
///         let coop = ready!(coop::poll_proceed(cx));
///         coop.made_progress();
///         Poll::Ready(7)
///     }
/// }
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let total = rt.block_on(rt.spawn(async {
///     let mut total = 0;
///     for _ in 0..1_000 {
///         total += AlwaysReady.await; // yields to the scheduler every 128 reads
///     }
///     total
/// }));
/// assert_eq!(total.unwrap(), 7_000);
/// ```
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    let constrained = BUDGET.get().left.is_some();
    std::task::ready!(spend(cx));
    Poll::Ready(RestoreOnPending {
        restore: Cell::new(constrained),
    })
}

/// The unit [`poll_proceed`] spent: given back when this drops, unless
/// [`made_progress`](RestoreOnPending::made_progress) was called.
///
/// # Examples
/// ```
/// use gosched::task::coop;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(rt.spawn(async {
///     std::future::poll_fn(|cx| {
///         // Not ready: dropping the guard gives the unit back, as often as it happens.
///         for _ in 0..1_000 {
///             drop(coop::poll_proceed(cx));
///         }
///         assert!(coop::has_budget_remaining());
///         std::task::Poll::Ready(())
///     })
///     .await
/// }))
/// .unwrap();
/// ```
#[must_use = "dropping it at once gives the unit back; call made_progress() once the work is done"]
pub struct RestoreOnPending {
    /// Whether the drop gives the unit back (a unit was spent, and no progress was reported).
    restore: Cell<bool>,
}

impl RestoreOnPending {
    /// The leaf future did its work: the unit stays spent.
    ///
    /// # Examples
    /// ```
    /// use gosched::task::coop;
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// rt.block_on(rt.spawn(async {
    ///     std::future::poll_fn(|cx| {
    ///         let mut ready = 0;
    ///         while let std::task::Poll::Ready(coop) = coop::poll_proceed(cx) {
    ///             coop.made_progress();
    ///             ready += 1;
    ///         }
    ///         std::task::Poll::Ready(ready)
    ///     })
    ///     .await
    /// }))
    /// .unwrap();
    /// ```
    pub fn made_progress(&self) {
        self.restore.set(false);
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        if !self.restore.get() {
            return;
        }
        let b = BUDGET.get();
        if let Some(left) = b.left {
            BUDGET.set(Budget {
                left: Some(left.saturating_add(1).min(INITIAL_BUDGET)),
                ..b
            });
        }
    }
}

impl fmt::Debug for RestoreOnPending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestoreOnPending")
            .field("made_progress", &!self.restore.get())
            .finish()
    }
}
