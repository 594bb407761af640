//! tokio::net on gosched.
//!
//! The mapping: each type wraps its gosched-net twin (one field, each method one call), so
//! the sockets register with the runtime's netpoller; `stream_io.rs` is the one place the
//! byte streams meet the facade's `AsyncRead`/`AsyncWrite`. `ToSocketAddrs` and
//! `lookup_host` are gosched's, re-exported: the same sealed trait over the same types as
//! tokio's (literals never block; host names resolve on the blocking pool).

pub(crate) mod split;
pub(crate) mod stream_io;
pub mod tcp;
mod udp;
#[cfg(unix)]
pub mod unix;

pub use gosched_net::{ToSocketAddrs, lookup_host};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixListener, UnixStream};
