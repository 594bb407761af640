//! UDP: send_to/recv_from, connect/send/recv, peer filtering, std conversion.

mod common;

use common::{rt, watchdog};
use gosched_executor::time::timeout;
use gosched_net::UdpSocket;
use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(5);

#[test]
fn send_to_and_recv_from_round_trip() {
    let _w = watchdog("send_to_and_recv_from_round_trip", Duration::from_secs(30));
    rt(2).block_on(async {
        let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let server_addr = server.local_addr().unwrap();
        let s = server.clone();
        // An echo server: 50 datagrams back to whoever sent them.
        let echo = gosched_executor::spawn(async move {
            let mut buf = [0; 1500];
            for _ in 0..50 {
                let (n, from) = s.recv_from(&mut buf).await.unwrap();
                s.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let client = UdpSocket::bind(("127.0.0.1", 0)).await.unwrap();
        let mut buf = [0; 1500];
        for i in 0..50u8 {
            let msg = vec![i; 1 + usize::from(i) * 20];
            assert_eq!(client.send_to(&msg, server_addr).await.unwrap(), msg.len());
            let (n, from) = timeout(LIMIT, client.recv_from(&mut buf)).await.unwrap().unwrap();
            assert_eq!(from, server_addr);
            assert_eq!(&buf[..n], &msg[..]);
        }
        echo.await.unwrap();
    });
}

#[test]
fn connect_send_recv_round_trip() {
    let _w = watchdog("connect_send_recv_round_trip", Duration::from_secs(30));
    rt(1).block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        assert_eq!(a.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(format!("127.0.0.1:{}", a.local_addr().unwrap().port()))
            .await
            .unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());

        a.send(b"ping").await.unwrap();
        let mut buf = [0; 8];
        let n = timeout(LIMIT, b.recv(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"ping");
        b.send(b"pong").await.unwrap();
        let n = timeout(LIMIT, a.recv(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"pong");

        // A connected socket ignores datagrams from anyone else.
        let stranger = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
        stranger.send_to(b"noise", a.local_addr().unwrap()).await.unwrap();
        b.send(b"real").await.unwrap();
        let n = timeout(LIMIT, a.recv(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"real");
        assert!(format!("{a:?}").contains("UdpSocket"));
    });
}

#[test]
fn send_to_with_no_address_is_invalid_input() {
    let _w = watchdog("send_to_with_no_address", Duration::from_secs(30));
    rt(1).block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let e = a.send_to(b"x", &[][..]).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = a.send_to(b"x", "no-port-here").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    });
}
