//! TCP's tokio-shaped surface: `ready(Interest)`, `poll_read_ready`/`poll_write_ready`,
//! vectored `try_` I/O, `poll_peek`, `split`/`into_split`/`reunite`, `into_std`, socket
//! options, `TcpListener::poll_accept`, and sockets made under `Handle::enter`.

mod common;

use common::{rt, watchdog};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use gosched_executor::time::timeout;
use gosched_net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use gosched_net::{Interest, TcpListener, TcpStream};
use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, IoSliceMut, Read};
use std::task::Poll;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(5);

async fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    let (s, _) = l.accept().await.unwrap();
    (c, s)
}

/// Reads until `n` bytes arrived, through `try_read` and `readable`.
async fn try_read_n(s: &TcpStream, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0; 64];
    for _ in 0..1_000 {
        if got.len() >= n {
            break;
        }
        timeout(LIMIT, s.readable()).await.unwrap().unwrap();
        match s.try_read(&mut buf) {
            Ok(k) => got.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
    got
}

#[test]
fn ready_reports_what_the_socket_is_ready_for() {
    let _w = watchdog("ready_reports", Duration::from_secs(30));
    rt(2).block_on(async {
        let (a, b) = pair().await;
        // Nothing to read yet: READABLE alone waits; WRITABLE is ready at once.
        let w = timeout(LIMIT, a.ready(Interest::WRITABLE))
            .await
            .unwrap()
            .unwrap();
        assert!(w.is_writable() && !w.is_readable(), "{w:?}");
        assert!(
            timeout(Duration::from_millis(50), b.ready(Interest::READABLE))
                .await
                .is_err()
        );
        a.try_write(b"x").unwrap();
        let r = timeout(LIMIT, b.ready(Interest::READABLE))
            .await
            .unwrap()
            .unwrap();
        assert!(
            r.is_readable() && !r.is_writable(),
            "interest filters the flags: {r:?}"
        );
        let both = b.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
        assert!(both.is_readable() || both.is_writable());
        assert_eq!(try_read_n(&b, 1).await, b"x");
        // The peer's close shows as read-closed.
        drop(a);
        let mut closed = false;
        for _ in 0..500 {
            let r = timeout(LIMIT, b.ready(Interest::READABLE))
                .await
                .unwrap()
                .unwrap();
            if r.is_read_closed() {
                closed = true;
                break;
            }
            // The FIN may be readable (a 0-byte read) before the poller has seen its event:
            // give the poller a turn.
            let _ = b.try_read(&mut [0; 8]);
            gosched_executor::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(closed, "READ_CLOSED after the peer's close");
        assert_eq!(b.try_read(&mut [0; 8]).unwrap(), 0);
    });
}

#[test]
fn poll_read_ready_pends_until_data_and_poll_write_ready_is_ready() {
    let _w = watchdog("poll_ready", Duration::from_secs(30));
    rt(2).block_on(async {
        let (a, b) = pair().await;
        poll_fn(|cx| {
            assert!(b.poll_read_ready(cx).is_pending(), "nothing sent yet");
            Poll::Ready(())
        })
        .await;
        timeout(LIMIT, poll_fn(|cx| a.poll_write_ready(cx)))
            .await
            .unwrap()
            .unwrap();
        a.try_write(b"hello").unwrap();
        // The task registered above is woken by the data.
        timeout(LIMIT, poll_fn(|cx| b.poll_read_ready(cx)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(try_read_n(&b, 5).await, b"hello");
    });
}

#[test]
fn vectored_try_io_and_poll_peek() {
    let _w = watchdog("vectored_and_peek", Duration::from_secs(30));
    rt(2).block_on(async {
        let (a, b) = pair().await;
        a.writable().await.unwrap();
        let n = a
            .try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cdef")])
            .unwrap();
        assert_eq!(n, 6);
        let mut peeked = [0; 6];
        let mut k = 0;
        for _ in 0..100 {
            k = timeout(LIMIT, poll_fn(|cx| b.poll_peek(cx, &mut peeked)))
                .await
                .unwrap()
                .unwrap();
            if k == 6 {
                break;
            }
        }
        assert_eq!(&peeked[..k], b"abcdef");
        let (mut x, mut y) = ([0; 3], [0; 3]);
        let n = b.try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)]);
        assert_eq!(n.unwrap(), 6, "peek left the bytes");
        assert_eq!((&x, &y), (b"abc", b"def"));
        let e = b.try_read_vectored(&mut [IoSliceMut::new(&mut x)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
    });
}

#[test]
fn split_halves_read_and_write_at_once() {
    let _w = watchdog("split", Duration::from_secs(30));
    rt(2).block_on(async {
        let (mut a, mut b) = pair().await;
        let (mut rd, mut wr) = TcpStream::split(&mut a);
        let echo = async {
            let mut buf = [0; 5];
            b.read_exact(&mut buf).await.unwrap();
            b.write_all(&buf).await.unwrap();
        };
        let talk = async {
            wr.write_all(b"12345").await.unwrap();
            let mut back = [0; 5];
            rd.read_exact(&mut back).await.unwrap();
            back
        };
        let ((), back) = futures::join!(echo, talk);
        assert_eq!(&back, b"12345");
        assert_eq!(rd.peer_addr().unwrap(), wr.peer_addr().unwrap());
        // The write half's close shuts the write direction: b reads the end.
        wr.close().await.unwrap();
        let mut rest = Vec::new();
        b.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        assert!(format!("{rd:?}").starts_with("ReadHalf"));
    });
}

#[test]
fn owned_halves_move_to_tasks_and_reunite() {
    let _w = watchdog("into_split", Duration::from_secs(30));
    rt(2).block_on(async {
        let (a, mut b) = pair().await;
        let (mut rd, mut wr): (OwnedReadHalf, OwnedWriteHalf) = a.into_split();
        let reader = gosched_executor::spawn(async move {
            let mut buf = [0; 4];
            rd.read_exact(&mut buf).await.unwrap();
            (rd, buf)
        });
        let writer = gosched_executor::spawn(async move {
            wr.write_all(b"ping").await.unwrap();
            wr
        });
        let mut buf = [0; 4];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        b.write_all(b"pong").await.unwrap();
        let (rd, got) = reader.await.unwrap();
        let wr = writer.await.unwrap();
        assert_eq!(&got, b"pong");
        let mut a = rd.reunite(wr).expect("halves of one stream");
        // Reunited, not shut down: the stream still writes.
        a.write_all(b"again").await.unwrap();
        let mut buf = [0; 5];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"again");
    });
}

#[test]
fn reunite_refuses_halves_of_two_streams_and_drop_shuts_the_write_half() {
    let _w = watchdog("reunite_error", Duration::from_secs(30));
    rt(2).block_on(async {
        let (a, _a_peer) = pair().await;
        let (b, _b_peer) = pair().await;
        let (rd_a, wr_a) = a.into_split();
        let (rd_b, wr_b) = b.into_split();
        let err = rd_a.reunite(wr_b).unwrap_err();
        assert!(err.to_string().contains("not from the same socket"), "{err}");
        assert!(format!("{err:?}").starts_with("ReuniteError"));
        let (rd_a, wr_b) = (err.0, err.1);
        assert!(rd_a.reunite(wr_a).is_ok());
        drop((rd_b, wr_b));
        // Dropping an owned write half shuts its direction down (a is reunited; b's halves
        // were dropped): an OwnedWriteHalf dropped alone ends its peer's stream.
        let (c, mut c_peer) = pair().await;
        let (_rd_c, wr_c) = c.into_split();
        drop(wr_c);
        let mut rest = Vec::new();
        timeout(LIMIT, c_peer.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
        assert!(rest.is_empty());
        // forget() does not.
        let (d, d_peer) = pair().await;
        let (_rd_d, wr_d) = d.into_split();
        wr_d.forget();
        assert!(
            timeout(Duration::from_millis(50), d_peer.readable())
                .await
                .is_err()
        );
    });
}

#[test]
fn into_std_hands_the_socket_out() {
    let _w = watchdog("into_std", Duration::from_secs(30));
    let rt = rt(2);
    let (a, b, l) = rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (b, _) = l.accept().await.unwrap();
        (a, b, l)
    });
    let addr = l.local_addr().unwrap();
    let l = l.into_std().unwrap();
    assert_eq!(l.local_addr().unwrap(), addr);
    let mut b = b.into_std().unwrap();
    b.set_nonblocking(false).unwrap();
    rt.block_on(async { a.writable().await.unwrap() });
    a.try_write(b"std").unwrap();
    let mut buf = [0; 3];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"std");
    // Back again: from_std registers it with the runtime once more.
    let b = rt.block_on(async { TcpStream::from_std(b).unwrap() });
    assert_eq!(b.peer_addr().unwrap(), a.local_addr().unwrap());
}

