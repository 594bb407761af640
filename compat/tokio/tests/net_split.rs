//! tokio::net's readiness and split surface on gosched: split/into_split/reunite, ready with
//! Interest, poll_*_ready, vectored try_ I/O, poll_peek into a ReadBuf, poll_accept,
//! into_std, TcpSocket::from_std_stream and socket options.

use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, IoSliceMut};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

fn bounded<F: std::future::Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), f)
            .await
            .expect("test hung")
    })
}

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
    (client, server)
}

#[test]
fn split_reads_and_writes_at_once() {
    bounded(async {
        let (mut a, mut b) = pair().await;
        let (mut rd, mut wr) = a.split();
        assert_eq!(rd.peer_addr().unwrap(), wr.peer_addr().unwrap());
        assert_eq!(rd.as_ref().local_addr().unwrap(), wr.local_addr().unwrap());
        let echo = async {
            let mut buf = [0; 4];
            b.read_exact(&mut buf).await.unwrap();
            b.write_all(&buf).await.unwrap();
        };
        let talk = async {
            wr.write_all(b"ping").await.unwrap();
            let mut buf = [0; 4];
            rd.read_exact(&mut buf).await.unwrap();
            buf
        };
        let ((), got) = futures::join!(echo, talk);
        assert_eq!(&got, b"ping");
    });
}

#[test]
fn into_split_moves_halves_to_tasks_and_reunites() {
    bounded(async {
        let (a, mut b) = pair().await;
        let (mut rd, mut wr) = a.into_split();
        let reader = tokio::spawn(async move {
            let mut buf = [0; 4];
            rd.read_exact(&mut buf).await.unwrap();
            (rd, buf)
        });
        wr.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        b.read_exact(&mut buf).await.unwrap();
        b.write_all(b"pong").await.unwrap();
        let (rd, got) = reader.await.unwrap();
        assert_eq!(&got, b"pong");
        let mut whole = rd.reunite(wr).unwrap();
        whole.write_all(b"!").await.unwrap();
        b.read_exact(&mut buf[..1]).await.unwrap();
        assert_eq!(buf[0], b'!');
    });
}

#[test]
fn reunite_of_two_streams_fails_and_gives_both_back() {
    bounded(async {
        let (a, _a2) = pair().await;
        let (c, _c2) = pair().await;
        let (ra, _wa) = a.into_split();
        let (_rc, wc) = c.into_split();
        let err = ra.reunite(wc).unwrap_err();
        assert!(err.to_string().contains("not from the same socket"));
        let tokio::net::tcp::ReuniteError(r, w) = err;
        assert_ne!(r.local_addr().unwrap(), w.local_addr().unwrap());
    });
}

#[test]
fn dropping_the_owned_write_half_shuts_down_writes() {
    bounded(async {
        let (a, mut b) = pair().await;
        let (_rd, wr) = a.into_split();
        drop(wr);
        let mut rest = Vec::new();
        assert_eq!(b.read_to_end(&mut rest).await.unwrap(), 0);
        let (c, mut d) = pair().await;
        let (_rd, wr) = c.into_split();
        wr.forget();
        let mut buf = [0; 1];
        let still_open = tokio::time::timeout(Duration::from_millis(50), d.read(&mut buf)).await;
        assert!(still_open.is_err(), "forget() does not shut down");
    });
}

#[test]
fn ready_with_interest_and_poll_ready() {
    bounded(async {
        let (a, b) = pair().await;
        let r = a.ready(Interest::WRITABLE).await.unwrap();
        assert!(r.is_writable());
        poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
        let bufs = [IoSlice::new(b"ve"), IoSlice::new(b"ctor")];
        assert_eq!(a.try_write_vectored(&bufs).unwrap(), 6);
        let r = b.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
        assert!(r.is_readable() || r.is_writable());
        poll_fn(|cx| b.poll_read_ready(cx)).await.unwrap();
        let (mut x, mut y) = ([0; 2], [0; 8]);
        let n = loop {
            let mut slices = [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)];
            match b.try_read_vectored(&mut slices) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => b.readable().await.unwrap(),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!((n, &x, &y[..4]), (6, b"ve", &b"ctor"[..]));
        drop(a);
        let r = b.ready(Interest::READABLE).await.unwrap();
        assert!(r.is_readable() || r.is_read_closed());
    });
}

