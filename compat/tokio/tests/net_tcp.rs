//! tokio::net on gosched: echo over loopback TCP, UDP and Unix sockets through the facade's
//! io traits; readiness and try_ operations; TcpSocket; lookup_host.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// Runs `f` with a 20 s bound, so a hang fails the test.
fn bounded<F: std::future::Future>(f: F) -> F::Output {
    rt().block_on(async {
        tokio::time::timeout(Duration::from_secs(20), f)
            .await
            .expect("test hung")
    })
}

#[test]
fn tcp_echo_many_clients() {
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut conn, peer) = listener.accept().await.unwrap();
                assert_eq!(conn.peer_addr().unwrap(), peer);
                tokio::spawn(async move {
                    let mut buf = vec![0; 4096];
                    loop {
                        let n = conn.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        conn.write_all(&buf[..n]).await.unwrap();
                    }
                });
            }
        });
        let clients: Vec<_> = (0..8u8)
            .map(|i| {
                tokio::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    assert!(s.nodelay().unwrap());
                    let msg = vec![i; 16 * 1024];
                    s.write_all(&msg).await.unwrap();
                    s.flush().await.unwrap();
                    let mut back = vec![0; msg.len()];
                    s.read_exact(&mut back).await.unwrap();
                    back == msg
                })
            })
            .collect();
        for c in clients {
            assert!(c.await.unwrap());
        }
    });
}

#[test]
fn tcp_write_vectored_and_shutdown_reach_the_peer() {
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let bufs = [std::io::IoSlice::new(b"ab"), std::io::IoSlice::new(b"cd")];
        // An idle loopback socket takes 4 bytes in one write.
        assert_eq!(client.write_vectored(&bufs).await.unwrap(), 4);
        client.shutdown().await.unwrap();
        let mut all = Vec::new();
        server.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"abcd");
    });
}

#[test]
fn tcp_try_read_after_readable() {
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut buf = [0; 16];
        assert_eq!(
            server.try_read(&mut buf).unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock
        );
        client.writable().await.unwrap();
        assert_eq!(client.try_write(b"xyz").unwrap(), 3);
        let mut peeked = [0; 3];
        assert_eq!(server.peek(&mut peeked).await.unwrap(), 3);
        assert_eq!(&peeked, b"xyz");
        let n = loop {
            server.readable().await.unwrap();
            match server.try_read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(&buf[..n], b"xyz");
        client.try_write(b"more").unwrap();
        let mut v = Vec::with_capacity(16);
        let n = loop {
            server.readable().await.unwrap();
            match server.try_read_buf(&mut v) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!((n, &v[..]), (4, &b"more"[..]));
    });
}

#[test]
fn tcp_socket_listen_and_connect() {
    bounded(async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        assert!(socket.reuseaddr().unwrap());
        socket.set_recv_buffer_size(64 * 1024).unwrap();
        assert!(socket.recv_buffer_size().unwrap() > 0);
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = socket.local_addr().unwrap();
        let listener = socket.listen(16).unwrap();
        let client = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(client.local_addr().unwrap(), peer);
        assert_eq!(server.local_addr().unwrap(), addr);
    });
}

#[test]
fn tcp_from_std_and_refused() {
    bounded(async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        std_client.set_nonblocking(true).unwrap();
        let mut client = TcpStream::from_std(std_client).unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"std").await.unwrap();
        let mut buf = [0; 3];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"std");
        drop(listener);
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn udp_echo() {
    bounded(async {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0; 1500];
            loop {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                server.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.connect(server_addr).await.unwrap();
        assert_eq!(client.peer_addr().unwrap(), server_addr);
        for i in 0..5u8 {
            client.send(&[i; 32]).await.unwrap();
            let mut buf = [0; 64];
            let n = client.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &[i; 32]);
        }
    });
}

#[cfg(unix)]
#[test]
fn unix_echo() {
    use tokio::net::{UnixListener, UnixStream};
    let dir = std::env::temp_dir().join(format!("frt-unix-{}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let path = dir.clone();
    bounded(async move {
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
        tokio::spawn(async move {
            let (mut conn, addr) = listener.accept().await.unwrap();
            assert!(addr.is_unnamed());
            let mut buf = [0; 5];
            conn.read_exact(&mut buf).await.unwrap();
            conn.write_all(&buf).await.unwrap();
        });
        let mut s = UnixStream::connect(&path).await.unwrap();
        s.write_all(b"hello").await.unwrap();
        let mut back = [0; 5];
        s.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"hello");
        assert_eq!(s.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
    });
    let _ = std::fs::remove_file(&dir);
}

#[test]
fn lookup_host_resolves_literals_and_localhost() {
    bounded(async {
        let addrs: Vec<_> = tokio::net::lookup_host(("127.0.0.1", 80))
            .await
            .unwrap()
            .collect();
        assert_eq!(addrs, ["127.0.0.1:80".parse().unwrap()]);
        let mut local = tokio::net::lookup_host("localhost:8080").await.unwrap();
        assert!(local.all(|a| a.ip().is_loopback() && a.port() == 8080));
    });
}
