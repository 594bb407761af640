//! tokio::net's UDP and Unix readiness surface on gosched: UDP try_/poll_ forms with tokio's
//! ReadBuf shape, peek_from and options; Unix split/into_split/reunite, readiness and try_
//! I/O, poll_accept, into_std.

use std::future::poll_fn;
use std::io::ErrorKind;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest, ReadBuf};
use tokio::net::UdpSocket;

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

#[test]
fn udp_poll_forms_fill_a_read_buf() {
    bounded(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let n = poll_fn(|cx| a.poll_send_to(cx, b"one", b_addr)).await.unwrap();
        assert_eq!(n, 3);
        let mut storage = [0; 16];
        let mut rb = ReadBuf::new(&mut storage);
        let from = poll_fn(|cx| b.poll_peek_from(cx, &mut rb)).await.unwrap();
        assert_eq!((rb.filled(), from), (&b"one"[..], a_addr));
        let mut rb = ReadBuf::new(&mut storage);
        let from = poll_fn(|cx| b.poll_recv_from(cx, &mut rb)).await.unwrap();
        assert_eq!((rb.filled(), from), (&b"one"[..], a_addr));

        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        poll_fn(|cx| a.poll_send(cx, b"two")).await.unwrap();
        let mut rb = ReadBuf::new(&mut storage);
        poll_fn(|cx| b.poll_recv(cx, &mut rb)).await.unwrap();
        assert_eq!(rb.filled(), b"two");
    });
}

#[test]
fn udp_try_forms_after_readiness() {
    bounded(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b_addr = b.local_addr().unwrap();
        let mut buf = [0; 16];
        assert_eq!(
            b.try_recv_from(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        a.writable().await.unwrap();
        assert_eq!(a.try_send_to(b"x", b_addr).unwrap(), 1);
        let (n, _) = loop {
            b.readable().await.unwrap();
            match b.try_recv_from(&mut buf) {
                Ok(r) => break r,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(&buf[..n], b"x");
        a.connect(b_addr).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert!(a.ready(Interest::WRITABLE).await.unwrap().is_writable());
        a.try_send(b"yz").unwrap();
        let mut v = Vec::with_capacity(8);
        let n = loop {
            b.readable().await.unwrap();
            match b.try_recv_buf(&mut v) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!((n, &v[..]), (2, &b"yz"[..]));
        let (n, from) = {
            a.send(b"peek").await.unwrap();
            b.peek_from(&mut buf).await.unwrap()
        };
        assert_eq!((&buf[..n], from), (&b"peek"[..], a.local_addr().unwrap()));
        assert_eq!(b.recv(&mut buf).await.unwrap(), 4);
    });
}

#[test]
fn udp_options_and_into_std() {
    bounded(async {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.set_broadcast(true).unwrap();
        assert!(s.broadcast().unwrap());
        s.set_ttl(42).unwrap();
        assert_eq!(s.ttl().unwrap(), 42);
        let addr = s.local_addr().unwrap();
        let std = s.into_std().unwrap();
        assert_eq!(std.local_addr().unwrap(), addr);
        let back = UdpSocket::from_std(std).unwrap();
        assert_eq!(back.local_addr().unwrap(), addr);
    });
}

#[cfg(unix)]
mod unix {
    use super::*;
    use tokio::net::{UnixListener, UnixStream};

    #[test]
    fn split_and_into_split_reunite() {
        bounded(async {
            let (mut a, mut b) = UnixStream::pair().unwrap();
            {
                let (mut rd, mut wr) = a.split();
                assert!(rd.peer_addr().unwrap().is_unnamed());
                wr.write_all(b"ping").await.unwrap();
                let mut buf = [0; 4];
                b.read_exact(&mut buf).await.unwrap();
                b.write_all(&buf).await.unwrap();
                rd.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"ping");
            }
            let (rd, mut wr) = a.into_split();
            let reader = tokio::spawn(async move {
                let mut rd = rd;
                let mut buf = [0; 4];
                rd.read_exact(&mut buf).await.unwrap();
                (rd, buf)
            });
            wr.write_all(b"over").await.unwrap();
            let mut buf = [0; 4];
            b.read_exact(&mut buf).await.unwrap();
            b.write_all(b"back").await.unwrap();
            let (rd, got) = reader.await.unwrap();
            assert_eq!(&got, b"back");
            let (c, _d) = UnixStream::pair().unwrap();
            let (_rc, wc) = c.into_split();
            let tokio::net::unix::ReuniteError(rd, _wc) = rd.reunite(wc).unwrap_err();
            let _whole: UnixStream = rd.reunite(wr).unwrap();
        });
    }

    #[test]
    fn readiness_try_io_poll_accept_into_std() {
        let path = std::env::temp_dir().join(format!("frt-unix-ready-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let p = path.clone();
        bounded(async move {
            let listener = UnixListener::bind(&p).unwrap();
            let client = UnixStream::connect(&p).await.unwrap();
            let (server, _) = poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
            poll_fn(|cx| client.poll_write_ready(cx)).await.unwrap();
            assert!(client.ready(Interest::WRITABLE).await.unwrap().is_writable());
            assert_eq!(client.try_write(b"abc").unwrap(), 3);
            let mut buf = [0; 8];
            let n = loop {
                poll_fn(|cx| server.poll_read_ready(cx)).await.unwrap();
                match server.try_read(&mut buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("{e}"),
                }
            };
            assert_eq!(&buf[..n], b"abc");
            let std = server.into_std().unwrap();
            assert!(std.peer_addr().unwrap().is_unnamed());
            let std_listener = listener.into_std().unwrap();
            assert!(std_listener.local_addr().unwrap().as_pathname().is_some());
        });
        let _ = std::fs::remove_file(&path);
    }
}
