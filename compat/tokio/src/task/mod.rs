//! tokio::task on gosched.

/// Spawns a future as a gosched task on the current runtime.
#[track_caller]
pub fn spawn<F>(future: F) -> gosched_executor::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    gosched_executor::spawn(future)
}
