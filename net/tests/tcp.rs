//! TCP: errors are the OS's (refused, in use, reset), end of stream, shutdown wakes a waiting
//! reader, try_read/try_write, TcpSocket, std conversions, and the outside-runtime panic.

mod common;

use common::{closed_port, panic_message, rt, watchdog};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use gosched_executor::time::{sleep, timeout};
use gosched_net::{TcpListener, TcpSocket, TcpStream};
use std::io::ErrorKind;
use std::net::{Ipv4Addr, Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(5);

/// A connected pair over loopback: (client, server side).
async fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    let (s, peer) = l.accept().await.unwrap();
    assert_eq!(peer, c.local_addr().unwrap());
    (c, s)
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    let _w = watchdog("connect_to_a_closed_port_is_refused", Duration::from_secs(30));
    rt(2).block_on(async {
        let port = closed_port();
        let e = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let e = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
    });
}

#[test]
fn connect_tries_each_address_and_returns_the_last_error() {
    let _w = watchdog("connect_tries_each_address", Duration::from_secs(30));
    rt(2).block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let good = l.local_addr().unwrap();
        let bad = SocketAddr::from((Ipv4Addr::LOCALHOST, closed_port()));
        let s = TcpStream::connect(&[bad, good][..]).await.unwrap();
        assert_eq!(s.peer_addr().unwrap(), good);
        let e = TcpStream::connect(&[bad, bad][..]).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
        let e = TcpStream::connect(&[][..]).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn binding_a_used_port_is_addr_in_use() {
    let _w = watchdog("binding_a_used_port_is_addr_in_use", Duration::from_secs(30));
    rt(1).block_on(async {
        let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = first.local_addr().unwrap();
        let e = TcpListener::bind(addr).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AddrInUse, "{e}");

        // With SO_REUSEPORT on both, two listeners may share a port.
        let a = TcpSocket::new_v4().unwrap();
        a.set_reuseport(true).unwrap();
        a.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let shared = a.local_addr().unwrap();
        let b = TcpSocket::new_v4().unwrap();
        b.set_reuseport(true).unwrap();
        b.bind(shared).unwrap();
        let (_a, _b) = (a.listen(8).unwrap(), b.listen(8).unwrap());
        // Without it, the same bind fails.
        let c = TcpSocket::new_v4().unwrap();
        assert_eq!(c.bind(shared).unwrap_err().kind(), ErrorKind::AddrInUse);
    });
}

#[test]
fn a_peer_reset_mid_read_is_connection_reset() {
    let _w = watchdog(
        "a_peer_reset_mid_read_is_connection_reset",
        Duration::from_secs(30),
    );
    rt(2).block_on(async {
        let (mut client, server) = pair().await;
        client.write_all(b"0123456789").await.unwrap();
        let reader = gosched_executor::spawn(async move {
            let mut server = server;
            let mut buf = [0; 10];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"0123456789");
            // Now wait for more: the peer resets instead.
            server.read(&mut buf).await
        });
        sleep(Duration::from_millis(20)).await;
        socket2::SockRef::from(&client)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(client); // RST
        let res = timeout(LIMIT, reader).await.expect("the reader hung").unwrap();
        assert_eq!(res.unwrap_err().kind(), ErrorKind::ConnectionReset);
    });
}

#[test]
fn a_peer_close_reads_as_eof() {
    let _w = watchdog("a_peer_close_reads_as_eof", Duration::from_secs(30));
    rt(2).block_on(async {
        let (mut client, mut server) = pair().await;
        client.write_all(b"bye").await.unwrap();
        drop(client);
        let mut got = Vec::new();
        timeout(LIMIT, server.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, b"bye");
        let mut buf = [0; 4];
        assert_eq!(server.read(&mut buf).await.unwrap(), 0, "EOF is sticky");
    });
}

