//! `tokio::sync::OnceCell`: `std::sync::OnceLock` for the value, an async [`Mutex`] so that one
//! initializer runs at a time (a cancelled one lets the next waiter try).

use super::Mutex;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

/// A cell written once, whose initializer may be async.
///
/// # Examples
/// ```
/// static CELL: tokio::sync::OnceCell<u32> = tokio::sync::OnceCell::const_new();
/// let v = futures::executor::block_on(CELL.get_or_init(|| async { 7 }));
/// assert_eq!(*v, 7);
/// assert!(CELL.initialized());
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    init: Mutex<()>,
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell").field("value", &self.get()).finish()
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> Self {
        match self.get() {
            Some(v) => OnceCell::new_with(Some(v.clone())),
            None => OnceCell::new(),
        }
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T> From<T> for OnceCell<T> {
    fn from(v: T) -> Self {
        OnceCell::new_with(Some(v))
    }
}

impl<T> OnceCell<T> {
    /// An empty cell.
    pub fn new() -> Self {
        OnceCell::const_new()
    }

    /// An empty cell, usable in `static`s.
    pub const fn const_new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: Mutex::const_new(()),
        }
    }

    /// A cell holding `value` if it is `Some`.
    pub fn new_with(value: Option<T>) -> Self {
        let cell = OnceCell::new();
        if let Some(v) = value {
            let _ = cell.value.set(v);
        }
        cell
    }

    /// Whether the cell holds a value.
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// The value, if set, through `&mut self`.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// Sets the value if the cell is empty and no initializer is running.
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        let Ok(_guard) = self.init.try_lock() else {
            return Err(SetError::InitializingError(value));
        };
        self.value.set(value).map_err(SetError::AlreadyInitializedError)
    }

    /// The value, running `f` to set it first if the cell is empty. Concurrent callers wait
    /// for one initializer; if it is cancelled, the next caller in line runs its own.
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(f().await) })
            .await
        {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// Like [`get_or_init`](Self::get_or_init), but `f` may fail: the error is returned and the
    /// cell stays empty for the next caller.
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.get() {
            return Ok(v);
        }
        let _guard = self.init.lock().await;
        if let Some(v) = self.get() {
            return Ok(v);
        }
        let v = f().await?;
        Ok(self.value.get_or_init(|| v))
    }

    /// The value, consuming the cell.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty.
    pub fn take(&mut self) -> Option<T> {
        self.value.take()
    }
}

/// The error of [`OnceCell::set`], carrying the value back.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already held a value.
    AlreadyInitializedError(T),
    /// An initializer was running.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// Whether the cell already held a value.
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// Whether an initializer was running.
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("AlreadyInitializedError"),
            SetError::InitializingError(_) => f.write_str("InitializingError"),
        }
    }
}

impl<T: fmt::Debug> Error for SetError<T> {}
