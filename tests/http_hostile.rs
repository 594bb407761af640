//! `examples/http_echo` against hostile clients: answers carry `Content-Type` and `nosniff`,
//! a `Connection: close` with more pipelined input behind it ends in a clean close (not a
//! reset that destroys the answer), the connection cap holds new clients in the backlog, a
//! body trickling in is closed at the body deadline, bad limits are refused by name, and the
//! built-in client refuses a `Content-Length` it cannot hold instead of panicking. (Half-sent
//! large bodies are in `http_memory.rs`.)
//!
//! The server runs in-process on a gosched runtime; the client is blocking `std::net` with
//! read timeouts. No test asserts a duration; each runs under a watchdog.

mod http_support;

use gosched_http_echo::rt::{self, Rt};
use gosched_http_echo::{client, server};
use gosched_testkit::watchdog;
use http_support::{READ_LIMIT, WATCHDOG, connect, start};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Everything the server sends until it closes: `Err` if the close was a reset.
fn read_until_close(s: &mut TcpStream) -> std::io::Result<String> {
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn answers_carry_a_content_type_and_nosniff() {
    let _w = watchdog("answers_carry_a_content_type_and_nosniff", WATCHDOG);
    let (_rt, addr) = start(server::Limits::default());
    let cases: [(&[u8], &str); 4] = [
        (
            b"GET /x HTTP/1.1\r\nconnection: close\r\n\r\n",
            "text/plain; charset=utf-8",
        ),
        // A cross-site form POST of markup: echoed as bytes a browser will not render.
        (
            b"POST / HTTP/1.1\r\ncontent-length: 17\r\nconnection: close\r\n\r\n<script>1</script",
            "application/octet-stream",
        ),
        (
            b"DELETE / HTTP/1.1\r\nconnection: close\r\n\r\n",
            "text/plain; charset=utf-8",
        ),
        (b"<script>\r\n\r\n", "text/plain; charset=utf-8"),
    ];
    for (req, content_type) in cases {
        let mut s = connect(addr);
        s.write_all(req).unwrap();
        let got = read_until_close(&mut s).unwrap();
        let head = got.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
        assert!(
            head.contains(&format!("\r\ncontent-type: {content_type}\r\n")),
            "{got}"
        );
        assert!(head.contains("\r\nx-content-type-options: nosniff\r\n"), "{got}");
    }
}

#[test]
fn connection_close_with_more_input_behind_it_closes_cleanly() {
    let _w = watchdog(
        "connection_close_with_more_input_behind_it_closes_cleanly",
        WATCHDOG,
    );
    // A 1 MiB POST with `Connection: close`, then more pipelined input the server will never
    // read. Closing with that input unread sends a reset, which throws away the part of the
    // answer still in the server's send buffer; the server shuts its write half and drains
    // instead (Go's lingering close), so the client reads the whole answer and a clean end
    // of stream.
    let (_rt, addr) = start(server::Limits::default());
    for round in 0..3 {
        let mut s = connect(addr);
        let mut req = b"POST /last HTTP/1.1\r\ncontent-length: 1048576\r\nconnection: close\r\n\r\n".to_vec();
        req.extend(std::iter::repeat_n(b'b', 1 << 20));
        for i in 0..10_000 {
            req.extend_from_slice(format!("GET /unread/{i} HTTP/1.1\r\n\r\n").as_bytes());
        }
        let mut w = s.try_clone().unwrap();
        // The server stops reading after the POST: this write may never finish.
        let writer = std::thread::spawn(move || drop(w.write_all(&req)));
        // Let the server answer and close before we read.
        std::thread::sleep(Duration::from_millis(300));
        let got = read_until_close(&mut s)
            .unwrap_or_else(|e| panic!("round {round}: the close was not clean: {e}"));
        assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "round {round}");
        assert!(
            got.ends_with(&"b".repeat(1000)),
            "round {round}: {} bytes",
            got.len()
        );
        drop(s);
        writer.join().unwrap();
    }
}

