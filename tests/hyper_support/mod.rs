//! Helpers shared by the hyper stack tests (`hyper_server`, `hyper_client`, `axum`,
//! `hyper_scripted`), with the workspace's test kit (watchdog, `LIMIT`, `eventually`).
#![allow(dead_code, unused_imports)]

pub use gosched_testkit::{LIMIT, eventually, watchdog};

use gosched::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A runtime with `maxprocs` Ps.
pub fn rt(maxprocs: usize) -> gosched::runtime::Runtime {
    gosched::runtime::Builder::new()
        .maxprocs(maxprocs)
        .build()
        .unwrap()
}

/// What every handler checks: it runs as a gosched task and no tokio runtime exists.
pub fn assert_on_gosched_without_tokio() {
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "a tokio runtime is running"
    );
    assert!(gosched::task::try_id().is_some(), "not inside a gosched task");
}

/// Accepts connections forever, counting them, and hands each to `serve` in a task of its own.
pub fn accept_loop<F, Fut>(listener: TcpListener, serve: F) -> Arc<AtomicUsize>
where
    F: Fn(gosched::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    gosched::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            gosched::spawn(serve(stream));
        }
    });
    accepted
}
