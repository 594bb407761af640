//! The thin adapter that lets one server and one client run on gosched or on tokio: the
//! handful of runtime operations they need (bind, accept, connect, spawn, a timer), behind
//! the [`Rt`] trait. Bytes move through `futures::io::{AsyncRead, AsyncWrite}`: gosched's
//! `TcpStream` implements them itself, tokio's goes through [`TokioConn`].

use futures::io::{AsyncRead, AsyncWrite};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

/// The runtime operations the echo server and client use.
pub trait Rt: Send + Sync + 'static {
    /// A bound TCP listener.
    type Listener: Send + Sync + 'static;
    /// A connected TCP stream (`TCP_NODELAY` set).
    type Conn: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// A one-shot timer that can be moved.
    type Timer: IdleTimer + Send + 'static;
    /// "gosched" or "tokio".
    const NAME: &'static str;

    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;
    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr>;
    fn accept(listener: &Self::Listener) -> impl Future<Output = io::Result<Self::Conn>> + Send;
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Conn>> + Send;
    /// Spawns `f` as a task; the returned future is its output (a panic in `f` propagates).
    fn spawn<T, F>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static;
    /// A timer that fires at `deadline`.
    fn timer(deadline: Instant) -> Self::Timer;
}

/// A timer future whose deadline can be moved.
pub trait IdleTimer: Future<Output = ()> + Unpin {
    /// Fires at `deadline` instead (pending again until then).
    fn reset(&mut self, deadline: Instant);
}

/// gosched: its own `TcpStream` and `Sleep`.
#[derive(Debug)]
pub struct Gosched;

impl Rt for Gosched {
    type Listener = gosched::net::TcpListener;
    type Conn = gosched::net::TcpStream;
    type Timer = gosched::time::Sleep;
    const NAME: &'static str = "gosched";

    async fn bind(addr: SocketAddr) -> io::Result<Self::Listener> {
        gosched::net::TcpListener::bind(addr).await
    }

    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Conn> {
        let (conn, _) = listener.accept().await?;
        conn.set_nodelay(true)?;
        Ok(conn)
    }

    async fn connect(addr: SocketAddr) -> io::Result<Self::Conn> {
        let conn = gosched::net::TcpStream::connect(addr).await?;
        conn.set_nodelay(true)?;
        Ok(conn)
    }

    fn spawn<T, F>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let handle = gosched::spawn(f);
        async move {
            handle
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        }
    }

    fn timer(deadline: Instant) -> Self::Timer {
        gosched::time::sleep_until(deadline)
    }
}

impl IdleTimer for gosched::time::Sleep {
    fn reset(&mut self, deadline: Instant) {
        gosched::time::Sleep::reset(self, deadline);
    }
}

/// tokio: its `TcpStream` through [`TokioConn`], and a boxed `Sleep`.
#[derive(Debug)]
pub struct Tokio;

/// A tokio byte stream (a `TcpStream` here, a scripted mock in tests/hyper_scripted.rs) with
/// `futures::io` traits (what `tokio_util::compat` does, in 40 lines).
#[derive(Debug)]
pub struct TokioConn<T = tokio::net::TcpStream>(pub T);

impl<T: tokio::io::AsyncRead + Unpin> AsyncRead for TokioConn<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut rb = tokio::io::ReadBuf::new(buf);
        ready!(tokio::io::AsyncRead::poll_read(
            Pin::new(&mut self.0),
            cx,
            &mut rb
        ))?;
        Poll::Ready(Ok(rb.filled().len()))
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> AsyncWrite for TokioConn<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write_vectored(Pin::new(&mut self.0), cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut self.0), cx)
    }
}

impl Rt for Tokio {
    type Listener = tokio::net::TcpListener;
    type Conn = TokioConn;
    type Timer = Pin<Box<tokio::time::Sleep>>;
    const NAME: &'static str = "tokio";

    async fn bind(addr: SocketAddr) -> io::Result<Self::Listener> {
        tokio::net::TcpListener::bind(addr).await
    }

    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Conn> {
        let (conn, _) = listener.accept().await?;
        conn.set_nodelay(true)?;
        Ok(TokioConn(conn))
    }

    async fn connect(addr: SocketAddr) -> io::Result<Self::Conn> {
        let conn = tokio::net::TcpStream::connect(addr).await?;
        conn.set_nodelay(true)?;
        Ok(TokioConn(conn))
    }

    fn spawn<T, F>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let handle = tokio::spawn(f);
        async move {
            handle
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        }
    }

    fn timer(deadline: Instant) -> Self::Timer {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

impl IdleTimer for Pin<Box<tokio::time::Sleep>> {
    fn reset(&mut self, deadline: Instant) {
        self.as_mut().reset(deadline.into());
    }
}