#[test]
fn the_client_refuses_a_content_length_it_cannot_hold() {
    let _w = watchdog("the_client_refuses_a_content_length_it_cannot_hold", WATCHDOG);
    // A server that answers with a length near usize::MAX (which overflowed the client's
    // arithmetic), then one far larger than any echo.
    for length in [
        u64::MAX.to_string(),
        "18446744073709551000".into(),
        "99999999999".into(),
    ] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let liar = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut req = [0u8; 256];
            let _ = s.read(&mut req);
            let _ = s.write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: {length}\r\n\r\nab").as_bytes());
            std::thread::sleep(Duration::from_millis(200));
        });
        let rt = gosched::runtime::Builder::new().maxprocs(1).build().unwrap();
        let err = rt
            .block_on(async {
                let mut conn = rt::Gosched::connect(addr).await?;
                let mut buf = server::InBuf::default();
                client::exchange(&mut conn, &mut buf, b"GET / HTTP/1.1\r\n\r\n", b"/").await
            })
            .expect_err("a response the client cannot hold is an error");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
        assert!(err.to_string().contains("content-length"), "{err}");
        liar.join().unwrap();
    }
}

/// Sends `req` and reads one `content-length`-framed answer; `None` if nothing came within
/// `wait`.
fn answer_within(s: &mut TcpStream, req: &[u8], wait: Duration) -> Option<String> {
    s.write_all(req).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break;
            }
            Err(e) => panic!("{e}"),
        }
        let text = String::from_utf8_lossy(&got);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.parse().ok())
                .expect("content-length");
            if body.len() >= len {
                break;
            }
        }
    }
    s.set_read_timeout(Some(READ_LIMIT)).unwrap();
    (!got.is_empty()).then(|| String::from_utf8_lossy(&got).into_owned())
}

#[test]
fn at_the_connection_cap_the_server_stops_accepting_until_one_closes() {
    let _w = watchdog("at_the_connection_cap", WATCHDOG);
    let (_rt, addr) = start(server::Limits {
        max_connections: 2,
        ..server::Limits::default()
    });
    let mut first = connect(addr);
    let mut second = connect(addr);
    for s in [&mut first, &mut second] {
        let got = answer_within(s, b"GET /in HTTP/1.1\r\n\r\n", READ_LIMIT);
        assert!(got.unwrap().ends_with("/in"));
    }
    // The third waits in the backlog: connected, but not served while two are open.
    let mut third = connect(addr);
    assert_eq!(
        answer_within(
            &mut third,
            b"GET /third HTTP/1.1\r\n\r\n",
            Duration::from_millis(500)
        ),
        None
    );
    // One leaves: the third is accepted and answered.
    drop(first);
    let got = answer_within(&mut third, b"", READ_LIMIT).expect("served once below the cap");
    assert!(got.ends_with("/third"), "{got}");
    assert!(
        answer_within(&mut second, b"GET /still HTTP/1.1\r\n\r\n", READ_LIMIT)
            .unwrap()
            .ends_with("/still")
    );
}

#[test]
fn a_body_trickling_in_is_closed_at_the_body_deadline() {
    let _w = watchdog("a_body_trickling_in", WATCHDOG);
    // One body byte every 50 ms, each within the idle timeout: the 1 s body deadline (from
    // the request's first byte) closes the connection, without an answer.
    let (_rt, addr) = start(server::Limits {
        body: Duration::from_secs(1),
        idle: Duration::from_secs(10),
        ..server::Limits::default()
    });
    let mut s = connect(addr);
    s.write_all(b"POST /slow HTTP/1.1\r\ncontent-length: 100000\r\n\r\n")
        .unwrap();
    let mut reader = s.try_clone().unwrap();
    let watcher = std::thread::spawn(move || {
        let mut got = Vec::new();
        // A byte in flight at the close may turn it into a reset: both are a close.
        match reader.read_to_end(&mut got) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("not closed within {READ_LIMIT:?}: {e}"),
        }
        got
    });
    for _ in 0..(READ_LIMIT.as_millis() / 50) {
        if watcher.is_finished() || s.write_all(b"z").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(watcher.join().unwrap(), b"", "closed without an answer");
}

#[test]
fn a_zero_body_timeout_or_connection_cap_is_refused_by_name() {
    let zero_body = server::Limits {
        body: Duration::ZERO,
        ..server::Limits::default()
    };
    let err = zero_body.check().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("--body-timeout-ms"), "{err}");
    let no_connections = server::Limits {
        max_connections: 0,
        ..server::Limits::default()
    };
    let err = no_connections.check().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("--max-connections"), "{err}");
    // The default cap leaves room under the descriptor limit.
    assert!(server::default_max_connections() >= 1);
}
