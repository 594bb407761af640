//! tokio::time on gosched.
//!
//! The mapping: gosched's `Instant` (paused-aware, tokio's methods), `Timeout`, `Elapsed`,
//! `pause`, `resume` and `advance` are re-exported as they are. `sleep`/`Sleep` wrap
//! gosched's `Sleep` for tokio's signatures (`reset(self: Pin<&mut Self>, Instant)`,
//! `sleep_until(Instant)`); `timeout` takes `IntoFuture` as tokio's does. `Interval` is the
//! facade's own, on a gosched `Sleep`, with tokio's three [`MissedTickBehavior`]s (gosched's
//! own interval only skips).
//!
//! # Examples
//! ```
//! use tokio::time::{self, Duration, Instant};
//!
//! let rt = tokio::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
//! rt.block_on(async {
//!     let start = Instant::now();
//!     time::sleep(Duration::from_secs(3600)).await; // paused time: no real hour
//!     assert_eq!(start.elapsed(), Duration::from_secs(3600));
//!     assert!(time::timeout(Duration::from_secs(1), std::future::pending::<()>()).await.is_err());
//! });
//! ```

mod interval;
mod sleep;

pub use gosched_executor::time::{Instant, Timeout, advance, pause, resume};
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use std::time::Duration;

/// tokio's `time::error`.
pub mod error {
    pub use gosched_executor::time::Elapsed;
}

use std::future::IntoFuture;

/// Runs `future` until it finishes or `duration` has passed: `Err(Elapsed)` then, and the
/// future is dropped. The future is polled first, so a ready one wins even at zero.
///
/// # Examples
/// ```
/// use tokio::time::{Duration, timeout};
///
/// let rt = tokio::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let slow = tokio::time::sleep(Duration::from_secs(10));
///     assert!(timeout(Duration::from_secs(1), slow).await.is_err());
///     assert_eq!(timeout(Duration::ZERO, async { 7 }).await, Ok(7));
/// });
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    gosched_executor::time::timeout(duration, future.into_future())
}

/// Like [`timeout`], until `deadline`.
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    gosched_executor::time::timeout_at(deadline, future.into_future())
}
