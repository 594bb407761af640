//! UDP's tokio-shaped surface: `ready`, `readable`/`writable`, the `try_` and `poll_`
//! send/receive forms, `peek_from`, options, and `into_std`.

mod common;

use common::{rt, watchdog};
use gosched_executor::time::timeout;
use gosched_net::{Interest, UdpSocket};
use std::future::poll_fn;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::task::Poll;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(5);

/// Receives one datagram through `readable` + `try_recv_from`.
async fn try_recv_from(s: &UdpSocket, buf: &mut [u8]) -> (usize, SocketAddr) {
    for _ in 0..1_000 {
        timeout(LIMIT, s.readable()).await.unwrap().unwrap();
        match s.try_recv_from(buf) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            r => return r.unwrap(),
        }
    }
    panic!("no datagram after 1000 wake-ups");
}

#[test]
fn try_forms_and_readiness() {
    let _w = watchdog("udp_try", Duration::from_secs(30));
    rt(2).block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        // Nothing queued: try_recv_from is WouldBlock and READABLE waits.
        let e = b.try_recv_from(&mut [0; 8]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
        assert!(
            timeout(Duration::from_millis(50), b.ready(Interest::READABLE))
                .await
                .is_err()
        );
        let w = timeout(LIMIT, a.ready(Interest::WRITABLE))
            .await
            .unwrap()
            .unwrap();
        assert!(w.is_writable(), "{w:?}");
        a.writable().await.unwrap();
        assert_eq!(a.try_send_to(b"one", b_addr).unwrap(), 3);
        let r = timeout(LIMIT, b.ready(Interest::READABLE | Interest::WRITABLE))
            .await
            .unwrap();
        assert!(!r.unwrap().is_empty());
        let mut buf = [0; 16];
        assert_eq!(try_recv_from(&b, &mut buf).await, (3, a_addr));
        assert_eq!(&buf[..3], b"one");
        // Connected: try_send / try_recv.
        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        assert_eq!(a.try_send(b"two").unwrap(), 3);
        let mut n = None;
        for _ in 0..1_000 {
            timeout(LIMIT, b.readable()).await.unwrap().unwrap();
            match b.try_recv(&mut buf) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                r => {
                    n = Some(r.unwrap());
                    break;
                }
            }
        }
        assert_eq!(&buf[..n.unwrap()], b"two");
    });
}

#[test]
fn poll_forms_and_peek_from() {
    let _w = watchdog("udp_poll", Duration::from_secs(30));
    rt(2).block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let mut buf = [0; 16];
        poll_fn(|cx| {
            assert!(b.poll_recv_from(cx, &mut buf).is_pending(), "nothing sent");
            Poll::Ready(())
        })
        .await;
        let n = poll_fn(|cx| a.poll_send_to(cx, b"dgram", b_addr)).await.unwrap();
        assert_eq!(n, 5);
        let (n, from) = timeout(LIMIT, b.peek_from(&mut buf)).await.unwrap().unwrap();
        assert_eq!((&buf[..n], from), (&b"dgram"[..], a_addr));
        let (n, from) = poll_fn(|cx| b.poll_peek_from(cx, &mut buf)).await.unwrap();
        assert_eq!((n, from), (5, a_addr), "peeking leaves it queued");
        let (n, from) = timeout(LIMIT, poll_fn(|cx| b.poll_recv_from(cx, &mut buf)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((&buf[..n], from), (&b"dgram"[..], a_addr));
        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        assert_eq!(poll_fn(|cx| a.poll_send(cx, b"c")).await.unwrap(), 1);
        let n = timeout(LIMIT, poll_fn(|cx| b.poll_recv(cx, &mut buf)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"c");
    });
}

#[test]
fn options_multicast_and_into_std() {
    let _w = watchdog("udp_options", Duration::from_secs(30));
    rt(1).block_on(async {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.set_broadcast(true).unwrap();
        assert!(s.broadcast().unwrap());
        s.set_ttl(7).unwrap();
        assert_eq!(s.ttl().unwrap(), 7);
        s.set_multicast_loop_v4(false).unwrap();
        assert!(!s.multicast_loop_v4().unwrap());
        let group = Ipv4Addr::new(239, 255, 0, 77);
        s.join_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
        s.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
        let addr = s.local_addr().unwrap();
        let std = s.into_std().unwrap();
        assert_eq!(std.local_addr().unwrap(), addr);
        // Back again, and still usable.
        let s = UdpSocket::from_std(std).unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        peer.send_to(b"x", addr).await.unwrap();
        let mut buf = [0; 4];
        let (n, _) = timeout(LIMIT, s.recv_from(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"x");
    });
}
