//! `TcpStream::split` / `into_split` and their halves (tokio's `tcp::{ReadHalf, WriteHalf,
//! OwnedReadHalf, OwnedWriteHalf, ReuniteError}`), defined by `split_halves!` (split.rs), plus
//! `peek` on the read halves.

use super::TcpStream;
use std::net::SocketAddr;
use std::task::{Context, Poll};

crate::split::split_halves!(
    TcpStream,
    SocketAddr,
    "    let l = gosched_net::TcpListener::bind(\"127.0.0.1:0\").await.unwrap();
    let a = gosched_net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    let (b, _) = l.accept().await.unwrap();"
);

macro_rules! peek_methods {
    ($($half:ty),*) => {$(
        impl $half {
            /// Reads the next bytes without taking them off the socket (see
            /// [`TcpStream::peek`]).
            ///
            /// # Examples
            /// See [`TcpStream::peek`].
            pub async fn peek(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.inner.peek(buf).await
            }

            /// [`peek`](TcpStream::poll_peek) as a poll function (see [`TcpStream::poll_peek`]).
            ///
            /// # Examples
            /// See [`TcpStream::poll_peek`].
            pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<std::io::Result<usize>> {
                self.inner.poll_peek(cx, buf)
            }
        }
    )*};
}

peek_methods!(ReadHalf<'_>, OwnedReadHalf);