#[test]
fn stream_and_listener_options() {
    let _w = watchdog("options", Duration::from_secs(30));
    rt(1).block_on(async {
        let (a, _b) = pair().await;
        a.set_linger(Some(Duration::from_secs(2))).unwrap();
        assert_eq!(a.linger().unwrap(), Some(Duration::from_secs(2)));
        a.set_linger(None).unwrap();
        assert_eq!(a.linger().unwrap(), None);
        a.set_ttl(17).unwrap();
        assert_eq!(a.ttl().unwrap(), 17);
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.set_ttl(33).unwrap();
        assert_eq!(l.ttl().unwrap(), 33);
    });
}

#[test]
fn poll_accept_pends_then_accepts() {
    let _w = watchdog("poll_accept", Duration::from_secs(30));
    rt(2).block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        poll_fn(|cx| {
            assert!(l.poll_accept(cx).is_pending(), "no one connected");
            Poll::Ready(())
        })
        .await;
        let addr = l.local_addr().unwrap();
        let client = gosched_executor::spawn(async move { TcpStream::connect(addr).await.unwrap() });
        let (s, peer) = timeout(LIMIT, poll_fn(|cx| l.poll_accept(cx)))
            .await
            .unwrap()
            .unwrap();
        let c = client.await.unwrap();
        assert_eq!(peer, c.local_addr().unwrap());
        assert_eq!(s.local_addr().unwrap(), addr);
    });
}

