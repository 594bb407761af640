//! Helpers shared by the tests of `examples/http_echo`'s server (`http_protocol`,
//! `http_limits`, `http_deadlines`, `http_memory`, `http_hostile`, `http_soak`): the server
//! in-process on a gosched runtime, and a blocking `std::net` client with read timeouts.
//!
//! Timing: a test that waits for the server to close a connection gives it a short limit and
//! then a generous bound ([`CLOSE_LIMIT`], seconds) to do so; nothing else depends on the
//! machine being fast (the idle timeout of [`limits`] is 10 s, longer than any bound here, so
//! a client stalled by a busy machine is not closed under a test's feet, and a close seen
//! within a bound is the limit under test). A lower bound ("not closed before the limit") is
//! measured from an instant the server's timer cannot precede (before the connect, or before
//! the first byte).
#![allow(dead_code)]

use gosched::runtime::{Builder, Runtime, TaskInfo};
use gosched_http_echo::rt::{self, Rt};
use gosched_http_echo::server::{self, Limits};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// No single read in these tests should wait longer.
pub const READ_LIMIT: Duration = Duration::from_secs(10);
/// The idle timeout of the tests that check it.
pub const IDLE: Duration = Duration::from_millis(200);
/// How long a server gets to close a connection that hit a limit (the limits are far
/// shorter: this only bounds a hang).
pub const CLOSE_LIMIT: Duration = Duration::from_secs(8);
/// Aborts a test that hangs (every test here finishes in a few seconds).
pub const WATCHDOG: Duration = Duration::from_secs(120);

/// A gosched runtime serving on a free loopback port.
pub fn start(limits: Limits) -> (Runtime, SocketAddr) {
    start_on(Builder::new().maxprocs(2), limits)
}

/// `builder`'s runtime serving on a free loopback port.
pub fn start_on(builder: Builder, limits: Limits) -> (Runtime, SocketAddr) {
    let rt = builder.build().unwrap();
    let addr = rt.block_on(async {
        let listener = rt::Gosched::bind(([127, 0, 0, 1], 0).into()).await.unwrap();
        let addr = rt::Gosched::local_addr(&listener).unwrap();
        drop(gosched::spawn(server::serve::<rt::Gosched>(listener, limits)));
        addr
    });
    (rt, addr)
}

/// The limits most tests use: the defaults but a 10 s idle timeout.
pub fn limits() -> Limits {
    Limits {
        idle: Duration::from_secs(10),
        ..Limits::default()
    }
}

/// `limits()` with a short idle timeout.
pub fn idle_limits(idle: Duration) -> Limits {
    Limits { idle, ..limits() }
}

/// The server's connection tasks still alive (they are spawned in the echo crate's rt.rs).
pub fn conn_tasks(rt: &Runtime) -> Vec<TaskInfo> {
    rt.dump()
        .into_iter()
        .filter(|t| t.spawned_at.file().ends_with("rt.rs"))
        .collect()
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(READ_LIMIT)).unwrap();
    s
}

/// Everything the server sends until it closes the connection.
pub fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("server closes cleanly in time");
    plain(String::from_utf8_lossy(&out).into_owned())
}

/// `answers` without their `content-type` and `x-content-type-options` lines, after checking
/// that each answer has both (`tests/http_hostile.rs` checks their values).
pub fn plain(answers: String) -> String {
    let heads = answers.matches("HTTP/1.1 ").count();
    assert_eq!(answers.matches("\r\ncontent-type: ").count(), heads, "{answers}");
    assert_eq!(
        answers.matches("\r\nx-content-type-options: nosniff\r\n").count(),
        heads,
        "{answers}"
    );
    answers
        .replace("content-type: text/plain; charset=utf-8\r\n", "")
        .replace("content-type: application/octet-stream\r\n", "")
        .replace("x-content-type-options: nosniff\r\n", "")
}

/// Reads exactly one response (`Content-Length` framed) off `s`.
pub fn read_response(s: &mut TcpStream) -> String {
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
    plain(String::from_utf8(got).unwrap())
}

/// Sends `req` on a new connection, half-closes, and returns all the server sends back.
pub fn one_shot(addr: SocketAddr, req: &[u8]) -> String {
    let mut s = connect(addr);
    s.write_all(req).unwrap();
    read_to_close(&mut s)
}

/// Connects, sends `first`, and returns what the server sent before it closed the
/// connection and how long after the connect began that was. The server's idle timer starts
/// after the connect, so the time is an upper bound of how long it waited.
pub fn closed_after(addr: SocketAddr, first: &[u8]) -> (String, Duration) {
    let start = Instant::now();
    let mut s = connect(addr);
    s.write_all(first).unwrap();
    let got = read_to_close(&mut s);
    (got, start.elapsed())
}

/// Asserts a close by the idle timeout: not before it (the 20 ms spare is the timer's
/// rounding), and within `CLOSE_LIMIT`, long before any other limit of [`idle_limits`].
pub fn assert_idle_close(waited: Duration) {
    assert!(
        waited >= IDLE - Duration::from_millis(20),
        "closed after {waited:?}"
    );
    assert!(waited < CLOSE_LIMIT, "not closed after {waited:?}");
}
