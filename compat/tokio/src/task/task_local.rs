//! `task_local!`, `LocalKey`, `TaskLocalFuture` (tokio's shapes).
//!
//! The value lives in the future that [`LocalKey::scope`] returns. Each poll swaps it into the
//! key's thread-local slot, polls the wrapped future, and swaps it back out (also when the
//! poll unwinds), so the future sees its value on whichever gosched thread polls it; the value
//! of an enclosing scope of the same key is restored after. A task spawned inside the scope is
//! a new future: it does not inherit the value.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: one or more `[pub] static NAME: T;`, each a
/// [`LocalKey<T>`](crate::task::LocalKey).
///
/// # Examples
/// ```
/// tokio::task_local! {
///     pub static REQUEST_ID: u64;
///     static USER: String;
/// }
///
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let seen = rt.block_on(REQUEST_ID.scope(42, async {
///     tokio::task::yield_now().await;
///     REQUEST_ID.get()
/// }));
/// assert_eq!(seen, 42);
/// assert!(USER.try_with(|u| u.len()).is_err());
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__tokio_task_local_inner!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__tokio_task_local_inner!($(#[$attr])* $vis $name, $t);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __tokio_task_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __TOKIO_TASK_LOCAL: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__new(__TOKIO_TASK_LOCAL)
        };
    };
}

/// A key for task-local data, declared with [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    slot: std::thread::LocalKey<RefCell<Option<T>>>,
}

/// Why a task-local value could not be set for a scope.
enum ScopeError {
    /// The key is borrowed by `with`/`try_with` on this thread.
    Borrowed,
    /// The thread's locals are being destroyed.
    Destroyed,
}

impl ScopeError {
    #[track_caller]
    fn panic(&self) -> ! {
        match self {
            ScopeError::Borrowed => {
                panic!("cannot enter a task-local scope while the task-local storage is borrowed")
            }
            ScopeError::Destroyed => panic!(
                "cannot enter a task-local scope during or after destruction of the underlying \
                 thread-local"
            ),
        }
    }
}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(slot: std::thread::LocalKey<RefCell<Option<T>>>) -> Self {
        LocalKey { slot }
    }

    /// Sets `value` for every poll of `f`; the value is dropped with the returned future.
    ///
    /// # Panics
    /// When the returned future is polled inside `with`/`try_with` of the same key.
    pub fn scope<F: Future>(&'static self, value: T, f: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            local: self,
            slot: Some(value),
            future: Some(f),
        }
    }

    /// Sets `value` while the closure `f` runs, then drops it.
    ///
    /// # Examples
    /// ```
    /// tokio::task_local! {
    ///     static NAME: String;
    /// }
    /// let len = NAME.sync_scope("gopher".to_string(), || NAME.with(|n| n.len()));
    /// assert_eq!(len, 6);
    /// ```
    #[track_caller]
    pub fn sync_scope<F, R>(&'static self, value: T, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        let mut slot = Some(value);
        match self.scope_inner(&mut slot, f) {
            Ok(r) => r,
            Err(e) => e.panic(),
        }
    }

    /// Swaps `slot` into the key, runs `f`, and swaps it back out (also on unwind).
    fn scope_inner<R>(&'static self, slot: &mut Option<T>, f: impl FnOnce() -> R) -> Result<R, ScopeError> {
        struct Restore<'a, T: 'static> {
            key: &'static LocalKey<T>,
            slot: &'a mut Option<T>,
        }
        impl<T: 'static> Drop for Restore<'_, T> {
            fn drop(&mut self) {
                let _ = self
                    .key
                    .slot
                    .try_with(|c| std::mem::swap(self.slot, &mut *c.borrow_mut()));
            }
        }
        self.slot
            .try_with(|c| {
                c.try_borrow_mut()
                    .map(|mut v| std::mem::swap(slot, &mut *v))
                    .map_err(|_| ScopeError::Borrowed)
            })
            .map_err(|_| ScopeError::Destroyed)??;
        let restore = Restore { key: self, slot };
        let r = f();
        drop(restore);
        Ok(r)
    }

    /// Runs `f` with the value of the scope being polled.
    ///
    /// # Panics
    /// Outside a scope of this key.
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(r) => r,
            Err(_) => panic!("cannot access a task-local storage value without setting it first"),
        }
    }

    /// Runs `f` with the value of the scope being polled, or `AccessError` outside one.
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        let res = self.slot.try_with(|c| match c.try_borrow() {
            Ok(v) => v.as_ref().map(f),
            Err(_) => None,
        });
        match res {
            Ok(Some(r)) => Ok(r),
            _ => Err(AccessError(())),
        }
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A clone of the value of the scope being polled.
    ///
    /// # Panics
    /// Outside a scope of this key.
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(|v| v.clone())
    }

    /// A clone of the value, or `AccessError` outside a scope of this key.
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(|v| v.clone())
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("LocalKey { .. }")
    }
}

/// A task-local value was read outside a scope of its key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessError").finish()
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set")
    }
}

impl std::error::Error for AccessError {}

pin_project_lite::pin_project! {
    /// The future of [`LocalKey::scope`]: `F` with the key's value set in every poll, and in
    /// its drop.
    pub struct TaskLocalFuture<T: 'static, F> {
        local: &'static LocalKey<T>,
        slot: Option<T>,
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut future = this.future;
            if future.is_some() {
                // The future's destructor sees the value, as tokio's does.
                let _ = this.local.scope_inner(this.slot, || future.set(None));
            }
        }
    }
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the value out (`None` once taken); the future then runs without it.
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        self.project().slot.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut future = this.future;
        let res = this.local.scope_inner(this.slot, || {
            let poll = future.as_mut().as_pin_mut().map(|f| f.poll(cx));
            if let Some(Poll::Ready(_)) = poll {
                future.set(None);
            }
            poll
        });
        match res {
            Ok(Some(p)) => p,
            Ok(None) => panic!("`TaskLocalFuture` polled after completion"),
            Err(e) => e.panic(),
        }
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("has_value", &self.slot.is_some())
            .finish_non_exhaustive()
    }
}
