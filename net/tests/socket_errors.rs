//! An error or hang-up is readiness that one operation reports: it never makes a later
//! operation spin (a read that loops ready → `WouldBlock` → ready inside one poll, so a
//! `timeout` around it never fires), and a real later readiness still wakes the task.

mod common;

use common::{rt, watchdog};
use gosched_executor::netpoll::{Direction, Interest, Registration};
use gosched_executor::time::timeout;
use gosched_net::{TcpListener, TcpStream, UdpSocket};
use std::io::ErrorKind;
use std::time::Duration;

/// How long a read with nothing to read must wait before its timeout fires.
const QUIET: Duration = Duration::from_millis(100);

/// A loopback UDP address nothing listens on (bound, then released), and a socket connected
/// to it that has sent one datagram there.
async fn refused_udp() -> (UdpSocket, std::net::SocketAddr) {
    let gone = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = gone.local_addr().unwrap();
    drop(gone);
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    s.connect(addr).await.unwrap();
    s.send(b"anyone?").await.unwrap();
    (s, addr)
}

#[test]
fn udp_recv_after_connection_refused_waits_for_its_timeout() {
    let _w = watchdog("udp_refused_then_timeout", Duration::from_secs(5));
    rt(2).block_on(async {
        let (s, addr) = refused_udp().await;
        let mut buf = [0; 16];
        // The ICMP "port unreachable" arrives as an error event: reported once.
        let err = timeout(Duration::from_secs(2), s.recv(&mut buf))
            .await
            .expect("the refusal never arrived")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        // Nothing to read now: the read must wait (not spin) until its timeout.
        assert!(timeout(QUIET, s.recv(&mut buf)).await.is_err());
        // A datagram that arrives later still wakes the read.
        let peer = std::net::UdpSocket::bind(addr).unwrap();
        peer.send_to(b"late", s.local_addr().unwrap()).unwrap();
        let n = timeout(Duration::from_secs(2), s.recv(&mut buf))
            .await
            .expect("the later datagram did not wake the read")
            .unwrap();
        assert_eq!(&buf[..n], b"late");
    });
}

/// The public readiness API: after `try_io` reported the error and then `WouldBlock`, the
/// source is not ready any more (else a `readiness` + `try_io` loop spins).
#[test]
fn registration_readiness_after_an_error_is_not_ready_forever() {
    let _w = watchdog("registration_error_readiness", Duration::from_secs(5));
    rt(1).block_on(async {
        let gone = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = gone.local_addr().unwrap();
        drop(gone);
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_nonblocking(true).unwrap();
        s.connect(addr).unwrap();
        let reg = Registration::new(&s, Interest::READABLE | Interest::WRITABLE).unwrap();
        s.send(b"anyone?").unwrap();
        let mut buf = [0; 16];
        let err = timeout(Duration::from_secs(2), async {
            loop {
                reg.readiness(Direction::Read).await.unwrap();
                match reg.try_io(Direction::Read, || s.recv(&mut buf)) {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    other => return other,
                }
            }
        })
        .await
        .expect("the refusal never arrived")
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let e = reg.try_io(Direction::Read, || s.recv(&mut buf)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
        assert!(
            timeout(QUIET, reg.readiness(Direction::Read)).await.is_err(),
            "still ready after the error was reported and a read saw WouldBlock"
        );
        // A datagram that arrives later makes it ready again.
        let peer = std::net::UdpSocket::bind(addr).unwrap();
        peer.send_to(b"late", s.local_addr().unwrap()).unwrap();
        timeout(Duration::from_secs(2), reg.readiness(Direction::Read))
            .await
            .expect("the later datagram did not make the source ready")
            .unwrap();
        let n = reg.try_io(Direction::Read, || s.recv(&mut buf)).unwrap();
        assert_eq!(&buf[..n], b"late");
        reg.deregister(&s).unwrap();
    });
}

/// A reset connection (an error and a hang-up event at once): the read reports the reset or
/// the end, and every later read returns at once; nothing spins and nothing hangs.
#[test]
fn tcp_reads_after_a_reset_return_and_never_spin() {
    let _w = watchdog("tcp_reset", Duration::from_secs(5));
    rt(2).block_on(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().unwrap();
        // Linger 0: close sends a reset.
        socket2::SockRef::from(&server)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(server);
        let mut buf = [0; 16];
        for _ in 0..3 {
            let r = timeout(Duration::from_secs(2), client.readable())
                .await
                .expect("the reset never woke the reader");
            r.unwrap();
            match client.try_read(&mut buf) {
                Ok(0) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
                other => panic!("a read after a reset gave {other:?}"),
            }
        }
    });
}

/// The peer's hang-up (it closed its write half): every read returns 0 at once, and a
/// write still works until the peer is gone.
#[test]
fn tcp_reads_after_a_hang_up_return_the_end_at_once() {
    let _w = watchdog("tcp_hang_up", Duration::from_secs(5));
    rt(2).block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        server.shutdown(std::net::Shutdown::Write).unwrap();
        let mut buf = [0; 16];
        for _ in 0..3 {
            let n = timeout(Duration::from_secs(2), async {
                client.readable().await.unwrap();
                client.try_read(&mut buf)
            })
            .await
            .expect("the hang-up never woke the reader")
            .unwrap();
            assert_eq!(n, 0);
        }
        client.writable().await.unwrap();
        assert_eq!(client.try_write(b"x").unwrap(), 1);
        drop(server);
    });
}
