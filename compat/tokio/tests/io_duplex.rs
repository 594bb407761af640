//! `duplex` and `simplex`: bounded buffering with wakeups both ways, and tokio's close
//! semantics (a dropped end: the peer reads what is left, then end of file, and its writes,
//! pending ones included, fail with `BrokenPipe`; `shutdown` closes one direction).

mod io_support;

use futures::executor::block_on;
use io_support::{CountingWaker, poll_once, poll_with, with_watchdog};
use std::io::ErrorKind;
use std::pin::pin;
use std::task::Poll;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn bytes_flow_both_ways() {
    block_on(async {
        let (mut a, mut b) = tokio::io::duplex(64);
        a.write_all(b"ping").await.unwrap();
        b.write_all(b"pong").await.unwrap();
        let mut buf = [0u8; 4];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
    });
}

#[test]
fn a_full_buffer_makes_writers_wait_until_read() {
    let (mut a, mut b) = tokio::io::duplex(4);
    block_on(async { assert_eq!(a.write(b"0123456789").await.unwrap(), 4) });
    let (counter, waker) = CountingWaker::new();
    {
        let write = pin!(a.write(b"45"));
        assert!(poll_with(write, &waker).is_pending(), "wrote past max_buf_size");
    }
    let mut two = [0u8; 2];
    block_on(b.read_exact(&mut two)).unwrap();
    assert_eq!(&two, b"01");
    assert_eq!(counter.count(), 1, "the read did not wake the waiting writer");
    block_on(async { assert_eq!(a.write(b"456").await.unwrap(), 2) });
    let mut rest = [0u8; 4];
    block_on(b.read_exact(&mut rest)).unwrap();
    assert_eq!(&rest, b"2345");
}

#[test]
fn a_waiting_reader_is_woken_by_a_write() {
    let (mut a, mut b) = tokio::io::duplex(8);
    let (counter, waker) = CountingWaker::new();
    let mut buf = [0u8; 8];
    {
        let read = pin!(b.read(&mut buf));
        assert!(poll_with(read, &waker).is_pending());
    }
    block_on(a.write_all(b"x")).unwrap();
    assert_eq!(counter.count(), 1);
}

#[test]
fn dropping_an_end_gives_eof_after_the_data_and_broken_pipe() {
    block_on(async {
        let (mut a, mut b) = tokio::io::duplex(64);
        a.write_all(b"last words").await.unwrap();
        drop(a);
        let mut got = String::new();
        b.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "last words");
        assert_eq!(b.read(&mut [0u8; 4]).await.unwrap(), 0);
        assert_eq!(
            b.write(b"hello?").await.unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
    });
}

#[test]
fn dropping_an_end_wakes_its_peers_waiting_reads_and_writes() {
    // `b` waits to read from `a`; `d` waits to write to a full `c`.
    let (a, mut b) = tokio::io::duplex(2);
    let (c, mut d) = tokio::io::duplex(2);
    block_on(d.write_all(b"xx")).unwrap();
    let (read_counter, read_waker) = CountingWaker::new();
    let (write_counter, write_waker) = CountingWaker::new();
    let mut buf = [0u8; 1];
    let mut read = pin!(b.read(&mut buf));
    assert!(poll_with(read.as_mut(), &read_waker).is_pending());
    let mut write = pin!(d.write(b"more"));
    assert!(poll_with(write.as_mut(), &write_waker).is_pending());

    drop(a);
    assert_eq!(read_counter.count(), 1, "the waiting reader was not woken");
    assert!(matches!(poll_once(read), Poll::Ready(Ok(0))));

    drop(c);
    assert_eq!(write_counter.count(), 1, "the waiting writer was not woken");
    match poll_once(write) {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), ErrorKind::BrokenPipe),
        other => panic!("expected BrokenPipe, got {other:?}"),
    }
}

#[test]
fn shutdown_closes_one_direction() {
    block_on(async {
        let (mut a, mut b) = tokio::io::duplex(64);
        a.write_all(b"bye").await.unwrap();
        a.shutdown().await.unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"bye");
        assert_eq!(a.write(b"x").await.unwrap_err().kind(), ErrorKind::BrokenPipe);
        // The other direction still works.
        b.write_all(b"still here").await.unwrap();
        let mut buf = [0u8; 10];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"still here");
    });
}

#[test]
fn large_transfer_between_threads() {
    with_watchdog(|| {
        let (mut a, mut b) = tokio::io::duplex(100);
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i ^ (i >> 8)) as u8).collect();
        let sent = data.clone();
        let t = std::thread::spawn(move || {
            block_on(async {
                for chunk in sent.chunks(333) {
                    a.write_all(chunk).await.unwrap();
                }
            })
            // `a` is dropped here: `b` reads end of file.
        });
        let mut got = Vec::with_capacity(data.len());
        block_on(b.read_to_end(&mut got)).unwrap();
        t.join().unwrap();
        assert!(got == data, "the bytes arrived changed");
    });
}

#[test]
fn simplex_reads_what_was_written() {
    block_on(async {
        let (mut rx, mut tx) = tokio::io::simplex(4);
        let (sent, got) = tokio::join!(
            async {
                tx.write_all(b"through a small pipe").await.unwrap();
                tx.shutdown().await.unwrap();
            },
            async {
                let mut s = String::new();
                rx.read_to_string(&mut s).await.unwrap();
                s
            },
        );
        let () = sent;
        assert_eq!(got, "through a small pipe");

        let mut pipe = tokio::io::SimplexStream::new_unsplit(16);
        pipe.write_all(b"loop").await.unwrap();
        let mut back = [0u8; 4];
        pipe.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"loop");
    });
}

#[test]
fn vectored_writes_fill_the_room_in_order() {
    use std::io::IoSlice;
    block_on(async {
        let (mut a, mut b) = tokio::io::duplex(5);
        assert!(tokio::io::AsyncWrite::is_write_vectored(&a));
        let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cdef")];
        assert_eq!(a.write_vectored(&bufs).await.unwrap(), 5);
        let mut got = [0u8; 5];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"abcde");
        drop(b);
        assert_eq!(
            a.write_vectored(&bufs).await.unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
    });
}

/// Counts the polls of the future it wraps.
struct CountPolls<F> {
    inner: std::pin::Pin<Box<F>>,
    polls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl<F: std::future::Future> std::future::Future for CountPolls<F> {
    type Output = F::Output;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.as_mut().poll(cx)
    }
}

#[tokio::test]
async fn a_pipe_that_is_always_ready_still_spends_the_budget() {
    // 1,000 writes and 1,000 reads that never wait: 2,000 units of budget, 128 per poll, so
    // the task must yield at least 2,000 / 128 times (without the budget: one poll).
    let polls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let task = CountPolls {
        inner: Box::pin(async {
            let (mut a, mut b) = tokio::io::duplex(64);
            let mut byte = [0u8; 1];
            for i in 0..1_000u32 {
                a.write_all(&[i as u8]).await.unwrap();
                b.read_exact(&mut byte).await.unwrap();
                assert_eq!(byte[0], i as u8);
            }
        }),
        polls: polls.clone(),
    };
    tokio::spawn(task).await.unwrap();
    let n = polls.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        n >= 2_000 / 128,
        "the task was polled {n} times: it never ran out of budget"
    );
}