#[test]
fn shutdown_through_a_shared_ref_wakes_a_waiting_reader() {
    let _w = watchdog("shutdown_wakes_a_waiting_reader", Duration::from_secs(30));
    for maxprocs in [1, 2] {
        rt(maxprocs).block_on(async {
            let (_client, server) = pair().await;
            let server = Arc::new(server);
            let s2 = server.clone();
            let reader = gosched_executor::spawn(async move {
                let mut buf = [0; 8];
                (&*s2).read(&mut buf).await
            });
            sleep(Duration::from_millis(30)).await;
            assert!(
                !reader.is_finished(),
                "the reader should be waiting: nothing was sent"
            );
            server.shutdown(Shutdown::Both).unwrap();
            let res = timeout(LIMIT, reader)
                .await
                .expect("shutdown did not wake the reader")
                .unwrap();
            assert!(matches!(res, Ok(0) | Err(_)), "{res:?}");
        });
    }
}

#[test]
fn try_read_and_try_write_say_would_block_when_not_ready() {
    let _w = watchdog("try_read_and_try_write", Duration::from_secs(30));
    rt(1).block_on(async {
        let (client, server) = pair().await;
        let mut buf = [0; 16];
        assert_eq!(
            server.try_read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        client.writable().await.unwrap();
        assert_eq!(client.try_write(b"abc").unwrap(), 3);
        let n = loop {
            server.readable().await.unwrap();
            match server.try_read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(&buf[..n], b"abc");
        // Fill the send buffer: try_write ends in WouldBlock instead of waiting.
        let chunk = vec![7u8; 64 * 1024];
        let mut sent = 0usize;
        let err = loop {
            match client.try_write(&chunk) {
                Ok(n) => sent += n,
                Err(e) => break e,
            }
            assert!(sent < 1 << 30, "the send buffer never filled");
        };
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert!(sent > 0);
    });
}

#[test]
fn options_addresses_and_std_conversions() {
    let _w = watchdog("options_addresses_and_std_conversions", Duration::from_secs(30));
    rt(1).block_on(async {
        let (client, server) = pair().await;
        assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        client.set_nodelay(false).unwrap();
        assert!(!client.nodelay().unwrap());

        let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let l = TcpListener::from_std(std_l).unwrap();
        let std_s = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let mut s = TcpStream::from_std(std_s).unwrap();
        let (mut accepted, _) = l.accept().await.unwrap();
        s.write_all(b"std").await.unwrap();
        let mut buf = [0; 3];
        accepted.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"std");
        s.write_all(b"pk").await.unwrap();
        let mut peeked = [0; 2];
        let n = accepted.peek(&mut peeked).await.unwrap();
        assert_eq!(&peeked[..n], &b"pk"[..n]);
        accepted.read_exact(&mut peeked).await.unwrap();
        assert_eq!(&peeked, b"pk");

        let sock = TcpSocket::new_v4().unwrap();
        sock.set_send_buffer_size(32 * 1024).unwrap();
        sock.set_recv_buffer_size(32 * 1024).unwrap();
        assert!(sock.send_buffer_size().unwrap() >= 32 * 1024);
        sock.set_reuseaddr(true).unwrap();
        assert!(sock.reuseaddr().unwrap());
        assert!(format!("{sock:?} {l:?} {s:?}").contains("TcpStream"));
    });
}

#[test]
fn ipv6_loopback_when_available() {
    let _w = watchdog("ipv6_loopback_when_available", Duration::from_secs(30));
    rt(1).block_on(async {
        let l = match TcpListener::bind("[::1]:0").await {
            Ok(l) => l,
            // No IPv6 on this machine: nothing to test.
            Err(e) if e.kind() == ErrorKind::AddrNotAvailable => return,
            Err(e) => panic!("{e}"),
        };
        let addr = l.local_addr().unwrap();
        let mut c = TcpSocket::new_v6().unwrap().connect(addr).await.unwrap();
        let (mut s, _) = l.accept().await.unwrap();
        c.write_all(b"v6").await.unwrap();
        let mut buf = [0; 2];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"v6");
    });
}

#[test]
fn creating_a_socket_outside_a_runtime_panics_clearly() {
    let _w = watchdog(
        "creating_a_socket_outside_a_runtime_panics",
        Duration::from_secs(30),
    );
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = std::panic::catch_unwind(move || TcpListener::from_std(std_l)).unwrap_err();
    let msg = panic_message(&*err);
    assert!(msg.contains("outside a gosched runtime"), "{msg}");
    let err = std::panic::catch_unwind(|| futures::executor::block_on(TcpListener::bind("127.0.0.1:0")));
    assert!(err.is_err(), "bind polled outside a runtime must panic");
}
