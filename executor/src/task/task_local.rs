//! Task-local values: `task_local!` and `LocalKey` (tokio's shape).
//!
//! The value lives *in the future* that [`LocalKey::scope`] returns, not in a thread. Each poll
//! of that future moves the value into the key's thread-local slot, polls the wrapped future,
//! and moves it back out (also when the poll unwinds). So the wrapped future sees the value on
//! whatever M polls it: after a steal, after sysmon handed its P to another thread, after a
//! wake on another thread. A task spawned inside the scope is a new future with no scope: it
//! does not inherit the value.
//!
//! # Examples
//! ```
//! gosched::task_local! {
//!     static REQUEST_ID: u64;
//! }
//!
//! let rt = gosched::runtime::Runtime::new().unwrap();
//! let seen = rt.block_on(REQUEST_ID.scope(42, async {
//!     gosched::task::yield_now().await;
//!     REQUEST_ID.get()
//! }));
//! assert_eq!(seen, 42);
//! ```

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: one or more `[pub] static NAME: T;`, each a
/// [`LocalKey<T>`](crate::task::LocalKey).
///
/// # Examples
/// ```
/// gosched::task_local! {
///     pub static USER: String;
///     static DEPTH: u32;
/// }
///
/// let depth = DEPTH.sync_scope(3, || DEPTH.get());
/// assert_eq!(depth, 3);
/// assert!(USER.try_with(|u| u.len()).is_err());
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __GOSCHED_TASK_LOCAL: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__new(__GOSCHED_TASK_LOCAL, ::std::stringify!($name))
        };
    };
}

/// A key for a task-local value, declared with [`task_local!`](crate::task_local).
///
/// A value is set for the length of a future with [`scope`](LocalKey::scope) (or of a closure
/// with [`sync_scope`](LocalKey::sync_scope)) and read inside with [`with`](LocalKey::with),
/// [`try_with`](LocalKey::try_with) or [`get`](LocalKey::get).
///
/// # Examples
/// ```
/// gosched::task_local! {
///     static TRACE: &'static str;
/// }
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let handle = gosched::spawn(TRACE.scope("req-1", async {
///         gosched::time::sleep(std::time::Duration::from_millis(1)).await;
///         TRACE.with(|t| t.to_string())
///     }));
///     assert_eq!(handle.await.unwrap(), "req-1");
/// });
/// ```
pub struct LocalKey<T: 'static> {
    slot: std::thread::LocalKey<RefCell<Option<T>>>,
    name: &'static str,
}

/// [`LocalKey::try_with`] was called outside a scope of the key (or while the key's value was
/// being replaced).
///
/// # Examples
/// ```
/// gosched::task_local! {
///     static ID: u32;
/// }
///
/// let err = ID.try_with(|id| *id).unwrap_err();
/// assert!(err.to_string().contains("ID"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    name: &'static str,
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessError").field("key", &self.name).finish()
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task-local `{}` accessed outside a scope: set it with {}.scope(value, future) or \
             {}.sync_scope(value, closure)",
            self.name, self.name, self.name
        )
    }
}

