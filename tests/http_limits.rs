//! The limits of `examples/http_echo`'s server (431, 413, 400, 501, idle close) and its
//! HTTP behaviour (keep-alive, pipelining, HEAD, HTTP/1.0), with the server in-process on a
//! gosched runtime (and once on tokio) and a blocking std client with read timeouts.

#[path = "../examples/http_echo/rt.rs"]
mod rt;
#[path = "../examples/http_echo/server.rs"]
mod server;

use rt::Rt;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// No single read in these tests should wait longer (the idle tests wait ~200 ms).
const READ_LIMIT: Duration = Duration::from_secs(10);
/// The idle timeout the tests give the server.
const IDLE: Duration = Duration::from_millis(200);

/// A gosched runtime serving on a free loopback port.
fn start(limits: server::Limits) -> (gosched::runtime::Runtime, SocketAddr) {
    let rt = gosched::runtime::Builder::new().maxprocs(2).build().unwrap();
    let addr = rt.block_on(async {
        let listener = rt::Gosched::bind(([127, 0, 0, 1], 0).into()).await.unwrap();
        let addr = rt::Gosched::local_addr(&listener).unwrap();
        drop(gosched::spawn(server::serve::<rt::Gosched>(listener, limits)));
        addr
    });
    (rt, addr)
}

fn limits() -> server::Limits {
    server::Limits {
        idle: IDLE,
        ..server::Limits::default()
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(READ_LIMIT)).unwrap();
    s
}

/// Everything the server sends until it closes the connection.
fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("server closes cleanly in time");
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads exactly one response (`Content-Length` framed) off `s`.
fn read_response(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "EOF inside a response head");
        got.push(byte[0]);
    }
    let head = String::from_utf8(got.clone()).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .trim()
        .parse()
        .unwrap();
    let mut body = vec![0; len];
    s.read_exact(&mut body).unwrap();
    got.extend(body);
    String::from_utf8(got).unwrap()
}

/// Sends `req` on a new connection, half-closes, and returns all the server sends back.
fn one_shot(addr: SocketAddr, req: &[u8]) -> String {
    let mut s = connect(addr);
    s.write_all(req).unwrap();
    read_to_close(&mut s)
}

#[test]
fn get_echoes_the_path_and_post_the_body_on_one_connection() {
    let (_rt, addr) = start(limits());
    let mut s = connect(addr);
    s.write_all(b"GET /hello/world?x=1 HTTP/1.1\r\nhost: t\r\n\r\n")
        .unwrap();
    assert_eq!(
        read_response(&mut s),
        "HTTP/1.1 200 OK\r\ncontent-length: 16\r\n\r\n/hello/world?x=1"
    );
    s.write_all(b"POST /e HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde")
        .unwrap();
    assert_eq!(
        read_response(&mut s),
        "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nabcde"
    );
    // A body that arrives in pieces.
    s.write_all(b"PUT /e HTTP/1.1\r\ncontent-length: 6\r\n\r\nab")
        .unwrap();
    std::thread::sleep(Duration::from_millis(20));
    s.write_all(b"cdef").unwrap();
    assert_eq!(
        read_response(&mut s),
        "HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nabcdef"
    );
    s.write_all(b"DELETE /x HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(
        read_response(&mut s),
        "HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n"
    );
    // HEAD: the length of the GET body, no body; then `connection: close` ends it.
    s.write_all(b"HEAD /abc HTTP/1.1\r\nconnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(
        read_to_close(&mut s),
        "HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\n"
    );
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (_rt, addr) = start(limits());
    let mut req = Vec::new();
    let mut want = String::new();
    for i in 0..100 {
        req.extend_from_slice(format!("GET /{i} HTTP/1.1\r\n\r\n").as_bytes());
        let path = format!("/{i}");
        want += &format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{path}", path.len());
    }
    req.extend_from_slice(b"POST /last HTTP/1.1\r\ncontent-length: 3\r\nconnection: close\r\n\r\nend");
    want += "HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nend";
    assert_eq!(one_shot(addr, &req), want);
}