#[test]
fn sockets_made_under_handle_enter_belong_to_the_runtime() {
    let _w = watchdog("enter_sockets", Duration::from_secs(30));
    let rt = rt(2);
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_l.local_addr().unwrap();
    // A plain thread: no block_on, only the guard.
    let l = {
        let _guard = rt.enter();
        TcpListener::from_std(std_l).unwrap()
    };
    let c = std::net::TcpStream::connect(addr).unwrap();
    let (s, _) = rt.block_on(async { timeout(LIMIT, l.accept()).await.unwrap().unwrap() });
    assert_eq!(s.peer_addr().unwrap(), c.local_addr().unwrap());
}

/// With `tokio-io`, the halves implement tokio's traits too (the facade's `tokio::net` uses them).
#[cfg(feature = "tokio-io")]
#[test]
fn halves_implement_tokios_io_traits() {
    fn read<T: tokio::io::AsyncRead>() {}
    fn write<T: tokio::io::AsyncWrite>() {}
    read::<gosched_net::tcp::ReadHalf<'_>>();
    read::<OwnedReadHalf>();
    write::<gosched_net::tcp::WriteHalf<'_>>();
    write::<OwnedWriteHalf>();
}

#[test]
fn tcp_socket_options_and_from_std_stream() {
    let _w = watchdog("tcp_socket_options", Duration::from_secs(30));
    rt(1).block_on(async {
        let s = gosched_net::TcpSocket::new_v4().unwrap();
        s.set_keepalive(true).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_linger(Some(Duration::from_secs(1))).unwrap();
        s.set_reuseport(true).unwrap();
        assert!(s.keepalive().unwrap() && s.nodelay().unwrap() && s.reuseport().unwrap());
        assert_eq!(s.linger().unwrap(), Some(Duration::from_secs(1)));
        s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let l = s.listen(16).unwrap();
        let addr = l.local_addr().unwrap();
        // A std stream's options, through the socket type; the stream still works after.
        let std = std::net::TcpStream::connect(addr).unwrap();
        let (server, _) = timeout(LIMIT, l.accept()).await.unwrap().unwrap();
        let sock = gosched_net::TcpSocket::from_std_stream(std.try_clone().unwrap());
        sock.set_nodelay(true).unwrap();
        assert!(std.nodelay().unwrap(), "the same socket");
        assert_eq!(sock.local_addr().unwrap(), std.local_addr().unwrap());
        drop(sock);
        std::io::Write::write_all(&mut &std, b"ok").unwrap();
        assert_eq!(try_read_n(&server, 2).await, b"ok");
    });
}
