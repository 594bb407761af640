//! `TcpStream::split`/`into_split` and their halves (tokio's `tcp::{ReadHalf, WriteHalf,
//! OwnedReadHalf, OwnedWriteHalf, ReuniteError}`), from `split_halves!` (net/split.rs), plus
//! `peek` on the read halves.

use super::TcpStream;
use crate::io::ReadBuf;
use std::net::SocketAddr;
use std::task::{Context, Poll};

crate::net::split::split_halves!(TcpStream, gosched_net::TcpStream, SocketAddr);

/// `peek` and `poll_peek` on a TCP read half, through `$get` (a gosched stream or half).
macro_rules! peek_methods {
    ($ty:ty, |$s:ident| $get:expr) => {
        impl $ty {
            /// Reads the next bytes without taking them off the socket, waiting for some.
            pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let $s = &*self;
                $get.peek(buf).await
            }

            /// `peek` as a poll function, filling `buf`; returns the bytes peeked.
            pub fn poll_peek(
                &mut self,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<usize>> {
                let $s = &*self;
                stream_io::poll_peek(buf, |b| $get.poll_peek(cx, b))
            }
        }
    };
}

peek_methods!(ReadHalf<'_>, |s| s.0.inner);
peek_methods!(OwnedReadHalf, |s| s.inner);
