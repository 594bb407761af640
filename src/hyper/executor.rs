//! [`GoschedExecutor`]: hyper's `Executor` on gosched's scheduler.

use std::future::Future;

/// hyper's [`Executor`](hyper::rt::Executor): each future hyper hands it (an HTTP/2 stream,
/// a legacy client's connection, a server's upgrade) becomes a gosched task on the **current**
/// runtime, through [`gosched::spawn`](crate::spawn). The task is detached; it shows in
/// `dump()` like any other, with this `execute` as its spawn site.
///
/// # Panics
/// `execute` outside a gosched runtime (hyper calls it from the tasks that drive its
/// connections, which run inside one).
///
/// # Examples
/// ```
/// use gosched::hyper::GoschedExecutor;
/// use hyper::rt::Executor;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (tx, rx) = std::sync::mpsc::channel();
///     GoschedExecutor.execute(async move { tx.send(42).unwrap() });
///     while rx.try_recv().is_err() {
///         gosched::task::yield_now().await;
///     }
/// });
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct GoschedExecutor;

impl<F> hyper::rt::Executor<F> for GoschedExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        drop(gosched_executor::spawn(future));
    }
}
