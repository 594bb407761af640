//! Sockets and a `Handle` whose runtime was dropped: connect, bind and accept fail with an
//! error that names the shutdown, and a stream made before the drop fails its next read the
//! same way. Nothing hangs.

mod common;

use common::{rt, watchdog};
use futures::io::AsyncReadExt;
use gosched_net::{TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

#[test]
fn sockets_on_a_handle_of_a_dropped_runtime_fail_naming_the_shutdown() {
    let _dog = watchdog("net_after_shutdown", Duration::from_secs(60));
    let rt = rt(2);
    let handle = rt.handle().clone();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    // A stream connected before the drop.
    let mut early = rt.block_on(TcpStream::connect(addr)).unwrap();
    let (_peer, _) = std_listener.accept().unwrap();
    drop(rt);

    let err = handle.block_on(TcpStream::connect(addr)).unwrap_err();
    assert!(err.to_string().contains("shut down"), "connect: {err}");
    let err = handle.block_on(TcpListener::bind("127.0.0.1:0")).unwrap_err();
    assert!(err.to_string().contains("shut down"), "bind: {err}");
    let err = handle.block_on(UdpSocket::bind("127.0.0.1:0")).unwrap_err();
    assert!(err.to_string().contains("shut down"), "udp bind: {err}");
    let mut buf = [0u8; 8];
    let err = handle.block_on(early.read(&mut buf)).unwrap_err();
    assert!(err.to_string().contains("shut down"), "read: {err}");
}
