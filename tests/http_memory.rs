//! What a connection of `examples/http_echo`'s server costs in memory: buffers that grow with
//! the bytes that arrive (not with what a head announces), and shrink back after a large
//! message, counted by a counting allocator on the server's own threads. The server runs
//! in-process on a gosched runtime; the client is blocking `std::net` with read timeouts.

mod counting_alloc;
mod http_support;

use counting_alloc::{COUNT_HERE, SERVER_BYTES};
use gosched_http_echo::server;
use gosched_testkit::{LIMIT, holds_within, wait_until, watchdog};
use http_support::{WATCHDOG, conn_tasks, connect, limits, read_response, start_on};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[test]
fn buffers_shrink_back_after_a_large_message() {
    // The server's heap, counted on its own worker threads only.
    const CONNS: usize = 16;
    let builder = gosched::runtime::Builder::new()
        .maxprocs(2)
        .on_thread_start(|| COUNT_HERE.with(|c| c.set(true)));
    let (_rt, addr) = start_on(builder, limits());
    let mut conns: Vec<TcpStream> = (0..CONNS).map(|_| connect(addr)).collect();
    for (i, s) in conns.iter_mut().enumerate() {
        s.write_all(format!("GET /{i} HTTP/1.1\r\n\r\n").as_bytes())
            .unwrap();
        assert!(read_response(s).ends_with(&format!("/{i}")));
    }
    std::thread::sleep(Duration::from_millis(100));
    let before = SERVER_BYTES.load(Ordering::Relaxed);
    let mut req = b"POST /big HTTP/1.1\r\ncontent-length: 1048576\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'b', 1 << 20));
    for s in conns.iter_mut() {
        let mut w = s.try_clone().unwrap();
        let req = req.clone();
        let writer = std::thread::spawn(move || w.write_all(&req).unwrap());
        let got = read_response(s);
        writer.join().unwrap();
        assert_eq!(
            got.len(),
            "HTTP/1.1 200 OK\r\ncontent-length: 1048576\r\n\r\n".len() + (1 << 20)
        );
    }
    // Each connection is idle again and keeps its 16 KiB buffers, not 1 MiB ones: allow 256 KiB
    // each, room for the Ms a loaded machine makes the runtime start meanwhile (their own
    // allocations are counted too); a kept 1 MiB buffer alone would be 16 MiB in all.
    let bound = (CONNS * 256 * 1024) as isize;
    let grown = || SERVER_BYTES.load(Ordering::Relaxed) - before;
    assert!(
        holds_within(LIMIT, || grown() < bound),
        "the server holds {} KiB more after one 1 MiB echo per connection ({CONNS} connections)",
        grown() / 1024
    );
    eprintln!(
        "server heap after one 1 MiB echo on each of {CONNS} idle connections: {:+} KiB",
        grown() / 1024
    );
    // The connections still work.
    for s in conns.iter_mut() {
        s.write_all(b"GET /again HTTP/1.1\r\n\r\n").unwrap();
        assert!(read_response(s).ends_with("/again"));
    }
}

/// An `AsyncRead` that hands out its chunks one read at a time.
struct Chunks(Vec<Vec<u8>>);

impl futures::io::AsyncRead for Chunks {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.0.is_empty() {
            return std::task::Poll::Ready(Ok(0));
        }
        let chunk = &mut self.0[0];
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        chunk.drain(..n);
        if chunk.is_empty() {
            self.0.remove(0);
        }
        std::task::Poll::Ready(Ok(n))
    }
}

#[test]
fn the_read_buffer_grows_only_for_a_large_message_and_shrinks_after() {
    futures::executor::block_on(async {
        let mut buf = server::InBuf::default();
        assert_eq!(buf.capacity(), server::READ_CHUNK);
        // A slow client's first partial read: no reallocation.
        let mut io = Chunks(vec![b"GET / HTTP/1.1\r\nx-a: ".to_vec(), b"b\r\n".to_vec()]);
        buf.read_from(&mut io, 0).await.unwrap();
        buf.read_from(&mut io, 0).await.unwrap();
        assert_eq!(buf.capacity(), server::READ_CHUNK);
        let len = buf.filled().len();
        buf.consume(len);
        // A 1 MiB message grows it; once consumed the buffer is back to its base size, even
        // when the next request has already started to arrive behind it.
        let big = 1 << 20;
        let mut msg = vec![b'm'; big];
        msg.extend_from_slice(b"GET /next");
        let mut io = Chunks(msg.chunks(64 * 1024).map(<[u8]>::to_vec).collect());
        while buf.filled().len() < big + 9 {
            assert!(buf.read_from(&mut io, big).await.unwrap() > 0);
        }
        assert!(buf.capacity() >= big);
        buf.consume(big);
        assert_eq!(buf.filled(), b"GET /next");
        assert_eq!(buf.capacity(), server::READ_CHUNK);
    });
}