#[test]
fn http10_closes_unless_asked_to_keep_alive() {
    let (_rt, addr) = start(limits());
    assert_eq!(
        one_shot(addr, b"GET /a HTTP/1.0\r\n\r\n"),
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n/a"
    );
    let mut s = connect(addr);
    s.write_all(b"GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    assert_eq!(
        read_response(&mut s),
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n/b"
    );
}

#[test]
fn head_over_8k_is_431_and_close() {
    let (_rt, addr) = start(limits());
    // One huge header, complete.
    let big = format!("GET / HTTP/1.1\r\nx-big: {}\r\n\r\n", "a".repeat(9 * 1024));
    let got = one_shot(addr, big.as_bytes());
    assert!(got.starts_with("HTTP/1.1 431 "), "{got}");
    assert!(got.contains("connection: close\r\n"), "{got}");
    // A head that never ends: refused once it passes 8 KiB, without waiting for the rest.
    let mut s = connect(addr);
    s.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    for i in 0..200 {
        s.write_all(format!("x-h{i}: {}\r\n", "b".repeat(40)).as_bytes())
            .unwrap();
    }
    let got = read_to_close(&mut s);
    assert!(got.starts_with("HTTP/1.1 431 "), "{got}");
    // Too many headers (more than httparse's array) under 8 KiB.
    let mut many = String::from("GET / HTTP/1.1\r\n");
    for i in 0..server::MAX_HEADERS + 1 {
        many += &format!("h{i}: v\r\n");
    }
    many += "\r\n";
    let got = one_shot(addr, many.as_bytes());
    assert!(got.starts_with("HTTP/1.1 431 "), "{got}");
}

#[test]
fn head_just_under_8k_is_served() {
    let (_rt, addr) = start(limits());
    let pad = 8 * 1024 - "GET / HTTP/1.1\r\nx: \r\nconnection: close\r\n\r\n".len();
    let req = format!(
        "GET / HTTP/1.1\r\nx: {}\r\nconnection: close\r\n\r\n",
        "p".repeat(pad)
    );
    assert_eq!(req.len(), 8 * 1024);
    let got = one_shot(addr, req.as_bytes());
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
}

#[test]
fn body_over_1mib_is_413_and_close() {
    let (_rt, addr) = start(limits());
    // Refused from the head alone.
    let got = one_shot(addr, b"POST / HTTP/1.1\r\ncontent-length: 1048577\r\n\r\n");
    assert!(got.starts_with("HTTP/1.1 413 "), "{got}");
    assert!(got.contains("connection: close\r\n"), "{got}");
    // A client that sends the 2 MiB body anyway still reads the 413 (the server drains it
    // before closing instead of resetting the connection).
    let mut s = connect(addr);
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(b"POST / HTTP/1.1\r\ncontent-length: 2097152\r\n\r\n");
        let _ = w.write_all(&vec![b'z'; 2 * 1024 * 1024]);
        let _ = w.shutdown(Shutdown::Write);
    });
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 413");
    writer.join().unwrap();
    // Exactly 1 MiB is fine.
    let mut req = b"POST / HTTP/1.1\r\ncontent-length: 1048576\r\nconnection: close\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'q', 1024 * 1024));
    let got = one_shot(addr, &req);
    assert!(
        got.starts_with("HTTP/1.1 200 OK\r\ncontent-length: 1048576\r\n"),
        "{}",
        &got[..40]
    );
    assert!(got.ends_with(&"q".repeat(1000)));
}

