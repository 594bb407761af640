//! The limits of `examples/http_echo`'s server on what a request may be (a head over 8 KiB or
//! with too many headers: 431; a body over 1 MiB: 413; malformed: 400; chunked: 501) and on
//! how it takes connections (accept errors backed off). The server runs in-process on a
//! gosched runtime; the client is blocking `std::net` with read timeouts. The deadlines are
//! in `http_deadlines.rs`, the memory a connection costs in `http_memory.rs`.

mod http_support;

use gosched_http_echo::rt::{self, Rt};
use gosched_http_echo::{parse, server};
use http_support::{connect, limits, one_shot, read_to_close, start};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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
    for i in 0..parse::MAX_HEADERS + 1 {
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

/// The echo server's runtime operations, with `accept` failing (as under EMFILE) while
/// `ACCEPT_FAILING` is set, counting the attempts.
struct FlakyAccept;

static ACCEPT_FAILING: AtomicBool = AtomicBool::new(true);
static ACCEPT_CALLS: AtomicUsize = AtomicUsize::new(0);

impl Rt for FlakyAccept {
    type Listener = <rt::Gosched as Rt>::Listener;
    type Conn = <rt::Gosched as Rt>::Conn;
    type Timer = <rt::Gosched as Rt>::Timer;
    const NAME: &'static str = "gosched (accept fails)";

    fn bind(addr: SocketAddr) -> impl std::future::Future<Output = std::io::Result<Self::Listener>> + Send {
        rt::Gosched::bind(addr)
    }

    fn local_addr(listener: &Self::Listener) -> std::io::Result<SocketAddr> {
        rt::Gosched::local_addr(listener)
    }

    async fn accept(listener: &Self::Listener) -> std::io::Result<Self::Conn> {
        ACCEPT_CALLS.fetch_add(1, Ordering::SeqCst);
        if ACCEPT_FAILING.load(Ordering::SeqCst) {
            // EMFILE: "Too many open files".
            return Err(std::io::Error::from_raw_os_error(24));
        }
        rt::Gosched::accept(listener).await
    }

    fn connect(addr: SocketAddr) -> impl std::future::Future<Output = std::io::Result<Self::Conn>> + Send {
        rt::Gosched::connect(addr)
    }

    fn spawn<T, F>(f: F) -> impl std::future::Future<Output = T> + Send + 'static
    where
        T: Send + 'static,
        F: std::future::Future<Output = T> + Send + 'static,
    {
        rt::Gosched::spawn(f)
    }

    fn timer(deadline: Instant) -> Self::Timer {
        rt::Gosched::timer(deadline)
    }
}

#[test]
fn accept_errors_back_off_exponentially_and_the_server_recovers() {
    let rt = gosched::runtime::Builder::new().maxprocs(2).build().unwrap();
    let addr = rt.block_on(async {
        let listener = FlakyAccept::bind(([127, 0, 0, 1], 0).into()).await.unwrap();
        let addr = FlakyAccept::local_addr(&listener).unwrap();
        drop(gosched::spawn(server::serve::<FlakyAccept>(listener, limits())));
        addr
    });
    // 1.5 s of failures: backing off 5, 10, 20, ... ms up to 1 s is 9 attempts (and 9 log
    // lines); a fixed 10 ms pause was ~150. A slow machine only makes fewer.
    std::thread::sleep(Duration::from_millis(1500));
    let attempts = ACCEPT_CALLS.load(Ordering::SeqCst);
    eprintln!("{attempts} accept attempts (and log lines) in 1.5 s of accept errors");
    assert!(
        (1..=20).contains(&attempts),
        "{attempts} accept attempts in 1.5 s"
    );
    // The errors stop: the next attempt (at most 1 s away) accepts the waiting client.
    ACCEPT_FAILING.store(false, Ordering::SeqCst);
    let got = one_shot(addr, b"GET /back HTTP/1.1\r\nconnection: close\r\n\r\n");
    assert!(got.ends_with("/back"), "{got}");
}

#[test]
fn the_accept_backoff_doubles_from_5ms_to_1s_and_resets_after_a_success() {
    let mut b = server::AcceptBackoff::default();
    let delays: Vec<u64> = (0..10).map(|_| b.next_delay().as_millis() as u64).collect();
    assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    b.reset();
    assert_eq!(b.next_delay(), Duration::from_millis(5));
}
