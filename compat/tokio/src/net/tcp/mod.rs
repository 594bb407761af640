//! tokio's TCP types: [`TcpListener`], [`TcpStream`], [`TcpSocket`], and the halves of
//! `TcpStream::split`/`into_split`.

mod listener;
mod socket;
mod split;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::TcpStream;
