//! The auto traits gosched's public types promise (checked at compile time; the test only has to build).

use gosched::net::{TcpListener, TcpSocket, TcpStream, UdpSocket, UnixListener, UnixStream};
use gosched::runtime::{Builder, Handle, Metrics, Runtime, TaskInfo};
use gosched::task::{AbortHandle, JoinError, JoinHandle};
use gosched::time::{Elapsed, Interval, Sleep, Timeout};

fn send_sync<T: Send + Sync>() {}
fn unpin<T: Unpin>() {}
fn debug<T: std::fmt::Debug>() {}

#[test]
fn public_types_have_the_promised_auto_traits() {
    send_sync::<Runtime>();
    send_sync::<Handle>();
    send_sync::<AbortHandle>();
    send_sync::<JoinHandle<u32>>();
    send_sync::<JoinError>();
    send_sync::<Sleep>();
    send_sync::<TcpListener>();
    send_sync::<TcpStream>();
    send_sync::<TcpSocket>();
    send_sync::<UdpSocket>();
    send_sync::<UnixListener>();
    send_sync::<UnixStream>();

    unpin::<JoinHandle<u32>>();
    unpin::<Sleep>();
    unpin::<Timeout<std::future::Ready<()>>>();

    debug::<Runtime>();
    debug::<Builder>();
    debug::<Handle>();
    debug::<Metrics>();
    debug::<TaskInfo>();
    debug::<AbortHandle>();
    debug::<JoinHandle<u32>>();
    debug::<JoinError>();
    debug::<Sleep>();
    debug::<Timeout<std::future::Ready<()>>>();
    debug::<Interval>();
    debug::<Elapsed>();
    debug::<TcpStream>();
    debug::<UnixStream>();
}