impl std::error::Error for AccessError {}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(slot: std::thread::LocalKey<RefCell<Option<T>>>, name: &'static str) -> Self {
        LocalKey { slot, name }
    }

    /// Runs `f` with `value` set for every poll of it, on any thread; the value is dropped
    /// with the returned future.
    ///
    /// # Examples
    /// ```
    /// gosched::task_local! {
    ///     static ID: u64;
    /// }
    ///
    /// let rt = gosched::runtime::Runtime::new().unwrap();
    /// let id = rt.block_on(ID.scope(7, async { ID.get() }));
    /// assert_eq!(id, 7);
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, f: F) -> impl Future<Output = F::Output> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(f),
            _pinned: PhantomPinned,
        }
    }

    /// Runs the closure `f` with `value` set, then drops the value.
    ///
    /// # Examples
    /// ```
    /// gosched::task_local! {
    ///     static NAME: String;
    /// }
    ///
    /// let len = NAME.sync_scope("gopher".to_string(), || NAME.with(|n| n.len()));
    /// assert_eq!(len, 6);
    /// ```
    #[track_caller]
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let mut value = Some(value);
        let _guard = self.enter(&mut value);
        f()
    }

    /// Calls `f` with a reference to the value of the scope being polled.
    ///
    /// # Panics
    /// Outside a scope of this key, with a message naming the key.
    ///
    /// # Examples
    /// ```
    /// gosched::task_local! {
    ///     static NAME: String;
    /// }
    ///
    /// NAME.sync_scope("gopher".into(), || NAME.with(|n| assert_eq!(n, "gopher")));
    /// ```
    #[track_caller]
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        match self.try_with(f) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// As [`with`](LocalKey::with), but an [`AccessError`] instead of a panic outside a scope.
    ///
    /// # Examples
    /// ```
    /// gosched::task_local! {
    ///     static NAME: String;
    /// }
    ///
    /// assert!(NAME.try_with(|n| n.clone()).is_err());
    /// ```
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        let err = AccessError { name: self.name };
        self.slot
            .try_with(|slot| {
                let slot = slot.try_borrow().map_err(|_| err)?;
                slot.as_ref().map(f).ok_or(err)
            })
            .unwrap_or(Err(err))
    }

    /// Moves `value` into the slot until the guard drops (also on unwind), keeping the outer
    /// scope's value, if any, in `value` meanwhile.
    #[track_caller]
    fn enter<'a>(&'static self, value: &'a mut Option<T>) -> Enter<'a, T> {
        self.swap(value);
        Enter { key: self, value }
    }

    #[track_caller]
    fn swap(&'static self, value: &mut Option<T>) {
        let swapped = self.slot.try_with(|slot| {
            slot.try_borrow_mut()
                .map(|mut slot| std::mem::swap(&mut *slot, value))
        });
        match swapped {
            Ok(Ok(())) => {}
            Ok(Err(_)) => panic!(
                "task-local `{}` entered while its value is borrowed (a scope opened inside `with`)",
                self.name
            ),
            Err(_) => panic!(
                "task-local `{}` used while its thread is being torn down",
                self.name
            ),
        }
    }
}

impl<T: Copy + 'static> LocalKey<T> {
    /// A copy of the value of the scope being polled.
    ///
    /// # Panics
    /// Outside a scope of this key, with a message naming the key.
    ///
    /// # Examples
    /// ```
    /// gosched::task_local! {
    ///     static ID: u64;
    /// }
    ///
    /// assert_eq!(ID.sync_scope(9, || ID.get()), 9);
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(|v| *v)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").field("name", &self.name).finish()
    }
}

/// The scope guard: puts the outer value back.
struct Enter<'a, T: 'static> {
    key: &'static LocalKey<T>,
    value: &'a mut Option<T>,
}

impl<T: 'static> Drop for Enter<'_, T> {
    fn drop(&mut self) {
        self.key.swap(self.value);
    }
}

/// The future [`LocalKey::scope`] returns.
///
/// # Fields
/// - `value`: the scope's value between polls; moved into the key's slot for each poll and
///   back. Never pinned (only the future is).
/// - `future`: structurally pinned; `None` once it has been dropped early by `Drop`.
struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    value: Option<T>,
    future: Option<F>,
    _pinned: PhantomPinned,
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned (never moved out while `Some`; `Drop` drops
        // it in place); `value` and `key` are not pinned and are only moved by value.
        let this = unsafe { self.get_unchecked_mut() };
        let _guard = this.key.enter(&mut this.value);
        let future = this
            .future
            .as_mut()
            .expect("a task_local scope future polled after it completed");
        // SAFETY: `future` lives inside the pinned `self` and is never moved (see above).
        let res = unsafe { Pin::new_unchecked(future) }.poll(cx);
        if res.is_ready() {
            // Dropped in place (the pin contract allows that), with the value still in scope:
            // its destructors may read it.
            this.future = None;
        }
        res
    }
}

impl<T: 'static, F> Drop for TaskLocalFuture<T, F> {
    fn drop(&mut self) {
        if self.future.is_none() {
            return;
        }
        // Drop the future with the value in scope, as tokio does: its destructors may read it.
        // If the slot cannot be entered (thread teardown, borrowed), drop it without.
        let entered = self.key.slot.try_with(|slot| match slot.try_borrow_mut() {
            Ok(mut slot) => {
                std::mem::swap(&mut *slot, &mut self.value);
                true
            }
            Err(_) => false,
        });
        let entered = entered.unwrap_or(false);
        // Assigning `None` drops the future in place, as the pin contract requires.
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.future = None));
        if entered {
            let _ = self.key.slot.try_with(|slot| {
                if let Ok(mut slot) = slot.try_borrow_mut() {
                    std::mem::swap(&mut *slot, &mut self.value);
                }
            });
        }
        if let Err(payload) = dropped {
            std::panic::resume_unwind(payload);
        }
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("key", &self.key.name)
            .finish_non_exhaustive()
    }
}