#[test]
fn half_sent_large_bodies_cost_little_memory() {
    let _w = watchdog("half_sent_large_bodies_cost_little_memory", WATCHDOG);
    // Each client announces a 1,000,000-byte body and sends 1,000 bytes of it. The server
    // must not size its buffer from the announcement, which costs ~1 MB each. A connection
    // costs ~33 KiB (its two 16 KiB buffers and its task); the bound, 256 KiB each, leaves
    // room for the Ms a loaded machine makes the runtime start meanwhile (each M's own
    // allocations are counted too: they run on runtime threads).
    const CONNS: usize = 24;
    let builder = gosched::runtime::Builder::new()
        .maxprocs(2)
        .on_thread_start(|| COUNT_HERE.with(|c| c.set(true)));
    let (rt, addr) = start_on(builder, server::Limits::default());
    std::thread::sleep(Duration::from_millis(100));
    let before = SERVER_BYTES.load(Ordering::Relaxed);
    let mut conns = Vec::new();
    for _ in 0..CONNS {
        let mut s = connect(addr);
        s.write_all(b"POST /big HTTP/1.1\r\ncontent-length: 1000000\r\n\r\n")
            .unwrap();
        s.write_all(&[b'x'; 1000]).unwrap();
        conns.push(s);
    }
    // Every connection has read what it was sent and waits for the rest.
    let reading =
        |t: &gosched::runtime::TaskInfo| t.wait_reason == Some(gosched::runtime::WaitReason::IoRead);
    wait_until("every connection task waiting to read", || {
        let tasks = conn_tasks(&rt);
        tasks.len() == CONNS && tasks.iter().all(reading)
    });
    std::thread::sleep(Duration::from_millis(100));
    let grown = SERVER_BYTES.load(Ordering::Relaxed) - before;
    eprintln!(
        "server heap after {CONNS} half-sent 1 MB requests: {:+} KiB ({} KiB each)",
        grown / 1024,
        grown / 1024 / CONNS as isize
    );
    assert!(
        grown < (CONNS * 256 * 1024) as isize,
        "the server holds {} KiB per half-sent 1 MB request",
        grown / 1024 / CONNS as isize
    );
    // The requests still complete when their bodies arrive.
    for s in conns.iter_mut().take(2) {
        s.write_all(&vec![b'y'; 999_000]).unwrap();
        let mut head = [0u8; 15];
        s.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200 OK");
    }
}

#[test]
fn the_read_buffer_grows_with_the_bytes_that_arrive() {
    futures::executor::block_on(async {
        // A head announcing 1 MB, then 1,000 body bytes: the buffer stays at its base size.
        let mut buf = server::InBuf::default();
        let head = b"POST / HTTP/1.1\r\ncontent-length: 1000000\r\n\r\n";
        let need = head.len() + 1_000_000;
        let mut io = futures::io::Cursor::new([&head[..], &[b'x'; 1000]].concat());
        while buf.read_from(&mut io, need).await.unwrap() > 0 {}
        assert_eq!(buf.capacity(), server::READ_CHUNK);
        // The rest arrives: the buffer doubles as it fills, and ends at the message's size.
        let mut io = futures::io::Cursor::new(vec![b'y'; 999_000]);
        let mut sizes = vec![buf.capacity()];
        while buf.filled().len() < need {
            assert!(buf.read_from(&mut io, need).await.unwrap() > 0);
            if sizes.last() != Some(&buf.capacity()) {
                sizes.push(buf.capacity());
            }
        }
        assert_eq!(buf.filled().len(), need);
        assert_eq!(buf.capacity(), need, "{sizes:?}");
        assert!(sizes.windows(2).all(|w| w[1] <= w[0] * 2), "{sizes:?}");
    });
}
