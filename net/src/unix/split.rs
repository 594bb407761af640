//! `UnixStream::split` / `into_split` and their halves (tokio's `unix::{ReadHalf, WriteHalf,
//! OwnedReadHalf, OwnedWriteHalf, ReuniteError}`), defined by `split_halves!` (split.rs).

use super::UnixStream;
use std::os::unix::net::SocketAddr;

crate::split::split_halves!(
    UnixStream,
    SocketAddr,
    "    let (a, b) = gosched_net::UnixStream::pair().unwrap();"
);
