//! The debug endpoint's limits against hostile clients: a cap on connections (the rest get a
//! fast 503), one trace at a time, a page size bound, the `Host` check of a loopback-bound
//! endpoint (DNS rebinding) and `nosniff` on every answer.
//!
//! The server runs on a gosched runtime; the client is blocking `std::net` on the test thread.
//! No test asserts a duration; each runs under a watchdog.

mod debug_support;

use debug_support::{endpoint_tasks, server_on};
use gosched::runtime::{Builder, Runtime};
use gosched_testkit::{wait_until, watchdog};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// No read waits longer (every answer here is immediate or a 1 s trace).
const READ_LIMIT: Duration = Duration::from_secs(20);
/// The endpoint's connection cap (documented in `gosched::debug`).
const MAX_CONNECTIONS: usize = 16;

fn server() -> (Runtime, SocketAddr) {
    server_on(Builder::new().maxprocs(2))
}

/// Sends `raw` on a new connection and reads until the server closes: (status, head, body).
fn send(addr: SocketAddr, raw: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(READ_LIMIT)).unwrap();
    s.write_all(raw).unwrap();
    read_answer(&mut s)
}

fn read_answer(s: &mut TcpStream) -> (u16, String, String) {
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).expect("an answer and a clean close");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn get(addr: SocketAddr, target: &str, host: &str) -> (u16, String, String) {
    send(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes(),
    )
}

#[test]
fn connections_over_the_cap_get_a_fast_503() {
    let _w = watchdog("connections_over_the_cap_get_a_fast_503", Duration::from_secs(60));
    let (rt, addr) = server();
    // The endpoint's connection tasks (the accept loop is the task spawned above).
    let conn_tasks = || endpoint_tasks(&rt).len();
    // A whole exchange: the probe connection of `server_on` (accepted before it) is in too;
    // then both are gone.
    assert_eq!(get(addr, "/debug/gosched/metrics", "localhost").0, 200);
    wait_until("no connection task left", || conn_tasks() == 0);
    // Clients that connect and send nothing hold every slot (until their 10 s head deadline).
    let held: Vec<TcpStream> = (0..MAX_CONNECTIONS)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    wait_until("every slot held", || conn_tasks() == MAX_CONNECTIONS);
    let (status, head, body) = get(addr, "/debug/gosched/metrics", "localhost");
    assert_eq!(status, 503, "{head}\n{body}");
    assert!(head.contains("\r\nx-content-type-options: nosniff"), "{head}");
    assert!(head.contains("\r\nretry-after: "), "{head}");
    // Once they leave, scrapes are served again.
    drop(held);
    wait_until("a scrape served again", || {
        get(addr, "/debug/gosched/metrics", "localhost").0 == 200
    });
}

#[test]
fn a_foreign_host_gets_403_on_a_loopback_endpoint() {
    let _w = watchdog("a_foreign_host_gets_403", Duration::from_secs(60));
    let (_rt, addr) = server();
    let port = addr.port();
    // A page of another site whose name was rebound to 127.0.0.1 sends its own name.
    for host in [
        "evil.example",
        &format!("evil.example:{port}"),
        "127.0.0.2",
        "localhost.evil.example",
    ] {
        let (status, head, body) = get(addr, "/debug/gosched/tasks", host);
        assert_eq!(status, 403, "Host: {host}\n{head}\n{body}");
        assert!(body.contains("Host"), "{body}");
        assert!(head.contains("\r\nx-content-type-options: nosniff"), "{head}");
    }
    for host in [
        "localhost".to_owned(),
        format!("localhost:{port}"),
        "LOCALHOST".to_owned(),
        "127.0.0.1".to_owned(),
        format!("{addr}"),
        "[::1]".to_owned(),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(get(addr, "/debug/gosched/metrics", &host).0, 200, "Host: {host}");
    }
    // No Host at all (HTTP/1.0 tools): served, a browser always sends one.
    assert_eq!(send(addr, b"GET /debug/gosched/metrics HTTP/1.0\r\n\r\n").0, 200);
}

#[test]
fn every_answer_says_nosniff() {
    let _w = watchdog("every_answer_says_nosniff", Duration::from_secs(60));
    let (_rt, addr) = server();
    for (target, status) in [
        ("/debug/gosched/metrics", 200),
        ("/debug/gosched/", 200),
        ("/<script>alert(1)</script>", 404),
        ("/debug/gosched/tasks?debug=<b>", 400),
    ] {
        let (got, head, _) = get(addr, target, "localhost");
        assert_eq!(got, status, "{target}");
        assert!(
            head.contains("\r\nx-content-type-options: nosniff"),
            "{target}: {head}"
        );
    }
    // HEAD: the headers of the page, no body.
    let (status, head, body) = send(
        addr,
        b"HEAD /debug/gosched/tasks?debug=2 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("\r\ncontent-type: text/plain"), "{head}");
    assert_eq!(body, "");
}

#[test]
fn a_page_over_the_size_bound_ends_with_a_truncation_line() {
    let _w = watchdog("a_page_over_the_size_bound", Duration::from_secs(60));
    let (rt, addr) = server();
    // ~80 bytes a block: 40,000 tasks are ~3 MiB of `?debug=2`, over the 2 MiB bound.
    for _ in 0..40_000 {
        rt.spawn(std::future::pending::<()>());
    }
    let (status, _, body) = get(addr, "/debug/gosched/tasks?debug=2", "localhost");
    assert_eq!(status, 200);
    assert!(body.len() <= 2 * 1024 * 1024 + 200, "{} bytes", body.len());
    let last = body.lines().last().unwrap();
    assert!(last.starts_with("... truncated at 2 MiB: "), "{last}");
    assert!(last.contains("more tasks not shown"), "{last}");
}

#[test]
fn held_traces_leave_room_for_scrapes() {
    let _w = watchdog("held_traces_leave_room_for_scrapes", Duration::from_secs(60));
    let (rt, addr) = server_on(Builder::new().maxprocs(2).flight_recorder(true));
    // 40 clients each ask for a 30 s trace and wait for it; the first has the trace slot
    // (its connection task sleeps) before the others ask.
    let trace_sleeping = || {
        endpoint_tasks(&rt)
            .iter()
            .any(|t| t.wait_reason == Some(gosched::runtime::WaitReason::Sleep))
    };
    let mut held = Vec::new();
    for i in 0..40 {
        if i == 1 {
            wait_until("the first trace taken", trace_sleeping);
        }
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(READ_LIMIT)).unwrap();
        s.write_all(b"GET /debug/gosched/trace?seconds=30 HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        held.push(s);
        std::thread::sleep(Duration::from_millis(5));
    }
    // One trace is taken at a time: the later ones are told so at once (503), not held
    // (or, while 16 connections are open, refused by the accept loop, also 503).
    let busy: Vec<_> = held[1..].iter_mut().map(read_answer).collect();
    for (status, head, body) in &busy {
        assert_eq!(*status, 503, "{head}\n{body}");
        assert!(
            body.contains("another trace") || body.contains("connections at once"),
            "{body}"
        );
    }
    assert!(busy.iter().any(|(_, _, body)| body.contains("another trace")));
    // Those clients close; a scrape is answered while the first trace is still being taken.
    held.truncate(1);
    wait_until("a scrape served again", || {
        get(addr, "/debug/gosched/metrics", "localhost").0 == 200
    });
}
