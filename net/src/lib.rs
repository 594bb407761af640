//! # gosched-net
//!
//! TCP, UDP and Unix domain sockets for [gosched](https://docs.rs/gosched), driven by the
//! runtime's netpoller (Go's `netpoll`: one edge-triggered poller per runtime, polled by idle
//! workers and by sysmon). Reach it as `gosched::net`.
//!
//! - Every socket registers with the poller of the runtime it is created in; creating one
//!   outside a runtime panics with a message naming the fix.
//! - A task waiting on a socket parks (its `WaitReason` is "IO wait" in `dump()`); the poller
//!   makes it runnable again. Each socket operation spends one unit of the task's
//!   cooperative budget, so a task reading a socket that is always ready still lets the other
//!   tasks of its P run.
//! - Byte streams implement `futures::io::{AsyncRead, AsyncWrite}` for `T` and for `&T`, so
//!   one stream can be read and written at once through shared references. With the feature
//!   `tokio-io` they also implement tokio's `AsyncRead`/`AsyncWrite` (hyper, tonic, codecs).
//! - Addresses are gosched's own [`ToSocketAddrs`]: literals never block, host names are
//!   resolved on the blocking pool.
//! - Errors are the OS's `io::Error` with its kind (`ConnectionRefused`, `AddrInUse`, ...).
//!
//! ## Example: a loopback echo server
//! ```
//! use futures::io::{AsyncReadExt, AsyncWriteExt};
//! use gosched::net::{TcpListener, TcpStream};
//!
//! let rt = gosched::runtime::Runtime::builder().maxprocs(2).build().unwrap();
//! rt.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     // The server: one task per connection, each echoing until its peer closes.
//!     gosched::spawn(async move {
//!         loop {
//!             let (conn, _) = listener.accept().await.unwrap();
//!             gosched::spawn(async move {
//!                 let _ = futures::io::copy(&conn, &mut &conn).await;
//!             });
//!         }
//!     });
//!     // Three clients at once.
//!     let clients: Vec<_> = (0..3u8)
//!         .map(|i| {
//!             gosched::spawn(async move {
//!                 let mut s = TcpStream::connect(addr).await.unwrap();
//!                 s.write_all(&[i; 100]).await.unwrap();
//!                 let mut back = [0; 100];
//!                 s.read_exact(&mut back).await.unwrap();
//!                 back == [i; 100]
//!             })
//!         })
//!         .collect();
//!     for c in clients {
//!         assert!(c.await.unwrap());
//!     }
//! });
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    missing_docs,
    missing_debug_implementations
)]

mod addr;
mod poll_io;
mod ready;
mod split;
pub mod tcp;
#[cfg(feature = "tokio-io")]
mod tokio_io;
mod udp;
#[cfg(unix)]
pub mod unix;

pub use addr::{ToSocketAddrs, lookup_host};
pub use ready::{Interest, Ready};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixListener, UnixStream};

/// The contract: every net type is `Send + Sync`.
#[allow(dead_code)]
fn _ensure_send_and_sync() {
    fn is<T: Send + Sync + std::fmt::Debug>() {}
    is::<TcpListener>();
    is::<TcpStream>();
    is::<TcpSocket>();
    is::<UdpSocket>();
    #[cfg(unix)]
    is::<UnixListener>();
    #[cfg(unix)]
    is::<UnixStream>();
}
