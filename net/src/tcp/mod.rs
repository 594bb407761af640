//! TCP: [`TcpListener`], [`TcpStream`] and the [`TcpSocket`] builder.

mod listener;
mod socket;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use stream::TcpStream;