#[test]
fn malformed_request_is_400_and_close() {
    let (_rt, addr) = start(limits());
    for bad in [
        &b"NOT AN HTTP REQUEST\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nbad header line\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST / HTTP/1.1\r\ncontent-length: abc\r\n\r\n",
        b"POST / HTTP/1.1\r\ncontent-length: -1\r\n\r\n",
        b"POST / HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab",
    ] {
        let got = one_shot(addr, bad);
        assert!(
            got.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{:?} -> {got}",
            String::from_utf8_lossy(bad)
        );
        assert!(got.contains("connection: close\r\n"), "{got}");
    }
    // A good request before the bad one on the same connection is still answered.
    let got = one_shot(addr, b"GET /ok HTTP/1.1\r\n\r\n\x00\x01garbage\r\n\r\n");
    assert!(
        got.starts_with("HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n/ok"),
        "{got}"
    );
    assert!(
        got.ends_with(
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\nconnection: close\r\n\r\nBad Request"
        ),
        "{got}"
    );
}

#[test]
fn chunked_body_is_501_and_close() {
    let (_rt, addr) = start(limits());
    let got = one_shot(
        addr,
        b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    );
    assert!(got.starts_with("HTTP/1.1 501 "), "{got}");
}

#[test]
fn idle_connection_is_closed_after_the_timeout() {
    let (_rt, addr) = start(limits());
    // Silent from the start.
    let start = Instant::now();
    let mut s = connect(addr);
    assert_eq!(read_to_close(&mut s), "");
    let waited = start.elapsed();
    assert!(
        waited >= IDLE - Duration::from_millis(20),
        "closed after {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "closed after {waited:?}");
    // Silent after a request; and half a request counts as silence too.
    for first in [&b"GET / HTTP/1.1\r\n\r\n"[..], b"GET / HTTP/1.1\r\nx-partial"] {
        let mut s = connect(addr);
        s.write_all(first).unwrap();
        let start = Instant::now();
        let got = read_to_close(&mut s);
        assert!(got.is_empty() || got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
        assert!(start.elapsed() >= IDLE - Duration::from_millis(20));
    }
}

#[test]
fn a_busy_connection_outlives_the_idle_timeout() {
    let (_rt, addr) = start(limits());
    let mut s = connect(addr);
    let start = Instant::now();
    // One request every IDLE/4 for 4 idle periods: the timer fires early and is moved.
    let mut n = 0;
    while start.elapsed() < IDLE * 4 {
        s.write_all(b"GET /still-here HTTP/1.1\r\n\r\n").unwrap();
        assert!(read_response(&mut s).ends_with("/still-here"));
        std::thread::sleep(IDLE / 4);
        n += 1;
    }
    assert!(n >= 8, "{n} requests");
}

#[test]
fn the_same_server_runs_on_tokio() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let listener = rt::Tokio::bind(([127, 0, 0, 1], 0).into()).await.unwrap();
        let addr = rt::Tokio::local_addr(&listener).unwrap();
        tokio::spawn(server::serve::<rt::Tokio>(listener, limits()));
        addr
    });
    assert_eq!(
        one_shot(
            addr,
            b"POST /t HTTP/1.1\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi"
        ),
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi"
    );
    let got = one_shot(addr, b"garbage\r\n\r\n");
    assert!(got.starts_with("HTTP/1.1 400 "), "{got}");
    let mut s = connect(addr);
    let start = Instant::now();
    assert_eq!(read_to_close(&mut s), "");
    assert!(start.elapsed() >= IDLE - Duration::from_millis(20));
}

#[test]
fn a_waiting_connection_shows_as_io_wait_in_the_dump() {
    // The default 30 s idle timeout: the connection stays while the dump is looked at.
    let (rt, addr) = start(server::Limits::default());
    let mut s = connect(addr);
    s.write_all(b"GET /x HTTP/1.1\r\n\r\n").unwrap();
    assert!(read_response(&mut s).ends_with("/x"));
    // The connection task (spawned in rt.rs) is parked on its read, not on its idle timer.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let conn_tasks: Vec<_> = rt
            .dump()
            .into_iter()
            .filter(|t| t.spawned_at.file().ends_with("rt.rs"))
            .collect();
        if conn_tasks.len() == 1 && conn_tasks[0].wait_reason == Some(gosched::runtime::WaitReason::IoRead) {
            break;
        }
        assert!(Instant::now() < deadline, "{conn_tasks:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