#[test]
fn poll_peek_fills_a_read_buf() {
    bounded(async {
        let (mut a, b) = pair().await;
        a.write_all(b"peekaboo").await.unwrap();
        let mut storage = [0; 4];
        let mut rb = ReadBuf::new(&mut storage);
        let n = poll_fn(|cx| b.poll_peek(cx, &mut rb)).await.unwrap();
        assert!(n > 0 && n <= 4);
        assert_eq!(rb.filled(), &b"peek"[..n]);
        let (mut rd, _wr) = b.into_split();
        let mut storage = [0; 8];
        let mut rb = ReadBuf::new(&mut storage);
        poll_fn(|cx| rd.poll_peek(cx, &mut rb)).await.unwrap();
        assert_eq!(rd.peek(&mut [0; 2]).await.unwrap(), 2);
        let mut all = [0; 8];
        rd.read_exact(&mut all).await.unwrap();
        assert_eq!(&all, b"peekaboo");
    });
}

#[test]
fn into_std_and_back() {
    bounded(async {
        let (a, mut b) = pair().await;
        let std_a = a.into_std().unwrap();
        let mut again = TcpStream::from_std(std_a).unwrap();
        again.write_all(b"back").await.unwrap();
        let mut buf = [0; 4];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"back");
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.set_ttl(60).unwrap();
        assert_eq!(l.ttl().unwrap(), 60);
        let std_l = l.into_std().unwrap();
        assert!(std_l.local_addr().unwrap().ip().is_loopback());
    });
}

#[test]
fn from_std_stream_and_socket_options() {
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // What hyper-util's connector does: a socket made elsewhere, options, then connect.
        let raw = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        raw.set_nonblocking(true).unwrap();
        let socket = TcpSocket::from_std_stream(raw.into());
        socket.set_keepalive(true).unwrap();
        assert!(socket.keepalive().unwrap());
        socket.set_nodelay(true).unwrap();
        assert!(socket.nodelay().unwrap());
        socket.set_linger(Some(Duration::from_secs(1))).unwrap();
        assert_eq!(socket.linger().unwrap(), Some(Duration::from_secs(1)));
        let s = socket.connect(addr).await.unwrap();
        let _ = listener.accept().await.unwrap();
        s.set_ttl(33).unwrap();
        assert_eq!(s.ttl().unwrap(), 33);
        s.set_linger(None).unwrap();
        assert_eq!(s.linger().unwrap(), None);
    });
}

#[test]
fn try_write_until_would_block_then_writable_again() {
    bounded(async {
        let (a, b) = pair().await;
        let chunk = vec![7u8; 64 * 1024];
        let mut written = 0usize;
        a.writable().await.unwrap();
        let mut blocked = false;
        for _ in 0..100_000 {
            match a.try_write(&chunk) {
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    blocked = true;
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert!(blocked, "the kernel buffer filled up");
        assert!(written > 0);
        let mut buf = vec![0; 64 * 1024];
        let mut read = 0;
        while read < written {
            b.readable().await.unwrap();
            match b.try_read(&mut buf) {
                Ok(0) => panic!("early end of stream"),
                Ok(n) => read += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        }
        // The kernel buffer drained: the writer's readiness comes back.
        a.writable().await.unwrap();
        assert_eq!(a.try_write(b"x").unwrap(), 1);
    });
}

#[test]
fn ready_reports_read_closed_after_the_peer_shuts_down() {
    bounded(async {
        let (mut a, b) = pair().await;
        a.shutdown().await.unwrap();
        let mut closed = false;
        for _ in 0..200 {
            let r = b.ready(Interest::READABLE).await.unwrap();
            if r.is_read_closed() {
                closed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(closed);
        assert_eq!(b.try_read(&mut [0; 4]).unwrap(), 0);
    });
}
