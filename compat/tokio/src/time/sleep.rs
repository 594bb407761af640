//! `tokio::time::Sleep`: gosched's `Sleep`, with tokio's signatures.

use super::{Duration, Instant};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Waits until `duration` has passed (tokio's `sleep`); polling it outside a runtime panics.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        inner: gosched_executor::time::sleep(duration),
    }
}

/// Waits until `deadline`.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        inner: gosched_executor::time::sleep_until(deadline),
    }
}

/// The future of [`sleep`] and [`sleep_until`]: a gosched timer. Unlike tokio's it is
/// `Unpin`, so pinning it (as tokio code does) is allowed but not needed.
///
/// # Examples
/// ```
/// use tokio::time::{self, Duration, Instant};
///
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut sleep = std::pin::pin!(time::sleep(Duration::from_secs(60)));
///     sleep.as_mut().reset(Instant::now() + Duration::from_millis(1));
///     sleep.as_mut().await;
///     assert!(sleep.is_elapsed());
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    inner: gosched_executor::time::Sleep,
}

impl Sleep {
    /// When this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.inner.deadline()
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        self.inner.is_elapsed()
    }

    /// Moves the deadline (earlier or later); the sleep is pending again until then.
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.get_mut().inner.reset(deadline);
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.inner).poll(cx)
    }
}
