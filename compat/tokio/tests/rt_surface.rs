//! The runtime, task, time, net and signal rows of README.md's "provided" column, checked at
//! compile time against tokio's documented signatures (fn-pointer coercions fail to compile
//! when a signature differs), plus the auto traits tokio documents.
#![allow(clippy::type_complexity, clippy::let_underscore_future)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, Ready};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use tokio::runtime::{Builder, EnterGuard, Handle, Runtime, RuntimeFlavor, TryCurrentError};
use tokio::task::{AbortHandle, Id, JoinError, JoinHandle, JoinSet};
use tokio::time::{Instant, Interval, MissedTickBehavior, Sleep, Timeout};

fn send_sync<T: Send + Sync>() {}
fn unpin<T: Unpin>() {}
fn io_stream<T: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static>() {}

#[test]
fn auto_traits() {
    send_sync::<Runtime>();
    send_sync::<Handle>();
    send_sync::<Builder>();
    send_sync::<JoinHandle<u8>>();
    send_sync::<AbortHandle>();
    send_sync::<JoinError>();
    send_sync::<JoinSet<u8>>();
    send_sync::<Sleep>();
    send_sync::<Interval>();
    send_sync::<TcpListener>();
    send_sync::<UdpSocket>();
    send_sync::<tokio::signal::unix::Signal>();
    unpin::<JoinHandle<u8>>();
    io_stream::<TcpStream>();
    io_stream::<tokio::net::UnixStream>();
    fn reader<T: AsyncRead + Unpin + Send + Sync>() {}
    fn writer<T: AsyncWrite + Unpin + Send + Sync>() {}
    reader::<tokio::net::tcp::OwnedReadHalf>();
    writer::<tokio::net::tcp::OwnedWriteHalf>();
    reader::<tokio::net::unix::OwnedReadHalf>();
    writer::<tokio::net::unix::OwnedWriteHalf>();
    reader::<tokio::net::tcp::ReadHalf<'_>>();
    writer::<tokio::net::tcp::WriteHalf<'_>>();
    reader::<tokio::net::unix::ReadHalf<'_>>();
    writer::<tokio::net::unix::WriteHalf<'_>>();
}

#[test]
fn runtime_signatures() {
    let _: fn() -> Builder = Builder::new_current_thread;
    let _: fn() -> Builder = Builder::new_multi_thread;
    let _: fn(&mut Builder) -> &mut Builder = Builder::enable_all;
    let _: fn(&mut Builder, usize) -> &mut Builder = Builder::worker_threads;
    let _: fn(&mut Builder, usize) -> &mut Builder = Builder::max_blocking_threads;
    let _: fn(&mut Builder, usize) -> &mut Builder = Builder::thread_stack_size;
    let _: fn(&mut Builder, Duration) -> &mut Builder = Builder::thread_keep_alive;
    let _: fn(&mut Builder, bool) -> &mut Builder = Builder::start_paused;
    let _: fn(&mut Builder, u32) -> &mut Builder = Builder::global_queue_interval;
    let _: fn(&mut Builder, u32) -> &mut Builder = Builder::event_interval;
    let _: fn(&mut Builder) -> io::Result<Runtime> = Builder::build;
    let _: fn() -> io::Result<Runtime> = Runtime::new;
    let _: fn(&Runtime) -> &Handle = Runtime::handle;
    let _: for<'a> fn(&'a Runtime) -> EnterGuard<'a> = Runtime::enter;
    let _: fn(Runtime, Duration) = Runtime::shutdown_timeout;
    let _: fn(Runtime) = Runtime::shutdown_background;
    let _: fn() -> Handle = Handle::current;
    let _: fn() -> Result<Handle, TryCurrentError> = Handle::try_current;
    let _: for<'a> fn(&'a Handle) -> EnterGuard<'a> = Handle::enter;
    let _: fn(&Handle) -> RuntimeFlavor = Handle::runtime_flavor;
    let _: fn(&Runtime, std::future::Ready<u8>) -> JoinHandle<u8> = Runtime::spawn;
    let _: fn(&Handle, fn() -> u8) -> JoinHandle<u8> = Handle::spawn_blocking;
    let _: fn(&Handle, std::future::Ready<u8>) -> u8 = Handle::block_on;
}

