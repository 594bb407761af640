//! `UnixStream::split`/`into_split` and their halves (tokio's `unix::{ReadHalf, WriteHalf,
//! OwnedReadHalf, OwnedWriteHalf, ReuniteError}`), from `split_halves!` (net/split.rs).

use super::{SocketAddr, UnixStream};

crate::net::split::split_halves!(UnixStream, gosched_net::UnixStream, SocketAddr);
