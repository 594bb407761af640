//! `examples/http_echo`'s server as an HTTP/1.1 server: keep-alive, pipelining, HEAD,
//! HTTP/1.0, `Connection` token lists, the same server on tokio, and a connection waiting
//! for input shown as such in the task dump. The server runs in-process on a gosched runtime
//! (and once on tokio); the client is blocking `std::net` with read timeouts.

mod http_support;

use gosched_http_echo::rt::{self, Rt};
use gosched_http_echo::server;
use gosched_testkit::{wait_until, watchdog};
use http_support::{
    IDLE, WATCHDOG, assert_idle_close, closed_after, conn_tasks, connect, idle_limits, limits, one_shot,
    read_response, read_to_close, start,
};
use std::io::Write;
use std::time::Duration;

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
fn connection_is_read_as_a_token_list() {
    let (_rt, addr) = start(limits());
    // `close` anywhere in the list closes, whatever else is there and however it is spelled.
    for value in ["keep-alive, close", "Close", "upgrade ,CLOSE", "close,keep-alive"] {
        let got = one_shot(
            addr,
            format!("GET /c HTTP/1.1\r\nconnection: {value}\r\n\r\n").as_bytes(),
        );
        assert_eq!(
            got, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n/c",
            "connection: {value}"
        );
    }
    // HTTP/1.0 with keep-alive in a list stays open.
    let mut s = connect(addr);
    s.write_all(b"GET /k HTTP/1.0\r\nConnection: foo, Keep-Alive\r\n\r\n")
        .unwrap();
    assert_eq!(
        read_response(&mut s),
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n/k"
    );
    s.write_all(b"GET /k2 HTTP/1.0\r\n\r\n").unwrap();
    assert!(read_to_close(&mut s).ends_with("/k2"));
}

#[test]
fn the_same_server_runs_on_tokio() {
    let _w = watchdog("the_same_server_runs_on_tokio", WATCHDOG);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let listener = rt::Tokio::bind(([127, 0, 0, 1], 0).into()).await.unwrap();
        let addr = rt::Tokio::local_addr(&listener).unwrap();
        tokio::spawn(server::serve::<rt::Tokio>(listener, idle_limits(IDLE)));
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
    let (got, waited) = closed_after(addr, b"");
    assert_eq!(got, "");
    assert_idle_close(waited);
}

#[test]
fn a_waiting_connection_shows_as_io_wait_in_the_dump() {
    // The default 30 s idle timeout: the connection stays while the dump is looked at.
    let (rt, addr) = start(server::Limits::default());
    let mut s = connect(addr);
    s.write_all(b"GET /x HTTP/1.1\r\n\r\n").unwrap();
    assert!(read_response(&mut s).ends_with("/x"));
    // The connection task (spawned in rt.rs) is parked on its read, not on its idle timer.
    wait_until("one connection task, waiting to read", || {
        let tasks = conn_tasks(&rt);
        tasks.len() == 1 && tasks[0].wait_reason == Some(gosched::runtime::WaitReason::IoRead)
    });
}
