//! The deadlines of `examples/http_echo`'s server: the idle timeout, the request head's
//! deadline (slowloris) and the write deadline (a client that never reads), each closing the
//! connection, and a client busy or slow within them that is served. The body deadline is in
//! `http_hostile.rs`. The server runs in-process on a gosched runtime; the client is blocking
//! `std::net` with read timeouts. See `http_support` for how the tests bound time.

mod http_support;

use gosched_http_echo::server;
use gosched_testkit::{holds_within, wait_until, watchdog};
use http_support::{
    CLOSE_LIMIT, IDLE, READ_LIMIT, WATCHDOG, assert_idle_close, closed_after, conn_tasks, connect,
    idle_limits, limits, read_response, read_to_close, start,
};
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[test]
fn idle_connection_is_closed_after_the_timeout() {
    let _w = watchdog("idle_connection_is_closed_after_the_timeout", WATCHDOG);
    let (_rt, addr) = start(idle_limits(IDLE));
    // Silent from the start; silent after a request; and half a request counts as silence too.
    for first in [
        &b""[..],
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nx-partial",
    ] {
        let (got, waited) = closed_after(addr, first);
        assert!(got.is_empty() || got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
        assert_eq!(got.is_empty(), !first.ends_with(b"\r\n\r\n"), "{got}");
        assert_idle_close(waited);
    }
}

#[test]
fn a_busy_connection_outlives_the_idle_timeout() {
    let _w = watchdog("a_busy_connection_outlives_the_idle_timeout", WATCHDOG);
    // A longer idle timeout than the other idle tests: the client sleeps 1/10 of it between
    // requests, so a machine busy enough to stall it 900 ms would be needed to fail this.
    let idle = Duration::from_secs(1);
    let (_rt, addr) = start(idle_limits(idle));
    let mut s = connect(addr);
    let start = Instant::now();
    // A request every idle/10 for 3 idle periods: the timer fires early and is moved.
    let mut n = 0;
    while start.elapsed() < idle * 3 {
        s.write_all(b"GET /still-here HTTP/1.1\r\n\r\n").unwrap();
        assert!(read_response(&mut s).ends_with("/still-here"));
        std::thread::sleep(idle / 10);
        n += 1;
    }
    assert!(n >= 3, "{n} requests");
}

#[test]
fn a_request_head_trickling_in_is_closed_at_the_header_deadline() {
    let _w = watchdog(
        "a_request_head_trickling_in_is_closed_at_the_header_deadline",
        WATCHDOG,
    );
    // Slowloris: a byte every 50 ms; the 1 s header deadline (from the head's first byte)
    // closes it. The 10 s idle timeout is past `CLOSE_LIMIT`, so a close seen in time is the
    // header deadline's even if a busy machine stalls this client for seconds between bytes.
    let header = Duration::from_secs(1);
    let (_rt, addr) = start(server::Limits { header, ..limits() });
    let mut s = connect(addr);
    let mut reader = s.try_clone().unwrap();
    let closed = Arc::new(AtomicBool::new(false));
    let closed2 = closed.clone();
    let watcher = std::thread::spawn(move || {
        // A byte that arrived just before the server closed is unread there, so the close
        // may come as a reset rather than an end of stream: both are a close.
        let mut got = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("no close within {READ_LIMIT:?}: {e}"),
            }
        }
        closed2.store(true, Ordering::SeqCst);
        String::from_utf8_lossy(&got).into_owned()
    });
    let start = Instant::now();
    let head = b"GET /slow HTTP/1.1\r\nx-slow: "
        .iter()
        .chain(std::iter::repeat(&b'a'));
    for &byte in head {
        if closed.load(Ordering::SeqCst) || start.elapsed() > CLOSE_LIMIT || s.write_all(&[byte]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = start.elapsed();
    assert!(
        holds_within(CLOSE_LIMIT, || closed.load(Ordering::SeqCst)),
        "a head still trickling in after {took:?} was not closed"
    );
    eprintln!("slowloris head closed after {took:?} (header deadline {header:?})");
    assert!(took < CLOSE_LIMIT, "closed only after {took:?}");
    assert!(
        took >= header - Duration::from_millis(20),
        "closed after {took:?}"
    );
    // Closed without a response (Go does the same at its ReadHeaderTimeout).
    assert_eq!(watcher.join().unwrap(), "");
}

#[test]
fn the_header_deadline_starts_at_the_first_byte_of_each_request() {
    let header = Duration::from_millis(300);
    let (_rt, addr) = start(server::Limits {
        idle: Duration::from_secs(10),
        header,
        ..limits()
    });
    let mut s = connect(addr);
    // Silent for longer than the header deadline before the first request, and between
    // requests: only the idle timeout applies to a connection that sent nothing yet.
    std::thread::sleep(header * 2);
    s.write_all(b"GET /1 HTTP/1.1\r\n\r\n").unwrap();
    assert!(read_response(&mut s).ends_with("/1"));
    std::thread::sleep(header * 2);
    s.write_all(b"GET /2 HTTP/1.1\r\nconnection: close\r\n\r\n")
        .unwrap();
    assert!(read_to_close(&mut s).ends_with("/2"));
}

#[test]
fn a_client_that_never_reads_is_closed_at_the_write_deadline() {
    // It pipelines 64 KiB POSTs and reads nothing: the server's writes block once the socket
    // buffers are full, and the 300 ms write deadline closes the connection.
    let (rt, addr) = start(server::Limits {
        idle: Duration::from_secs(10),
        write: Duration::from_millis(300),
        ..limits()
    });
    let mut s = connect(addr);
    s.set_write_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut req = b"POST /w HTTP/1.1\r\ncontent-length: 65536\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'w', 65536));
    let start = Instant::now();
    let mut sent = 0usize;
    let err = loop {
        assert!(
            start.elapsed() < CLOSE_LIMIT,
            "still open after {sent} bytes and {:?}",
            start.elapsed()
        );
        match s.write(&req) {
            Ok(n) => sent += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => break e,
        }
    };
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
        ),
        "{err}"
    );
    // And the connection's task (with its buffers) is gone.
    wait_until("the connection task gone", || conn_tasks(&rt).is_empty());
}

#[test]
fn a_slow_response_within_the_write_deadline_is_delivered() {
    // A client that reads a 1 MiB echo slowly, but within the deadline, gets all of it.
    let (_rt, addr) = start(server::Limits {
        write: Duration::from_secs(5),
        ..limits()
    });
    let mut s = connect(addr);
    let mut req = b"POST /big HTTP/1.1\r\ncontent-length: 1048576\r\nconnection: close\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'z', 1 << 20));
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || w.write_all(&req).unwrap());
    std::thread::sleep(Duration::from_millis(200));
    let got = read_to_close(&mut s);
    writer.join().unwrap();
    assert!(got.starts_with("HTTP/1.1 200 OK\r\ncontent-length: 1048576\r\n"));
    assert_eq!(got.len() - got.find("\r\n\r\n").unwrap() - 4, 1 << 20);
}