#[test]
fn task_signatures() {
    let _: fn(std::future::Ready<u8>) -> JoinHandle<u8> = tokio::spawn;
    let _: fn(std::future::Ready<u8>) -> JoinHandle<u8> = tokio::task::spawn;
    let _: fn(fn() -> u8) -> JoinHandle<u8> = tokio::task::spawn_blocking;
    let _: fn(fn() -> u8) -> u8 = tokio::task::block_in_place::<fn() -> u8, u8>;
    let _: fn() -> Id = tokio::task::id;
    let _: fn() -> Option<Id> = tokio::task::try_id;
    let _: fn(&JoinHandle<u8>) = JoinHandle::abort;
    let _: fn(&JoinHandle<u8>) -> bool = JoinHandle::is_finished;
    let _: fn(&JoinHandle<u8>) -> AbortHandle = JoinHandle::abort_handle;
    let _: fn(&JoinHandle<u8>) -> Id = JoinHandle::id;
    let _: fn(&JoinError) -> bool = JoinError::is_cancelled;
    let _: fn(JoinError) -> Box<dyn std::any::Any + Send> = JoinError::into_panic;
    let _: fn(&mut JoinSet<u8>, std::future::Ready<u8>) -> AbortHandle = JoinSet::spawn;
    let _: fn(&mut JoinSet<u8>) -> Option<Result<u8, JoinError>> = JoinSet::try_join_next;
    let _: fn(&mut JoinSet<u8>, &mut Context<'_>) -> Poll<Option<Result<(Id, u8), JoinError>>> =
        JoinSet::poll_join_next_with_id;
    let _: fn(&mut Context<'_>) -> Poll<tokio::task::coop::RestoreOnPending> =
        tokio::task::coop::poll_proceed;
    let _: fn() -> bool = tokio::task::coop::has_budget_remaining;
    let _: fn(std::future::Ready<u8>) -> tokio::task::Unconstrained<std::future::Ready<u8>> =
        tokio::task::unconstrained;
    tokio::task_local! { static KEY: String; }
    let _: fn(&'static tokio::task::LocalKey<String>) -> String = tokio::task::LocalKey::get;
    let _: tokio::task::TaskLocalFuture<String, std::future::Ready<()>> =
        KEY.scope(String::new(), std::future::ready(()));
}

#[test]
fn time_signatures() {
    let _: fn(Duration) -> Sleep = tokio::time::sleep;
    let _: fn(Instant) -> Sleep = tokio::time::sleep_until;
    let _: fn(Pin<&mut Sleep>, Instant) = Sleep::reset;
    let _: fn(&Sleep) -> Instant = Sleep::deadline;
    let _: fn(&Sleep) -> bool = Sleep::is_elapsed;
    let _: fn(Duration, std::future::Ready<u8>) -> Timeout<std::future::Ready<u8>> = tokio::time::timeout;
    let _: fn(Instant, std::future::Ready<u8>) -> Timeout<std::future::Ready<u8>> = tokio::time::timeout_at;
    let _: fn(Timeout<std::future::Ready<u8>>) -> std::future::Ready<u8> = Timeout::into_inner;
    let _: fn(Duration) -> Interval = tokio::time::interval;
    let _: fn(Instant, Duration) -> Interval = tokio::time::interval_at;
    let _: fn(&mut Interval, &mut Context<'_>) -> Poll<Instant> = Interval::poll_tick;
    let _: fn(&mut Interval, MissedTickBehavior) = Interval::set_missed_tick_behavior;
    let _: fn(&mut Interval, Duration) = Interval::reset_after;
    let _: fn(&mut Interval, Instant) = Interval::reset_at;
    let _: fn() -> Instant = Instant::now;
    let _: fn(std::time::Instant) -> Instant = Instant::from_std;
    let _: fn(Instant) -> std::time::Instant = Instant::into_std;
    let _: fn(&Instant, Instant) -> Duration = Instant::saturating_duration_since;
    let _: fn() = tokio::time::pause;
    let _: fn() = tokio::time::resume;
    let _ = tokio::time::advance(Duration::ZERO);
    let _: tokio::time::error::Elapsed;
    assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
}

#[test]
fn net_signatures() {
    let _: fn(&TcpListener, &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> =
        TcpListener::poll_accept;
    let _: fn(std::net::TcpListener) -> io::Result<TcpListener> = TcpListener::from_std;
    let _: fn(TcpListener) -> io::Result<std::net::TcpListener> = TcpListener::into_std;
    let _: fn(std::net::TcpStream) -> io::Result<TcpStream> = TcpStream::from_std;
    let _: fn(TcpStream) -> io::Result<std::net::TcpStream> = TcpStream::into_std;
    let _: fn(&TcpStream, &mut Context<'_>) -> Poll<io::Result<()>> = TcpStream::poll_read_ready;
    let _: fn(&TcpStream, &mut Context<'_>, &mut ReadBuf<'_>) -> Poll<io::Result<usize>> =
        TcpStream::poll_peek;
    let _: fn(&TcpStream, &mut [u8]) -> io::Result<usize> = TcpStream::try_read;
    let _: fn(&TcpStream, &mut Vec<u8>) -> io::Result<usize> = TcpStream::try_read_buf;
    let _: fn(&TcpStream, &[io::IoSlice<'_>]) -> io::Result<usize> = TcpStream::try_write_vectored;
    let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_linger;
    let _: fn(&mut TcpStream) -> (tokio::net::tcp::ReadHalf<'_>, tokio::net::tcp::WriteHalf<'_>) =
        TcpStream::split;
    let _: fn(TcpStream) -> (tokio::net::tcp::OwnedReadHalf, tokio::net::tcp::OwnedWriteHalf) =
        TcpStream::into_split;
    let _: fn(
        tokio::net::tcp::OwnedReadHalf,
        tokio::net::tcp::OwnedWriteHalf,
    ) -> Result<TcpStream, tokio::net::tcp::ReuniteError> = tokio::net::tcp::OwnedReadHalf::reunite;
    let _: fn(std::net::TcpStream) -> TcpSocket = TcpSocket::from_std_stream;
    let _: fn(&TcpSocket, bool) -> io::Result<()> = TcpSocket::set_keepalive;
    let _: fn(TcpSocket, u32) -> io::Result<TcpListener> = TcpSocket::listen;
    let _: fn(&UdpSocket, &mut Context<'_>, &mut ReadBuf<'_>) -> Poll<io::Result<()>> = UdpSocket::poll_recv;
    let _: fn(&UdpSocket, &mut Context<'_>, &mut ReadBuf<'_>) -> Poll<io::Result<SocketAddr>> =
        UdpSocket::poll_recv_from;
    let _: fn(&UdpSocket, &mut Context<'_>, &[u8], SocketAddr) -> Poll<io::Result<usize>> =
        UdpSocket::poll_send_to;
    let _: fn(&UdpSocket, &[u8], SocketAddr) -> io::Result<usize> = UdpSocket::try_send_to;
    let _: fn(&UdpSocket, bool) -> io::Result<()> = UdpSocket::set_broadcast;
    let _: fn(&tokio::net::UnixListener) -> io::Result<tokio::net::unix::SocketAddr> =
        tokio::net::UnixListener::local_addr;
    let _: fn(&tokio::net::unix::SocketAddr) -> bool = tokio::net::unix::SocketAddr::is_unnamed;
    async fn ready(s: &TcpStream) -> io::Result<Ready> {
        s.ready(Interest::READABLE | Interest::WRITABLE).await
    }
    let _ = ready;
    let _ = tokio::net::lookup_host("localhost:80");
    let _ = TcpStream::connect(("127.0.0.1", 80));
    let _ = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)));
    let _ = UdpSocket::bind(String::from("127.0.0.1:0"));
    let _: Ready = Ready::READABLE | Ready::READ_CLOSED;
}

#[test]
fn signal_signatures() {
    use tokio::signal::unix::{Signal, SignalKind};
    let _: fn(SignalKind) -> io::Result<Signal> = tokio::signal::unix::signal;
    let _: fn(&mut Signal, &mut Context<'_>) -> Poll<Option<()>> = Signal::poll_recv;
    let _: fn() -> SignalKind = SignalKind::window_change;
    let _: fn(&SignalKind) -> i32 = SignalKind::as_raw_value;
    fn is_io_future<F: Future<Output = io::Result<()>>>(_: F) {}
    is_io_future(tokio::signal::ctrl_c());
}
