//! Unix streams' tokio-shaped surface: `ready`, `poll_*_ready`, `try_` I/O (plain and
//! vectored), `split`/`into_split`/`reunite`, `into_std`, and `UnixListener::poll_accept`.

mod common;

use common::{rt, watchdog};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use gosched_executor::time::timeout;
use gosched_net::{Interest, UnixListener, UnixStream};
use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, IoSliceMut, Read};
use std::task::Poll;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(5);

/// Reads until `n` bytes arrived, through `try_read` and `readable`.
async fn try_read_n(s: &UnixStream, n: usize) -> Vec<u8> {
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
fn readiness_and_try_io() {
    let _w = watchdog("unix_readiness", Duration::from_secs(30));
    rt(2).block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        poll_fn(|cx| {
            assert!(b.poll_read_ready(cx).is_pending(), "nothing sent yet");
            Poll::Ready(())
        })
        .await;
        let w = timeout(LIMIT, a.ready(Interest::WRITABLE))
            .await
            .unwrap()
            .unwrap();
        assert!(w.is_writable(), "{w:?}");
        timeout(LIMIT, poll_fn(|cx| a.poll_write_ready(cx)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.try_write(b"one").unwrap(), 3);
        timeout(LIMIT, poll_fn(|cx| b.poll_read_ready(cx)))
            .await
            .unwrap()
            .unwrap();
        let r = timeout(LIMIT, b.ready(Interest::READABLE))
            .await
            .unwrap()
            .unwrap();
        assert!(r.is_readable(), "{r:?}");
        assert_eq!(try_read_n(&b, 3).await, b"one");
        let n = a
            .try_write_vectored(&[IoSlice::new(b"tw"), IoSlice::new(b"o")])
            .unwrap();
        assert_eq!(n, 3);
        timeout(LIMIT, b.readable()).await.unwrap().unwrap();
        let (mut x, mut y) = ([0; 1], [0; 2]);
        let n = b.try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)]);
        assert_eq!(n.unwrap(), 3);
        assert_eq!((&x, &y), (b"t", b"wo"));
        let e = b.try_read(&mut x).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
    });
}

#[test]
fn split_and_into_split_and_reunite() {
    let _w = watchdog("unix_split", Duration::from_secs(30));
    rt(2).block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        {
            let (mut rd, mut wr) = UnixStream::split(&mut a);
            let echo = async {
                let mut buf = [0; 3];
                b.read_exact(&mut buf).await.unwrap();
                b.write_all(&buf).await.unwrap();
            };
            let talk = async {
                wr.write_all(b"abc").await.unwrap();
                let mut back = [0; 3];
                rd.read_exact(&mut back).await.unwrap();
                back
            };
            let ((), back) = futures::join!(echo, talk);
            assert_eq!(&back, b"abc");
        }
        let (mut rd, mut wr) = a.into_split();
        let reader = gosched_executor::spawn(async move {
            let mut buf = [0; 4];
            rd.read_exact(&mut buf).await.unwrap();
            (rd, buf)
        });
        b.write_all(b"pong").await.unwrap();
        wr.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        let (rd, got) = reader.await.unwrap();
        assert_eq!(&got, b"pong");
        let (c, _d) = UnixStream::pair().unwrap();
        let (rd_c, wr_c) = c.into_split();
        let err = rd.reunite(wr_c).unwrap_err();
        assert!(err.to_string().contains("not from the same socket"));
        let (rd, wr_c) = (err.0, err.1);
        let a = rd.reunite(wr).expect("its own halves");
        drop((rd_c, wr_c, a));
        // Every write side toward b is gone (a dropped): b reads the end.
        let mut rest = Vec::new();
        timeout(LIMIT, b.read_to_end(&mut rest)).await.unwrap().unwrap();
        assert!(rest.is_empty());
    });
}

#[test]
fn owned_write_half_drop_shuts_down_and_into_std() {
    let _w = watchdog("unix_write_half_drop", Duration::from_secs(30));
    let rt = rt(2);
    rt.block_on(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let (_rd, wr) = a.into_split();
        drop(wr);
        let mut rest = Vec::new();
        timeout(LIMIT, b.read_to_end(&mut rest)).await.unwrap().unwrap();
        assert!(rest.is_empty(), "the write half's drop shut the direction down");
    });
    let (a, b) = rt.block_on(async { UnixStream::pair().unwrap() });
    let mut b = b.into_std().unwrap();
    b.set_nonblocking(false).unwrap();
    rt.block_on(async { a.writable().await.unwrap() });
    a.try_write(b"std").unwrap();
    let mut buf = [0; 3];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"std");
}

#[test]
fn listener_poll_accept_and_into_std() {
    let _w = watchdog("unix_poll_accept", Duration::from_secs(30));
    let path = std::env::temp_dir().join(format!("gosched-net-pa-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    rt(2).block_on(async {
        let l = UnixListener::bind(&path).unwrap();
        poll_fn(|cx| {
            assert!(l.poll_accept(cx).is_pending(), "no one connected");
            Poll::Ready(())
        })
        .await;
        let client = gosched_executor::spawn(UnixStream::connect(path.clone()));
        let (s, _) = timeout(LIMIT, poll_fn(|cx| l.poll_accept(cx)))
            .await
            .unwrap()
            .unwrap();
        let c = client.await.unwrap().unwrap();
        c.writable().await.unwrap();
        c.try_write(b"hi").unwrap();
        assert_eq!(try_read_n(&s, 2).await, b"hi");
        let std = l.into_std().unwrap();
        assert_eq!(std.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    });
    std::fs::remove_file(&path).unwrap();
}

#[cfg(feature = "tokio-io")]
#[test]
fn unix_halves_implement_tokios_io_traits() {
    fn read<T: tokio::io::AsyncRead>() {}
    fn write<T: tokio::io::AsyncWrite>() {}
    read::<gosched_net::unix::ReadHalf<'_>>();
    read::<gosched_net::unix::OwnedReadHalf>();
    write::<gosched_net::unix::WriteHalf<'_>>();
    write::<gosched_net::unix::OwnedWriteHalf>();
}
