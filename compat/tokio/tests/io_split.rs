//! `split` (halves usable from different threads, `unsplit`, `is_pair_of`, `!Unpin` streams)
//! and `join` (a reader and a writer as one stream).

mod io_support;

use futures::executor::block_on;
use io_support::with_watchdog;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

#[test]
fn halves_work_from_two_threads() {
    with_watchdog(|| {
        let (stream, mut peer) = tokio::io::duplex(8);
        let (mut rd, mut wr) = tokio::io::split(stream);
        let writer = std::thread::spawn(move || {
            block_on(async {
                for i in 0..100u8 {
                    wr.write_u8(i).await.unwrap();
                }
                wr
            })
        });
        let echo = std::thread::spawn(move || {
            block_on(async {
                let mut buf = [0u8; 100];
                peer.read_exact(&mut buf).await.unwrap();
                peer.write_all(&buf).await.unwrap();
            })
        });
        let mut back = [0u8; 100];
        block_on(rd.read_exact(&mut back)).unwrap();
        assert!(back.iter().enumerate().all(|(i, &b)| b == i as u8));
        let wr = writer.join().unwrap();
        echo.join().unwrap();
        assert!(rd.is_pair_of(&wr) && wr.is_pair_of(&rd));
        let _stream: tokio::io::DuplexStream = rd.unsplit(wr);
    });
}

#[test]
fn halves_of_different_streams_are_not_a_pair() {
    let (a, _pa) = tokio::io::duplex(8);
    let (b, _pb) = tokio::io::duplex(8);
    let (ra, _wa) = tokio::io::split(a);
    let (_rb, wb) = tokio::io::split(b);
    assert!(!ra.is_pair_of(&wb));
}

#[test]
#[should_panic(expected = "unrelated `WriteHalf` passed to `ReadHalf::unsplit`")]
fn unsplit_of_unrelated_halves_panics() {
    let (a, _pa) = tokio::io::duplex(8);
    let (b, _pb) = tokio::io::duplex(8);
    let (ra, _wa) = tokio::io::split(a);
    let (_rb, wb) = tokio::io::split(b);
    let _ = ra.unsplit(wb);
}

#[test]
fn halves_are_send_and_sync() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<tokio::io::ReadHalf<tokio::io::DuplexStream>>();
    check::<tokio::io::WriteHalf<tokio::io::DuplexStream>>();
    check::<tokio::io::DuplexStream>();
}

/// A `!Unpin` stream that reads zeros and counts bytes written.
struct Pinned {
    written: usize,
    _pin: PhantomPinned,
}

impl AsyncRead for Pinned {
    fn poll_read(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let n = buf.remaining().min(3);
        buf.initialize_unfilled_to(n).fill(0);
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Pinned {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        // SAFETY: `written` is not structurally pinned; nothing is moved.
        unsafe { self.get_unchecked_mut().written += buf.len() };
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn split_takes_a_not_unpin_stream() {
    block_on(async {
        let (mut rd, mut wr) = tokio::io::split(Pinned {
            written: 0,
            _pin: PhantomPinned,
        });
        let mut buf = [1u8; 5];
        rd.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, [0; 5]);
        wr.write_all(b"abc").await.unwrap();
    });
}

#[test]
fn join_reads_one_and_writes_the_other() {
    block_on(async {
        let (to_us, mut their_tx) = tokio::io::duplex(16);
        let (their_rx, from_us) = tokio::io::duplex(16);
        let mut both = tokio::io::join(to_us, from_us);
        their_tx.write_all(b"in").await.unwrap();
        let mut two = [0u8; 2];
        both.read_exact(&mut two).await.unwrap();
        both.write_all(b"out").await.unwrap();
        let (_r, w) = both.into_inner();
        drop(w);
        let mut got = String::new();
        let mut their_rx = their_rx;
        their_rx.read_to_string(&mut got).await.unwrap();
        assert_eq!((&two, got.as_str()), (b"in", "out"));
    });
}
