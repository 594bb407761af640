//! `unconstrained`: a future whose polls spend no budget.

use super::{BUDGET, Budget};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};

/// Runs `inner` with no budget: its polls spend nothing, so it never yields for the budget's
/// or sysmon's sake (tokio's `task::unconstrained`). A loop in it on always-ready resources
/// keeps its P until it finishes; use it for work that must not be interrupted, and keep it
/// short. The budget of the enclosing poll is as it was once `inner`'s poll returns.
///
/// It returns a named future (rather than being an `async fn`) so that wrappers can name it.
///
/// # Examples
/// ```
/// use gosched::task::coop;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(rt.spawn(coop::unconstrained(async {
///     for _ in 0..1_000 {
///         coop::consume_budget().await; // never yields here
///     }
///     assert!(coop::has_budget_remaining());
/// })))
/// .unwrap();
/// ```
pub fn unconstrained<F: Future>(inner: F) -> Unconstrained<F> {
    Unconstrained { inner }
}

/// The future of [`unconstrained`].
///
/// # Examples
/// ```
/// let fut: gosched::task::coop::Unconstrained<_> =
///     gosched::task::coop::unconstrained(async { 1 });
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// assert_eq!(rt.block_on(fut), 1);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Unconstrained<F> {
    inner: F,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of `self` (no method
        // hands it out by value, and `Unconstrained` has no `Drop` impl nor `Unpin` impl of
        // its own beyond the auto one, which requires `F: Unpin`).
        let inner = unsafe { self.map_unchecked_mut(|s| &mut s.inner) };
        let saved = BUDGET.replace(Budget {
            left: None,
            preempt: ptr::null(),
            poll: 0,
        });
        let _restore = Restore(saved);
        inner.poll(cx)
    }
}

impl<F> fmt::Debug for Unconstrained<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unconstrained").finish_non_exhaustive()
    }
}

/// Puts a saved budget back on drop (also when the inner poll panics).
struct Restore(Budget);

impl Drop for Restore {
    fn drop(&mut self) {
        BUDGET.set(self.0);
    }
}
