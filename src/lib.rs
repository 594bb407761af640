//! # gosched
//!
//! An async executor that schedules Rust futures the way Go's runtime schedules goroutines:
//! each future is a G, `maxprocs` Ps hold local run queues with a `runnext` slot, idle Ms
//! steal half a victim's queue, and sysmon asks long-running tasks to yield.
//!
//! ```
//! #[gosched::main(maxprocs = 2)]
//! async fn main() {
//!     let handles: Vec<_> = (0..10u64).map(|i| gosched::spawn(async move { i * 2 })).collect();
//!     let mut total = 0;
//!     for h in handles {
//!         total += h.await.unwrap();
//!     }
//!     assert_eq!(total, 90);
//! }
//! ```
#![warn(missing_docs)]

pub use gosched_executor::{JoinHandle, block_in_place, spawn, spawn_blocking};
pub use gosched_executor::{coop, netpoll, runtime, signal, task, task_local, time};
pub use gosched_macros::{main, test};

#[cfg(feature = "hyper")]
pub mod hyper;

#[cfg(feature = "debug-http")]
pub mod debug;

/// Sockets driven by gosched's netpoller.
///
/// Besides `futures::io`'s traits, the sockets have tokio's readiness and split surface:
/// `ready(Interest)` → [`Ready`](net::Ready), `readable`/`writable`, `try_read`/`try_write`,
/// `poll_read_ready`/`poll_write_ready`, `split`/`into_split` (halves in [`net::tcp`] and
/// [`net::unix`]), `poll_accept`, `into_std`.
///
/// # Examples
/// Entering a runtime from a plain thread, then a split stream and a hand-written leaf
/// future on the cooperative budget:
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use gosched::net::{Interest, TcpListener, TcpStream};
/// use gosched::task::coop;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// let _guard = rt.enter(); // this thread is inside the runtime until the guard drops
/// let echo = gosched::spawn(async {
///     let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = l.local_addr().unwrap();
///     let client = gosched::spawn(async move {
///         let (mut rd, mut wr) = TcpStream::connect(addr).await.unwrap().into_split();
///         wr.write_all(b"ping").await.unwrap();
///         let mut back = [0; 4];
///         rd.read_exact(&mut back).await.unwrap();
///         rd.reunite(wr).unwrap();
///         back
///     });
///     let (conn, _) = std::future::poll_fn(|cx| l.poll_accept(cx)).await.unwrap();
///     let ready = conn.ready(Interest::READABLE).await.unwrap();
///     assert!(ready.is_readable());
///     let mut buf = [0; 4];
///     (&conn).read_exact(&mut buf).await.unwrap();
///     (&conn).write_all(&buf).await.unwrap();
///     // A leaf future that spends the budget only when it made progress.
///     std::future::poll_fn(|cx| coop::poll_proceed(cx).map(|c| c.made_progress())).await;
///     client.await.unwrap()
/// });
/// assert_eq!(&rt.block_on(echo).unwrap(), b"ping");
/// ```
pub mod net {
    pub use gosched_net::*;
}
